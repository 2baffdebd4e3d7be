"""The implementation under test, as a value: a :class:`Target` maps impls' public names to callables.

The suite never imports an implementation directly. It receives a ``Target`` (the ``impl``
fixture), whose attributes are the public API of :mod:`impls` (``impl.xavier_uniform``,
``impl.ACTIVATIONS["tanh"].derivative``, ``impl.adam(lr=1e-3).step``, ...), with impls'
signatures, NumPy arrays in and out. ``impls`` is the default target; a framework adapter
(``properties/targets/torch.py``, ...) or a user's own module supplies the same names, each a thin
translation onto the framework's own function. A name a target does not supply raises
:class:`NotApplicable`, and the claim is reported *not applicable* for that target, never verified.

A failure that is a documented upstream bug or a deliberate convention is declared once, as a
:class:`Deviation` on the target, with its link and the condition under which it applies; the
suite reports it as a *known deviation* (strict: a declared deviation that no longer reproduces
fails the run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from impls import __all__ as _PUBLIC_API
from properties.records import DEFAULT_TARGET as REFERENCE

PUBLIC_API: frozenset[str] = frozenset(_PUBLIC_API)
"""The names a complete implementation supplies: impls' public API, the suite's vocabulary."""


class NotApplicable(pytest.skip.Exception):  # type: ignore[name-defined]
    """The target does not implement the function a claim needs.

    A skip, so that pytest reports the test as skipped and Hypothesis re-raises it at once instead
    of shrinking; the report plugin counts such a skip as *not applicable*. The message starts
    with :data:`NOT_APPLICABLE_PREFIX`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"{NOT_APPLICABLE_PREFIX}{message}")


NOT_APPLICABLE_PREFIX = "not applicable: "


@dataclass(frozen=True)
class Deviation:
    """A declared, documented difference between a target and a claim.

    Attributes:
        claim: the claim id (``theory.CLAIMS``) the deviation concerns.
        reason: one line: what the target does instead, and whether it is a bug or a convention.
        link: the upstream issue, documentation or source line that documents it.
        applies: a predicate on the failing check's case (a dict); ``None`` means every case.
        versions: the framework versions it applies to, as a PEP 440 specifier (``"<2.15"``),
            empty for all.
        reproduce: a one-line reproduction in the framework's own API, shown in the reports.
        sporadic: the defect shows in some samples only (a rare event per value, such as an
            outlier with probability 4e-6): a check it applies to may pass, and that is not taken
            for "no longer reproduces". Pair it with a strict declaration that a fixed case
            reproduces every run, so that a fix upstream is still noticed.
    """

    claim: str
    reason: str
    link: str
    applies: Callable[[Mapping[str, Any]], bool] | None = None
    versions: str = ""
    reproduce: str = ""
    sporadic: bool = False

    def covers(self, claim: str, case: Mapping[str, Any], version: str | None) -> bool:
        """Whether a check of ``claim`` on ``case`` against framework ``version`` is declared here.

        The claim must match, ``applies(case)`` must be true (or ``applies`` absent) and the
        version must satisfy :attr:`versions` (a specifier with no known version never does).
        """
        if claim != self.claim or (self.applies is not None and not self.applies(case)):
            return False
        if not self.versions:
            return True
        return version is not None and SpecifierSet(self.versions).contains(version, prereleases=True)

    def describe(self) -> str:
        """One line for reports: the reason, the upstream link and the reproduction."""
        reproduce = f"; reproduce: `{self.reproduce}`" if self.reproduce else ""
        sporadic = "; shows in some samples only" if self.sporadic else ""
        return f"{self.reason} ({self.link}){reproduce}{sporadic}"


