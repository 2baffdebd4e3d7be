"""Hypothesis strategies for the *case* of a check: shapes, layouts, parameters and a seed.

They never produce a statistical sample (Hypothesis deliberately does not generate typical
data); the sample is drawn by NumPy from the ``seed`` a strategy yields.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BASE_EXAMPLES = 10
"""max_examples of the ``dev`` and ``ci`` profiles, the unit of :func:`scaled`."""

MAX_ELEMENTS = 1 << 18
"""Largest tensor a case draws; bigger shapes are shrunk along their larger channel axis."""


NO_SHRINK = tuple(phase for phase in Phase if phase is not Phase.shrink)
"""Every phase but shrinking (explicit examples first, then generated ones)."""


def scaled(examples: int) -> settings:
    """Settings asking for ``examples`` under ``dev``/``ci``, in proportion under other profiles.

    Statistical tests draw hundreds of thousands of values per example, so they ask for fewer
    examples than the profile's default; ``thorough`` multiplies and ``quick`` divides them.
    They do not shrink: each shrinking step reruns a whole check (a failing LeCun law spent 349 s
    shrinking), and a smaller shape or seed is no simpler for a statistical defect. The failure
    reports the first failing case Hypothesis met, pinned ``@example`` cases (the smallest and
    the narrow regimes) first, and the check's message names its case, ``n`` and seed, so the
    output alone replays it.
    """
    factor = settings().max_examples / BASE_EXAMPLES
    return settings(max_examples=max(1, round(examples * factor)), phases=NO_SHRINK)


def seeds() -> st.SearchStrategy[int]:
    """A seed for ``np.random.default_rng`` (printed with the failing case, replays exactly)."""
    return st.integers(0, 2**32 - 1)


def dtypes() -> st.SearchStrategy[type]:
    """float32 or float64."""
    return st.sampled_from([np.float32, np.float64])


def layouts() -> st.SearchStrategy[str]:
    """``"torch"`` ``(out, in, *k)`` or ``"keras"`` ``(*k, in, out)``."""
    return st.sampled_from(["torch", "keras"])


def _cap(channels: tuple[int, int], kernel: tuple[int, ...]) -> tuple[int, int]:
    out_c, in_c = channels
    while out_c * in_c * math.prod(kernel) > MAX_ELEMENTS:
        if out_c >= in_c:
            out_c = max(1, out_c // 2)
        else:
            in_c = max(1, in_c // 2)
    return out_c, in_c


@st.composite
def weight_shapes(
    draw: st.DrawFn, min_dims: int = 2, max_dims: int = 5, layout: str = "torch", max_channels: int = 4096
) -> tuple[int, ...]:
    """Weight shapes of ``min_dims`` to ``max_dims`` dims in ``layout`` (1-D: a bias vector).

    Dense or conv (1 to 3 kernel dims of size 1 to 7); channels from 1 to ``max_channels`` with
    extreme aspect ratios; at most :data:`MAX_ELEMENTS` elements.
    """
    dims = draw(st.integers(min_dims, max_dims))
    if dims == 1:
        return (draw(st.integers(1, max_channels)),)
    kernel = tuple(draw(st.lists(st.integers(1, 7), min_size=dims - 2, max_size=dims - 2)))
    channels = (draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels)))
    out_c, in_c = _cap(channels, kernel)
    return (out_c, in_c, *kernel) if layout == "torch" else (*kernel, in_c, out_c)


@st.composite
def shaped_cases(draw: st.DrawFn, min_dims: int = 2, max_dims: int = 5) -> dict[str, object]:
    """A layout and a weight shape in it."""
    layout = draw(layouts())
    return {"layout": layout, "shape": draw(weight_shapes(min_dims, max_dims, layout))}


def gains() -> st.SearchStrategy[float]:
    """Positive gains, including PyTorch's table values."""
    return st.one_of(st.sampled_from([1.0, 5 / 3, math.sqrt(2), 0.75]), st.floats(0.1, 4.0, allow_nan=False))


def slopes() -> st.SearchStrategy[float]:
    """Negative slopes of leaky rectifiers, in [0, 1]."""
    return st.one_of(st.just(0.0), st.just(0.01), st.just(math.sqrt(5)), st.floats(0.0, 1.0))


def finite_floats(bound: float = 1e300) -> st.SearchStrategy[float]:
    """Finite doubles, including extremes."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def finite_arrays(
    min_side: int = 1, max_side: int = 8, bound: float = 1e300, dtype: type = np.float64
) -> st.SearchStrategy[np.ndarray]:
    """Small arrays of finite values (inputs of exact identities, never statistical samples)."""
    width: Literal[32, 64] = 32 if dtype == np.float32 else 64
    return hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=min_side, max_side=max_side),
        elements=st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=width),
    )


def learning_rates() -> st.SearchStrategy[float]:
    """Learning rates from 1e-4 to 1."""
    return st.floats(1e-4, 1.0)


def decay_rates(high: float = 0.999) -> st.SearchStrategy[float]:
    """Exponential-decay rates (betas, alpha, momentum) in [0, high]."""
    return st.one_of(st.sampled_from([0.0, 0.9, 0.99, high]), st.floats(0.0, high))


def gradient_sequences(steps: int = 6, size: int = 4, bound: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    """A (steps, size) array of gradients, including zeros and sign changes.

    Magnitudes below 1e-100 are mapped to 0: their squares underflow in float64, which makes
    ``g / sqrt(v)`` meaningless for every adaptive optimizer, in PyTorch as here.
    """
    element = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    return hnp.arrays(
        np.float64, (steps, size), elements=element.map(lambda v: 0.0 if abs(v) < 1e-100 else v)
    )
