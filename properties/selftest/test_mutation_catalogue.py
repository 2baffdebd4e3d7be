"""The mutation catalogue still fits impls: every mutation applies and yields code that compiles.

``python -m properties.mutation`` reports ``not-applied`` for a mutation whose ``original`` text no
longer occurs exactly once in its file, and a mutation that does not compile is caught by every
test for the wrong reason; both go unnoticed until someone runs the (slow) runner. These checks
read the files as text (no import of impls, so the runner never puts this module into a mutated
tree, where it would fail by construction) and make a refactoring of impls that strands a
mutation fail CI instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from properties.mutation.catalogue import MUTATIONS, Mutation

ROOT = Path(__file__).resolve().parents[2]


def test_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_applies_and_compiles(mutation: Mutation) -> None:
    path = ROOT / mutation.path
    assert path.is_file(), f"{mutation.id}: {mutation.path} does not exist"
    text = path.read_text()
    count = text.count(mutation.original)
    assert count == 1, f"{mutation.id}: the original occurs {count} times in {mutation.path}, not once"
    assert mutation.replacement != mutation.original, f"{mutation.id}: the replacement changes nothing"
    mutated = text.replace(mutation.original, mutation.replacement)
    compile(mutated, mutation.path, "exec")
