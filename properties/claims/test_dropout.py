"""Dropout: the mean is kept and the second moment is multiplied by 1/(1 - p) (Bernstein).

Each sample is ``dropout(x)^2 / x^2`` for one entry, in ``{0, 1/(1 - p)^2}``: bounded, so the
mean check is Bernstein's with the exact variance ``1/(1 - p)^3 - 1/(1 - p)^2``; the kept entries
are exactly ``x / (1 - p)`` and the dropped ones exactly 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from properties.sampling import repeated
from theory import normalization

BLOCK = 1 << 16


@pytest.mark.claim("dropout-second-moment")
@given(p=st.floats(0.05, 0.9), seed=cs.seeds())  # p = 0 and 1 are exact, below
@cs.scaled(3)
def test_dropout_second_moment(impl, p: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=BLOCK) * rng.choice([-1.0, 1.0], size=BLOCK)
    factor = normalization.dropout_second_moment_factor(p)
    y = impl.dropout(x, p, rng=rng)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] * factor, rtol=4 * np.finfo(float).eps, atol=0)
    decide.check_mean(
        Context("dropout-second-moment", {"p": p}, seed),
        repeated(lambda r: (impl.dropout(x, p, rng=r) / x) ** 2, rng),
        factor,
        factor**3 - factor**2,
        effect=0.05 * factor,
        spread=max(factor**2 - factor, factor),
    )


def test_dropout_edges_are_exact(impl) -> None:
    """p = 0 is the identity, p = 1 zeros (PyTorch's contract; no claim of the registry)."""
    x = np.linspace(-2.0, 2.0, 9)
    assert np.array_equal(impl.dropout(x, 0.0, rng=0), x)
    assert np.array_equal(impl.dropout(x, 1.0, rng=0), np.zeros_like(x))
