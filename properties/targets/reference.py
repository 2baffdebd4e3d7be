"""The default target: :mod:`impls`, the reference NumPy implementations."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import numpy as np

import impls
from properties.targets.base import Target

ACTIVATION_NAMES: tuple[str, ...] = tuple(sorted(impls.ACTIVATIONS))
"""The activation names the claims are stated for (impls' registry); a target may lack some."""


def target() -> Target:
    """impls' whole public API (``impls.__all__``) as a :class:`Target` named ``impls``."""
    try:
        own = version("initcheck")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        own = "source"
    return Target(
        "impls",
        {name: getattr(impls, name) for name in impls.__all__},
        versions={"initcheck": own, "numpy": np.__version__},
    )
