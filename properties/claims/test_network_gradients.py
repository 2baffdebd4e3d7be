"""The network's input gradient, Jacobian and parameters against central finite differences.

Cases the backward test does not reach: an output activation other than the hidden one, a
square first layer (where ``W1`` and ``W1^T`` have the same shape), the bias initializer.
Central differences in float64 with step 1e-6 are accurate to ~1e-9 here.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

CASES = [("tanh", "sigmoid", [4, 4, 3]), ("relu", "softplus", [3, 3, 5, 2]), ("gelu", "linear", [5, 4, 4])]


def _params(impl, widths: list[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    bias = functools.partial(impl.normal, std=0.3)
    return impl.init_mlp(widths, impl.xavier_normal, bias, rng=rng)


@pytest.mark.parametrize(("hidden", "output", "widths"), CASES)
def test_input_gradient_and_jacobian_match_finite_differences(
    impl, hidden: str, output: str, widths: list
) -> None:
    params = _params(impl, widths, 1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, widths[0]))
    top = rng.normal(size=(3, widths[-1]))

    def objective(inputs: np.ndarray) -> float:
        return float(np.sum(top * impl.forward(params, inputs, hidden, output).post[-1]))

    cache = impl.forward(params, x, hidden, output)
    backward = impl.backward(params, cache, top, hidden, output)
    grad = impl.input_gradient(params, backward)
    h = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        numeric[index] = (objective(x + step) - objective(x - step)) / (2 * h)
    assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-8)

    point = x[0]
    jac = impl.jacobian(params, point, hidden, output)
    columns = []
    for j in range(point.size):
        step = np.zeros_like(point)
        step[j] = h
        plus = impl.forward(params, (point + step)[None], hidden, output).post[-1][0]
        minus = impl.forward(params, (point - step)[None], hidden, output).post[-1][0]
        columns.append((plus - minus) / (2 * h))
    assert np.allclose(jac, np.stack(columns, axis=1), rtol=1e-6, atol=1e-8)


def test_forward_uses_biases_and_the_output_activation(impl) -> None:
    params = _params(impl, [3, 4, 2], 4)
    x = np.random.default_rng(5).normal(size=(2, 3))
    hidden = np.tanh(x @ params["W1"].T + params["b1"])
    logits = hidden @ params["W2"].T + params["b2"]
    assert np.any(params["b1"] != 0)  # bias_init was used
    assert np.allclose(impl.forward(params, x, "tanh", "sigmoid").post[-1], 1 / (1 + np.exp(-logits)))
