"""Load targets from a spec: ``impls``, ``torch``, ``jax``, ``keras-jax``, ``keras-torch``, ``all``,
or ``package.module:object`` for a user's own adapter; several joined by commas.

A framework that is not installed, a module that cannot be imported, an object that is not a
:class:`Target` (or a function returning one) all raise a :class:`TargetError` (a ``ValueError``)
naming the spec and what to do. Keras fixes its backend per process, so ``keras-jax`` and
``keras-torch`` cannot both be loaded in one process: :func:`process_groups` splits a list of
names into groups that can.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence

from properties.targets.base import Target

BUILTIN = ("impls", "torch", "jax", "keras-jax", "keras-torch")
"""Every built-in target name; ``all`` means all of them."""

EXTRAS = {"torch": "torch", "jax": "jax", "jaxlib": "jax", "optax": "jax", "keras": "keras"}
"""Top-level module -> the optional-dependency extra that installs it (``pip install initcheck[...]``)."""

_USER_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class TargetError(ValueError):
    """A target spec that cannot be loaded (unknown name, missing framework, bad user object)."""


def _builtin(name: str) -> Target:
    loaders: dict[str, Callable[[], Target]] = {
        "impls": lambda: importlib.import_module("properties.targets.reference").target(),
        "torch": lambda: importlib.import_module("properties.targets.torch").target(),
        "jax": lambda: importlib.import_module("properties.targets.jax").target(),
        "keras-jax": lambda: importlib.import_module("properties.targets.keras").target("jax"),
        "keras-torch": lambda: importlib.import_module("properties.targets.keras").target("torch"),
    }
    try:
        return loaders[name]()
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        extra = EXTRAS.get(missing, "frameworks")
        raise TargetError(
            f"target {name!r} needs {missing!r}, which is not installed: "
            f"pip install 'initcheck[{extra}]' (or 'initcheck[frameworks]')"
        ) from error
    except RuntimeError as error:  # Keras already imported on another backend
        raise TargetError(f"target {name!r}: {error}") from error


def _user(spec: str) -> Target:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise TargetError(f"target {spec!r}: cannot import module {module_name!r} ({error})") from error
    try:
        found = getattr(module, attribute)
    except AttributeError:
        raise TargetError(f"target {spec!r}: module {module_name!r} has no attribute {attribute!r}") from None
    if callable(found) and not isinstance(found, Target):
        found = found()
    if not isinstance(found, Target):
        raise TargetError(
            f"target {spec!r}: {attribute!r} must be a properties.targets.Target or a function returning "
            f"one, got {type(found).__name__}"
        )
    return found


def names(spec: str) -> list[str]:
    """The target names of a comma-separated ``spec``, ``all`` expanded, duplicates dropped.

    Raises:
        TargetError: an empty spec or an entry that is neither a built-in name nor ``module:object``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError(f"target spec must be a non-empty string, got {spec!r}")
    found: list[str] = []
    for entry in (part.strip() for part in spec.split(",")):
        expanded = list(BUILTIN) if entry == "all" else [entry]
        for name in expanded:
            if name not in BUILTIN and not _USER_SPEC.match(name):
                raise TargetError(
                    f"unknown target {name!r}: use one of {', '.join((*BUILTIN, 'all'))} "
                    f"or 'package.module:object' for your own adapter"
                )
            if name not in found:
                found.append(name)
    return found


def load(spec: str) -> Target:
    """Load one target: a built-in name or ``package.module:object``.

    Raises:
        TargetError: see the module docstring.
    """
    selected = names(spec)
    if len(selected) != 1:
        raise TargetError(f"load() takes one target, got {spec!r}: use load_all()")
    name = selected[0]
    return _builtin(name) if name in BUILTIN else _user(name)


def load_all(spec: str) -> list[Target]:
    """Load every target of a comma-separated spec (``all`` included), in order.

    All of them must be loadable in this process: a spec holding both Keras backends raises a
    :class:`TargetError`; split it with :func:`process_groups` and load each group in its own
    process.
    """
    selected = names(spec)
    groups = process_groups(selected)
    if len(groups) > 1:
        raise TargetError(
            f"targets {selected} cannot share one process (Keras fixes its backend per process); "
            f"run these separately: {' | '.join(','.join(g) for g in groups)}"
        )
    return [load(name) for name in selected]


def split_for_this_process(spec: str) -> tuple[list[str], list[str]]:
    """The targets of ``spec`` this process runs, and those that need a run of their own.

    This process runs the first group of :func:`process_groups` (every target but a second Keras
    backend); the others (``keras-torch`` in ``all``) each run in a process of their own
    (:mod:`properties.own_process`).

    Raises:
        TargetError: see :func:`names`.
    """
    groups = process_groups(names(spec))
    return groups[0], [name for group in groups[1:] for name in group]


def own_run_line(left_out: Sequence[str]) -> str:
    """One line saying which targets did not run in their own process, and the command for each."""
    commands = ", ".join(f"`pytest --target {name}`" for name in left_out)
    return (
        f"{', '.join(left_out)} not run: Keras fixes its backend per process, so "
        f"{'it runs' if len(left_out) == 1 else 'each runs'} in a process of its own alongside the "
        f"main run, which stopped early and stopped it too; run {'it' if len(left_out) == 1 else 'each'} "
        f"alone: {commands}"
    )


def process_groups(selected: Sequence[str]) -> list[list[str]]:
    """Split target names into groups that can each be loaded in one process.

    Every group holds at most one Keras backend; the other targets go with the first group.
    ``["impls", "torch", "jax", "keras-jax", "keras-torch"]`` gives
    ``[["impls", "torch", "jax", "keras-jax"], ["keras-torch"]]``.
    """
    keras = [n for n in selected if n.startswith("keras-")]
    others = [n for n in selected if not n.startswith("keras-")]
    if not keras:
        return [others]
    return [others + keras[:1], *([k] for k in keras[1:])]
