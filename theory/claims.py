"""The ``Claim`` record and the registry that holds every claim, with unique ids enforced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a claim is, and therefore the only evidence that verifies it.

    One question decides the kind: *what would a check have to do to show the claim?*

    - ``CONTRACT``: a definition, an API's documented behaviour or a textbook identity (a
      derivative formula, a fan convention, a framework's gain table, ``cross_entropy =
      nll(log_softmax)``). Deterministic; verified by comparison at floating-point tolerance
      against an independent computation. Worth checking, but not a result of the theory, so
      reports count it apart from ``EXACT``.
    - ``EXACT``: a result of the theory that holds exactly at every finite size: a derived
      identity, or a number defined by a closed form, a Gaussian integral or a root of one (a
      gain, a fixed point ``q*``, ``chi_1``, a critical ``sigma_w``), quoted to its printed
      precision. Verified by comparison at floating-point or quadrature tolerance.
    - ``STATISTICAL``: a property of a probability law that holds exactly at every finite size
      (a variance, a CDF, a probability), whether derived by the theory or promised by an API
      (an initializer's law). Verified only by decision-rule records (``properties.decide``)
      with declared error rates; an assertion on a sample never verifies it.
    - ``ASYMPTOTIC``: holds only in a limit (width ``N -> inf``, depth ``l -> inf``, the linear
      regime ``q -> 0``). Verified only by decision-rule records at finite size whose tolerance
      is derived from the finite-size correction, never tuned. A claim asymptotic in depth also
      needs ``l << N`` at finite width.
    """

    CONTRACT = "contract"
    EXACT = "exact"
    STATISTICAL = "statistical"
    ASYMPTOTIC = "asymptotic"

    @property
    def is_theory(self) -> bool:
        """Whether claims of this kind are results of the theory (every kind but ``CONTRACT``)."""
        return self is not Kind.CONTRACT


_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9.]+)*$")


@dataclass(frozen=True)
class Claim:
    """One analytic claim of the theory, with its source.

    Attributes:
        id: stable kebab-case identifier (used by ``@pytest.mark.claim``).
        title: a short human title.
        statement: the formula, in plain text.
        source: where the claim is stated: a seed document's file name, or a paper with
            section/equation, or the API it documents.
        kind: :class:`Kind`.
        assumptions: what the statement assumes (and its scope).
        seed_said: where a seed says something wrong or only roughly right: what it said.
        correction: and what is true instead.
        see_also: ids of claims that state the same fact or a part of it (validated by the
            :class:`Registry`).
        references: the primary literature (papers, section/equation) or the primary code the
            claim rests on, one entry each.
    """

    id: str
    title: str
    statement: str
    source: str
    kind: Kind
    assumptions: str = ""
    seed_said: str = ""
    correction: str = ""
    see_also: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"claim id must be kebab-case, got {self.id!r}")
        if not (self.title and self.statement and self.source):
            raise ValueError(f"claim {self.id}: title, statement and source are required")
        if not isinstance(self.kind, Kind):
            raise TypeError(f"claim {self.id}: kind must be a Kind, got {self.kind!r}")
        if bool(self.seed_said) != bool(self.correction):
            raise ValueError(f"claim {self.id}: seed_said and correction go together")
        for name in ("see_also", "references"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"claim {self.id}: {name} must be a tuple of str, got {value!r}")
            if any(not v.strip() for v in value):
                raise ValueError(f"claim {self.id}: {name} has an empty entry")
            if len(set(value)) != len(value):
                raise ValueError(f"claim {self.id}: {name} has a repeated entry")
        for other in self.see_also:
            if not _ID.match(other):
                raise ValueError(f"claim {self.id}: see_also id must be kebab-case, got {other!r}")
        if self.id in self.see_also:
            raise ValueError(f"claim {self.id}: see_also names the claim itself")


class Registry:
    """An ordered, immutable collection of claims, looked up by id.

    Ids are unique, and every ``see_also`` id names a claim of the registry.
    """

    def __init__(self, claims: Iterable[Claim]) -> None:
        self._claims: dict[str, Claim] = {}
        for claim in claims:
            if claim.id in self._claims:
                raise ValueError(f"duplicate claim id {claim.id!r}")
            self._claims[claim.id] = claim
        for claim in self._claims.values():
            unknown = [other for other in claim.see_also if other not in self._claims]
            if unknown:
                raise ValueError(f"claim {claim.id}: see_also names unknown claims {unknown}")

    def __iter__(self) -> Iterator[Claim]:
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._claims

    def __getitem__(self, claim_id: str) -> Claim:
        try:
            return self._claims[claim_id]
        except KeyError:
            raise KeyError(f"unknown claim id {claim_id!r}") from None

    def ids(self) -> list[str]:
        """All ids, in registry order."""
        return list(self._claims)

    def of_kind(self, kind: Kind) -> list[Claim]:
        """The claims of one kind."""
        return [c for c in self if c.kind is kind]
