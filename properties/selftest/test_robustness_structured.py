"""Bad input to delta_orthogonal and lsuv: a clear ValueError/TypeError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import impls


@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((3, 5, 3), ValueError, "out >= in"),
        ((3, 3), ValueError, "kernel dimension"),
        ((0, 1, 1), ValueError, "no zero dimension"),
        ("x", TypeError, "weight_shape"),
        ((3, 2, 3.5), TypeError, "weight_shape"),
    ],
)
def test_delta_orthogonal_refuses_bad_shapes(shape, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        impls.delta_orthogonal(shape)


def test_delta_orthogonal_arguments_and_dtypes() -> None:
    with pytest.raises(ValueError, match="gain"):
        impls.delta_orthogonal((4, 2, 3), float("nan"))
    with pytest.raises(TypeError, match="dtype"):
        impls.delta_orthogonal((4, 2, 3), dtype=np.int32)
    with pytest.raises(TypeError, match="rng"):
        impls.delta_orthogonal((4, 2, 3), rng="seed")
    ml_dtypes = pytest.importorskip("ml_dtypes")
    for dtype in (np.float16, ml_dtypes.bfloat16, np.float32):
        w = impls.delta_orthogonal((4, 2, 3, 3), rng=0, dtype=dtype)
        assert w.dtype == dtype and np.count_nonzero(w.astype(np.float64)) <= 8
    np.testing.assert_array_equal(
        impls.delta_orthogonal((4, 2, 3), rng=7), impls.delta_orthogonal((4, 2, 3), rng=7)
    )


def _net() -> tuple[dict[str, np.ndarray], np.ndarray]:
    params = impls.init_mlp([3, 4, 2], impls.orthogonal, rng=0)
    return params, np.random.default_rng(0).standard_normal((8, 3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tol": 0.0}, "tol"),
        ({"tol": 1.5}, "tol"),
        ({"tol": float("nan")}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"max_iter": True}, "max_iter"),
    ],
)
def test_lsuv_refuses_bad_arguments(kwargs: dict, match: str) -> None:
    params, x = _net()
    with pytest.raises(ValueError, match=match):
        impls.lsuv(params, x, "tanh", **kwargs)


def test_lsuv_refuses_bad_batches_and_dead_layers() -> None:
    params, x = _net()
    with pytest.raises(ValueError, match="x must have shape"):
        impls.lsuv(params, x[:1], "tanh")
    with pytest.raises(ValueError, match="x must have shape"):
        impls.lsuv(params, x[:, :2], "tanh")
    with pytest.raises(ValueError, match="cannot be rescaled"):
        impls.lsuv({**params, "W1": np.zeros((4, 3))}, x, "tanh")
    with pytest.raises(ValueError, match="activation"):
        impls.lsuv(params, x, "nope")


def test_lsuv_warns_when_biases_keep_it_from_converging() -> None:
    params, x = _net()
    params["b1"] = np.array([3.0, -3.0, 3.0, -3.0])  # the biases alone have variance 9
    with pytest.warns(UserWarning, match="layer 1"):
        result = impls.lsuv(params, x, "tanh", max_iter=3)
    assert result.rescalings[0] == 3
    assert result.params is not params and params["W1"] is not result.params["W1"]
