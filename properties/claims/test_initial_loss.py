"""The loss at initialization with Gaussian logits, and the softmax's saturation (statistical).

Theory's values are exact integrals (:mod:`theory.initial_loss`); the implementation under test
computes the per-sample cross-entropy and the softmax of logits drawn with NumPy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from properties.sampling import repeated
from theory import initial_loss

ROWS = 4096
"""Logit vectors per implementation call."""


@pytest.mark.claim("gaussian-logits-cross-entropy")
@given(classes=st.integers(2, 16), std=st.floats(1.0, 3.0), seed=cs.seeds())
@example(classes=2, std=1.0, seed=0)
@cs.scaled(2)
def test_expected_cross_entropy_of_gaussian_logits(impl, classes: int, std: float, seed: int) -> None:
    """Mean per-sample CE against the exact integral.

    Variance bound: CE = f(s Z) with ``|grad_z f|^2 = s^2 |softmax - e_y|^2 <= 2 s^2``; the
    Gaussian Poincare inequality gives ``Var CE <= 2 s^2``. Effect: ``0.1 s`` (the sample size
    is then the same at every s), below the ``s^2 / (2K)`` that separates the exact value from
    ``ln K + s^2/2`` at K = 2 (``s^2 / 4``).
    """
    rng = np.random.default_rng(seed)

    def losses(r: np.random.Generator) -> np.ndarray:
        logits = r.normal(0.0, std, (ROWS, classes))
        target = r.integers(0, classes, ROWS)
        return impl.cross_entropy(logits, target, reduction="none")

    expected = initial_loss.gaussian_logits_cross_entropy(classes, std)
    decide.check_mean(
        Context("gaussian-logits-cross-entropy", {"classes": classes, "std": std}, seed),
        repeated(losses, rng),
        expected,
        2 * std**2,
        effect=0.1 * std,
    )
    if classes == 2:  # the large-K form is off by more than the effect the check catches
        assert abs(expected - (math.log(2) + std**2 / 2)) > 0.1 * std


@pytest.mark.claim("gaussian-logits-softmax-saturation")
@given(classes=st.integers(2, 64), std=st.floats(0.25, 3.75), seed=cs.seeds())
@cs.scaled(2)
def test_softmax_saturation_of_gaussian_logits(impl, classes: int, std: float, seed: int) -> None:
    """Mean largest softmax probability against the exact integral (Bernstein: values in [1/K, 1])."""
    rng = np.random.default_rng(seed)

    def largest(r: np.random.Generator) -> np.ndarray:
        return np.max(impl.softmax(r.normal(0.0, std, (ROWS, classes)), axis=-1), axis=-1)

    expected = initial_loss.gaussian_logits_max_softmax(classes, std)
    decide.check_mean(
        Context("gaussian-logits-softmax-saturation", {"classes": classes, "std": std}, seed),
        repeated(largest, rng),
        expected,
        0.25,
        spread=max(expected - 1 / classes, 1 - expected),
        effect=0.02,
    )
    # Saturation: theory's value is increasing in s, from 1/K towards 1.
    assert 1 / classes < expected < initial_loss.gaussian_logits_max_softmax(classes, std + 0.25) < 1
