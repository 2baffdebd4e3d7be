"""The ``Claim`` record and the registry that holds every claim, with unique ids enforced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """How a claim is verified (see ``shared/DESIGN.md``, Claims)."""

    EXACT = "exact"
    """An identity that holds to floating-point tolerance."""
    STATISTICAL = "statistical"
    """A property of a distribution, decided with declared error rates."""
    ASYMPTOTIC = "asymptotic"
    """Holds in a limit; checked at finite size with a tolerance derived from the correction."""


_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9.]+)*$")


@dataclass(frozen=True)
class Claim:
    """One analytic claim of the theory, with its source.

    Attributes:
        id: stable kebab-case identifier (used by ``@pytest.mark.claim``).
        title: a short human title.
        statement: the formula, in plain text.
        source: a seed document's file name, or a paper with section/equation.
        kind: :class:`Kind`.
        assumptions: what the statement assumes.
        seed_said: where a seed says something wrong or only roughly right: what it said.
        correction: and what is true instead.
    """

    id: str
    title: str
    statement: str
    source: str
    kind: Kind
    assumptions: str = ""
    seed_said: str = ""
    correction: str = ""

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"claim id must be kebab-case, got {self.id!r}")
        if not (self.title and self.statement and self.source):
            raise ValueError(f"claim {self.id}: title, statement and source are required")
        if not isinstance(self.kind, Kind):
            raise TypeError(f"claim {self.id}: kind must be a Kind, got {self.kind!r}")
        if bool(self.seed_said) != bool(self.correction):
            raise ValueError(f"claim {self.id}: seed_said and correction go together")


class Registry:
    """An ordered, immutable collection of claims, looked up by id."""

    def __init__(self, claims: Iterable[Claim]) -> None:
        self._claims: dict[str, Claim] = {}
        for claim in claims:
            if claim.id in self._claims:
                raise ValueError(f"duplicate claim id {claim.id!r}")
            self._claims[claim.id] = claim

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
