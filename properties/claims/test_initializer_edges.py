"""Initializers at the edges the law tests reach only by chance: dtypes of the fills, wide
orthogonal matrices, the zero pattern of sparse across columns, every variance-scaling mode's
uniform bound, and truncated normals whose bounds are hit by float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from properties import compare, decide
from properties.checks import orthogonality_bound, verify_truncated_support
from properties.decide import Context
from properties.sampling import Calls, repeated
from properties.targets import NotApplicable
from theory import fans


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deterministic_initializers_keep_their_dtype(impl, dtype: type) -> None:
    filled = {
        "zeros": impl.zeros((2, 3), dtype=dtype),
        "ones": impl.ones((2, 3), dtype=dtype),
        "constant": impl.constant((2, 3), 0.5, dtype=dtype),
        "eye": impl.eye((2, 3), dtype=dtype),
        "dirac": impl.dirac((2, 2, 3), dtype=dtype),
    }
    for name, w in filled.items():
        assert w.dtype == dtype, name
    assert np.array_equal(filled["ones"], np.ones((2, 3))) and not filled["zeros"].any()


@pytest.mark.claim("orthogonal-identity")
@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 2, 2), (1, 5), (7, 3), (6, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_rows_or_columns_are_orthonormal(impl, shape: tuple, gain: float, dtype: type) -> None:
    """Wide matrices (rows < cols, conv kernels included) need orthonormal rows, not columns."""
    w = impl.orthogonal(shape, gain, rng=3, dtype=dtype)
    assert w.dtype == dtype and w.shape == shape
    flat = w.reshape(shape[0], -1).astype(np.float64)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    tolerance = orthogonality_bound(max(rows, cols), dtype) * gain**2
    assert np.allclose(gram, gain**2 * np.eye(min(rows, cols)), rtol=0, atol=tolerance)


@pytest.mark.claim("sparse-structure")
@pytest.mark.parametrize(("rows", "cols", "sparsity"), [(4, 3, 0.5), (5, 2, 0.2)])
def test_sparse_zero_rows_are_drawn_afresh_for_every_column(
    impl, rows: int, cols: int, sparsity: float
) -> None:
    """PyTorch's rule: each column's ceil(sparsity rows) zero rows are a uniform subset, drawn
    independently per column, so two columns share their zero rows with probability 1/C(rows, k)."""
    zeros = math.ceil(sparsity * rows)
    seed = rows * 100 + cols
    rng = np.random.default_rng(seed)

    def same_rows(count: int) -> np.ndarray:
        same = np.empty(count, dtype=bool)
        for i in range(count):
            w = impl.sparse((rows, cols), sparsity, rng=rng)
            assert np.all(np.count_nonzero(w == 0, axis=0) == zeros)
            same[i] = np.array_equal(w[:, 0] == 0, w[:, 1] == 0)
        return same

    decide.check_proportion(
        Context("sparse-structure", {"shape": (rows, cols), "sparsity": sparsity}, seed),
        same_rows,
        1 / math.comb(rows, zeros),
        effect=0.05,
    )


@pytest.mark.claim("variance-scaling-modes")
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize(("shape", "layout"), [((64, 4, 3, 3), "torch"), ((3, 3, 4, 64), "keras")])
def test_variance_scaling_uniform_reaches_its_bound(impl, shape: tuple, layout: str, mode: str) -> None:
    """U(-l, l) with l = sqrt(3 scale / n): every |w| <= l, and the largest of m draws is above
    l (1 - delta) except with probability (1 - delta)^m = exp(-65) for delta = 1e-3, m = 65,536,
    so an n off by more than 0.2% fails (fans 36 and 576 separate the four modes by 1.6x-16x).
    """
    fan_in, fan_out = fans.fans(shape, layout)
    n = {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]
    bound = math.sqrt(3 * 0.7 / n)
    rng = np.random.default_rng(5)
    sampler = repeated(Calls(impl.variance_scaling, shape, 0.7, mode, "uniform", layout), rng)
    largest = float(np.max(np.abs(sampler(65_536))))
    assert largest <= bound * (1 + 1e-15), (largest, bound)  # the support, exactly
    compare.check_close(
        Context("variance-scaling-modes", {"shape": shape, "layout": layout, "mode": mode}, 5),
        largest,
        bound,
        rtol=1e-3,
        rule="max-of-uniform",
        derivation="P(max |w| < l (1 - 1e-3)) = (1 - 1e-3)^65536 = exp(-65)",
        false_fail=math.exp(-65),
    )


@pytest.mark.claim("truncated-normal-support")
@pytest.mark.parametrize(
    ("mean", "std", "low", "high"),
    [
        # Symmetric bounds of 3 subnormal steps: float32 rounds ~1% of draws onto a bound.
        (0.0, 2.0**-149, -3 * 2.0**-149, 3 * 2.0**-149),
        # (1, 1 + 3 ulp) around its middle: rounding lands on a bound a third of the time.
        (1.0 + 1.5 * 2.0**-23, 2.0**-23, 1.0, 1.0 + 3 * 2.0**-23),
    ],
)
def test_truncated_normal_bounds_hit_by_float32_rounding_are_rejected(
    impl, mean: float, std: float, low: float, high: float
) -> None:
    # The case does reach the bounds: the untruncated float32 draw hits them. A target whose
    # float32 arithmetic never reaches them (JAX on CPU flushes subnormals to zero) cannot be
    # checked by this case; impls must reach them.
    raw = impl.normal((64, 33), mean, std, rng=0, dtype=np.float32)
    reached = bool(np.any((raw == np.float32(low)) | (raw == np.float32(high))))
    if not reached and not impl.is_reference:
        raise NotApplicable(f"{impl.name}'s float32 normal draw never reaches the bounds of this case")
    assert reached
    w = impl.truncated_normal((64, 33), mean, std, low, high, rng=0, dtype=np.float32)
    assert w.dtype == np.float32
    case = {"mean": mean, "std": std, "a": low, "b": high, "dtype": "float32", "seed": 0, "shape": [64, 33]}
    verify_truncated_support(w, low, high, case)
