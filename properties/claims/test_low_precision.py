"""Low-precision initialization: float16 underflow and the rounding of float16/bfloat16 draws.

The initializer under test draws in its requested dtype; the predictions come from
:mod:`theory.low_precision` (IEEE parameters, not the dtype objects' own ``finfo``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from properties.sampling import repeated
from theory import distributions, low_precision

ml_dtypes = pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (pip install ml_dtypes)")
DTYPES = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}
BLOCK = 1 << 16
"""Values drawn per initializer call."""


@pytest.mark.claim("float16-subnormal-fraction")
@given(log_std=st.floats(-4.7, -2.7), seed=cs.seeds())
@cs.scaled(3)
def test_float16_subnormal_fraction(impl, log_std: float, seed: int) -> None:
    std = 10.0**log_std
    rng = np.random.default_rng(seed)
    sampler = repeated(
        lambda r: (
            np.abs(impl.normal((BLOCK,), 0.0, std, rng=r, dtype=np.float16).astype(np.float64))
            < low_precision.FLOAT16.smallest_normal
        ),
        rng,
    )
    decide.check_proportion(
        Context("float16-subnormal-fraction", {"std": std}, seed),
        sampler,
        low_precision.subnormal_probability(std),
        effect=0.02,
    )


@pytest.mark.claim("low-precision-rounding-harmless")
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("initializer", ["normal", "xavier_normal"])
@given(log_std=st.floats(-4, 0.5), fan=st.integers(1, 4096), seed=cs.seeds())
@cs.scaled(2)
def test_rounded_draws_keep_their_law(
    impl, dtype: str, initializer: str, log_std: float, fan: int, seed: int
) -> None:
    if initializer == "normal":
        std, shape = 10.0**log_std, (BLOCK,)

        def draw(r: np.random.Generator) -> np.ndarray:
            return impl.normal(shape, 0.0, std, rng=r, dtype=DTYPES[dtype])
    else:
        shape = (max(1, BLOCK // fan), fan)
        std = float(np.sqrt(2.0 / (shape[0] + shape[1])))

        def draw(r: np.random.Generator) -> np.ndarray:
            return impl.xavier_normal(shape, rng=r, dtype=DTYPES[dtype])

    fmt = low_precision.FORMATS[dtype]
    decide.check_cdf(
        Context(
            "low-precision-rounding-harmless", {"initializer": initializer, "dtype": dtype, "std": std}, seed
        ),
        repeated(lambda r: draw(r).astype(np.float64), np.random.default_rng(seed)),
        stats.norm(scale=std),
        allowance=low_precision.rounding_kolmogorov_bound(std, fmt),
    )


SCHEMES = [
    "xavier_uniform",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "pytorch_linear_default",
]
"""The variance-scaling initializers (xavier_normal is checked by low-precision-rounding-harmless)."""


@pytest.mark.claim("low-precision-initializer-laws")
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("scheme", SCHEMES)
@given(fan=st.integers(1, 4096), seed=cs.seeds())
@cs.scaled(2)
def test_initializers_keep_their_law_in_low_precision(
    impl, dtype: str, scheme: str, fan: int, seed: int
) -> None:
    shape = (max(1, BLOCK // fan), fan)
    law = distributions.scheme(scheme, shape)
    std = math.sqrt(law.variance)
    scale = {
        "normal": std,
        "uniform": law.support[1],
        "truncated_normal": std / distributions.TRUNCATED_STD_2SIGMA,
    }[law.family]
    fmt = low_precision.FORMATS[dtype]
    decide.check_cdf(
        Context("low-precision-initializer-laws", {"scheme": scheme, "dtype": dtype, "fan": fan}, seed),
        repeated(
            lambda r: getattr(impl, scheme)(shape, rng=r, dtype=DTYPES[dtype]).astype(np.float64),
            np.random.default_rng(seed),
        ),
        law.frozen,
        allowance=low_precision.law_rounding_kolmogorov_bound(law.family, scale, fmt),
    )