@dataclass(frozen=True)
class Target:
    """An implementation under test: a name and a mapping of impls' public names to callables.

    Attributes:
        name: the target's name in reports (``impls``, ``torch``, ``jax``, ``keras-jax``, ...).
        functions: public name -> callable (or constant, or the ``ACTIVATIONS`` mapping), with
            impls' signatures and NumPy arrays in and out.
        versions: package -> version string, for the report header; the framework first (its
            version is the one a :class:`Deviation`'s specifier is matched against).
        deviations: the declared known deviations.
        based_on: the target this one was derived from (mutants), or ``None``.
    """

    name: str
    functions: Mapping[str, Any]
    versions: Mapping[str, str] = field(default_factory=dict)
    deviations: tuple[Deviation, ...] = ()
    based_on: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"target name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "functions", MappingProxyType(dict(self.functions)))
        object.__setattr__(self, "versions", MappingProxyType(dict(self.versions)))

    def __getattr__(self, public_name: str) -> Any:
        if public_name.startswith("__"):
            raise AttributeError(public_name)
        functions = object.__getattribute__(self, "functions")
        try:
            return functions[public_name]
        except KeyError:
            if public_name not in PUBLIC_API:
                raise AttributeError(f"{public_name!r} is not a name of the public API") from None
            name = object.__getattribute__(self, "name")
            raise NotApplicable(f"target {name!r} has no {public_name!r}") from None

    @property
    def framework_version(self) -> str | None:
        """The version of the framework (the first entry of :attr:`versions`), if known."""
        return next(iter(self.versions.values()), None)

    def deviation(self, claim: str, case: Mapping[str, Any]) -> Deviation | None:
        """The first declared deviation covering a check of ``claim`` on ``case``, if any."""
        version = self.framework_version
        return next((d for d in self.deviations if d.covers(claim, case, version)), None)

    @property
    def is_reference(self) -> bool:
        """Whether this is impls itself or derived from it (a mutant): its own API contract applies."""
        return REFERENCE in (self.name, self.based_on)

    def require_reference_api(self, what: str) -> None:
        """Refuse, as not applicable, a test of impls' own API contract on any other target.

        impls' error types and messages, its optimizer-state fields and its bitwise formulas are
        the reference's documented contract, not claims of theory; a framework keeps its own
        conventions there (PyTorch raises ``RuntimeError`` for a bad ``approximate``, ...).

        Args:
            what: the contract the test checks, for the report (``"argument errors"``, ...).

        Raises:
            NotApplicable: this target is neither impls nor derived from it.
        """
        if not self.is_reference:
            raise NotApplicable(
                f"{what} are impls' own API contract, not a claim of theory; {self.name!r} keeps its own"
            )

    def require(self, *public_names: str) -> None:
        """Refuse at once, as not applicable, a test that needs a name this target lacks.

        Call it before costly work: a Hypothesis example that draws samples and only then reaches
        a missing function is rejected late, and Hypothesis tries dozens of examples before it
        gives up (20 s per test against PyTorch, which has no ``layer_norm`` of impls' form).

        Raises:
            NotApplicable: the first of ``public_names`` the target does not supply.
        """
        for public_name in public_names:
            getattr(self, public_name)

    def has(self, *public_names: str) -> bool:
        """Whether the target supplies every one of ``public_names``."""
        return all(n in self.functions for n in public_names)

    def derive(self, name: str, replacements: Mapping[str, Any]) -> Target:
        """A target derived from this one with some public names replaced (e.g. a mutant).

        Args:
            name: the derived target's name.
            replacements: public name -> replacement; every name must exist in this target.

        Returns:
            A new :class:`Target` whose ``based_on`` is this target's name, with no deviations.
        """
        unknown = sorted(set(replacements) - set(self.functions))
        if unknown:
            raise ValueError(f"replacements: target {self.name!r} has no {unknown}")
        if not replacements:
            raise ValueError("replacements: a derived target must replace at least one name")
        return replace(
            self,
            name=name,
            functions={**self.functions, **replacements},
            based_on=self.name,
            deviations=(),
        )

    def __repr__(self) -> str:
        return f"Target({self.name!r}, {len(self.functions)} functions)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a failing case's ``impl`` by name, not field by field."""
        printer.text(repr(self))
