"""Tests of the suite itself: every claim has a test, and every claim marker names a claim.

Markers are found statically (by parsing the test modules), so the result does not depend on
which tests a run selects; a parametrization that marks its parameters with claims
(``pytest.param(..., marks=pytest.mark.claim(c))``) covers every claim id it names.
"""

from __future__ import annotations

import ast
from pathlib import Path

from theory import CLAIMS, Kind

SUITE = Path(__file__).parent


def claim_markers() -> dict[str, set[str]]:
    """Claim ids named by ``pytest.mark.claim("...")`` and in claim tables, by test module."""
    found: dict[str, set[str]] = {}
    for path in sorted(SUITE.glob("test_*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "claim":
                names.update(
                    a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "parametrize"
                and any(
                    isinstance(c, ast.Call) and getattr(c.func, "attr", None) == "claim"
                    for c in ast.walk(node)
                )
            ):
                names.update(
                    c.value
                    for c in ast.walk(node)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in CLAIMS
                )
            if isinstance(node, ast.Assign) and any(
                (isinstance(t, ast.Name) and t.id.endswith("CLAIMS"))
                or (isinstance(t, ast.Name) and t.id.endswith("CASES"))
                for t in node.targets
            ):
                names.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in CLAIMS
                )
        found[path.name] = names
    return found


def test_every_claim_has_a_test() -> None:
    covered = set().union(*claim_markers().values())
    missing = [c.id for c in CLAIMS if c.id not in covered]
    assert not missing, f"claims without a test marked @pytest.mark.claim(id): {missing}"


def test_every_marker_names_a_known_claim() -> None:
    for module, names in claim_markers().items():
        unknown = sorted(n for n in names if n not in CLAIMS and "-" in n)
        assert not unknown, f"{module} marks unknown claims {unknown}"


def test_registry_is_well_formed() -> None:
    ids = CLAIMS.ids()
    assert len(ids) == len(set(ids)) >= 60
    for claim in CLAIMS:
        assert claim.source and claim.statement and claim.title
        assert isinstance(claim.kind, Kind)
        assert bool(claim.seed_said) == bool(claim.correction)
    seeds_cited = {c.source.split("seed ")[1][:3] for c in CLAIMS if "seed 0" in c.source}
    assert seeds_cited == {"000", "001", "002", "003", "004"}  # every seed document is covered


def test_kinds_are_counted_and_each_is_tested() -> None:
    """Every kind has claims, theory and contracts are counted apart, and each claim has a test."""
    covered = set().union(*claim_markers().values())
    counts = {kind: len(CLAIMS.of_kind(kind)) for kind in Kind}
    assert sum(counts.values()) == len(CLAIMS)
    assert all(counts[kind] > 0 for kind in Kind), counts
    theory_ids = {c.id for c in CLAIMS if c.kind.is_theory}
    contract_ids = {c.id for c in CLAIMS.of_kind(Kind.CONTRACT)}
    assert theory_ids.isdisjoint(contract_ids) and len(theory_ids | contract_ids) == len(CLAIMS)
    for kind in Kind:
        untested = [c.id for c in CLAIMS.of_kind(kind) if c.id not in covered]
        assert not untested, f"{kind.value} claims without a test: {untested}"


def test_cross_references_and_references() -> None:
    """Every see_also id names a claim (not itself), every reference entry is a non-empty string."""
    for claim in CLAIMS:
        for other in claim.see_also:
            assert other in CLAIMS and other != claim.id, f"{claim.id}: see_also {other!r}"
        for reference in claim.references:
            assert isinstance(reference, str) and reference.strip(), f"{claim.id}: empty reference"
        assert "theory_claims.md" not in claim.source + " ".join(claim.references), (
            f"{claim.id} cites the secondary list theory_claims.md; cite the primary literature"
        )


def test_registry_rejects_bad_records() -> None:
    import pytest

    from theory import Claim, Registry

    with pytest.raises(ValueError, match="kebab-case"):
        Claim("Bad_Id", "t", "s", "src", Kind.EXACT)
    with pytest.raises(ValueError, match="duplicate claim id"):
        Registry([Claim("a-b", "t", "s", "src", Kind.EXACT)] * 2)
    with pytest.raises(ValueError, match="go together"):
        Claim("a-b", "t", "s", "src", Kind.EXACT, seed_said="x")
    with pytest.raises(KeyError, match="unknown claim id"):
        CLAIMS["no-such-claim"]
    with pytest.raises(ValueError, match="see_also names unknown claims"):
        Registry([Claim("a-b", "t", "s", "src", Kind.EXACT, see_also=("c-d",))])
    with pytest.raises(ValueError, match="names the claim itself"):
        Claim("a-b", "t", "s", "src", Kind.EXACT, see_also=("a-b",))
    with pytest.raises(ValueError, match="empty entry"):
        Claim("a-b", "t", "s", "src", Kind.EXACT, references=("  ",))
    with pytest.raises(TypeError, match="tuple of str"):
        Claim("a-b", "t", "s", "src", Kind.EXACT, references=["x"])
    assert Registry(
        [
            Claim("a-b", "t", "s", "src", Kind.EXACT, see_also=("c-d",)),
            Claim("c-d", "t", "s", "src", Kind.CONTRACT),
        ]
    )
