"""The streaming simulator (``properties.simulation.stream_networks``) against ``impls``' MLP.

Same weights (each layer's own stream, :func:`streamed_layer`), inputs and top gradient: the
statistics must equal :func:`layer_statistics` of ``impls.forward``/``impls.backward`` up to
rounding, reproduce bit for bit, and not depend on whether the weights were kept or redrawn.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import impls
from properties import simulation as sim
from properties.simulation import LAYER_STATISTICS, stream_networks

WIDTHS = [12, 16, 16, 16, 10]
BATCH = 7
SEED = np.random.SeedSequence(5, spawn_key=(3,))
ACTIVATIONS = ["linear", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "gelu"]
FLOAT64_RTOL = 1e-11
"""float64 (u = 1.1e-16): the two differ only in the order of sums of at most ``batch x width`` =
112 terms (gamma_112 = 1.2e-14), in the one-pass variance (condition ``1 + mean^2 / var`` <= 100
for sigmoid's activations here) and in the Gram form of the weight gradient: 1.2e-12 at most."""


def reference(widths, weight_init, activation, bias_init=None, dtype=np.float64):
    """``impls.forward``/``backward`` on the same parameters, inputs and top gradient."""
    params = {}
    for layer in range(1, len(widths)):
        w, b = sim.streamed_layer(widths, layer, weight_init, SEED, bias_init=bias_init, dtype=dtype)
        params[f"W{layer}"], params[f"b{layer}"] = w, b
    x = sim.streamed_inputs(SEED, BATCH, widths[0]).astype(dtype)
    top = sim.streamed_top(SEED, BATCH, widths[-1]).astype(dtype)
    cache = impls.forward(params, x, activation)
    return sim.layer_statistics(cache, impls.backward(params, cache, top, activation))


@pytest.mark.parametrize(
    ("weights", "biases"),
    [
        pytest.param(impls.kaiming_normal, None, id="he"),
        pytest.param(functools.partial(impls.normal, std=1.0), None, id="exploding-rescaled"),
        pytest.param(impls.xavier_uniform, functools.partial(impls.normal, std=0.3), id="biases"),
    ],
)
def test_streamed_statistics_equal_impls_mlp_on_the_same_weights(weights, biases) -> None:
    runs = stream_networks(
        WIDTHS, weights, [(a, np.float64) for a in ACTIVATIONS], SEED, bias_init=biases, batch=BATCH
    )
    for activation, run in zip(ACTIVATIONS, runs, strict=True):
        expected = reference(WIDTHS, weights, activation, biases)
        for key in LAYER_STATISTICS:
            np.testing.assert_allclose(
                run[key], expected[key], rtol=FLOAT64_RTOL, err_msg=f"{activation} {key}"
            )


def test_streams_reproduce_bit_for_bit_whether_weights_are_kept_or_redrawn() -> None:
    networks = [("tanh", np.float32), ("relu", np.float64), ("gelu", np.float32)]
    kwargs = {"batch": BATCH, "weight_dtype": np.float32}
    first = stream_networks(WIDTHS, impls.orthogonal, networks, SEED, **kwargs)
    again = stream_networks(WIDTHS, impls.orthogonal, networks, SEED, **kwargs)
    redrawn = stream_networks(WIDTHS, impls.orthogonal, networks, SEED, keep_weights_bytes=0, **kwargs)
    for one, two, three in zip(first, again, redrawn, strict=True):
        for key in LAYER_STATISTICS:
            assert np.array_equal(one[key], two[key]) and np.array_equal(one[key], three[key])
    other = stream_networks(WIDTHS, impls.orthogonal, networks, np.random.SeedSequence(6), **kwargs)
    assert not np.array_equal(first[0]["pre"], other[0]["pre"])


def test_rescaled_float32_follows_float64_where_plain_float32_underflows() -> None:
    """ReLU and linear networks with N(0, 0.01^2) weights at width 64: the signal falls by
    0.08 per layer, to 1e-33 at layer 30 and its squares to 1e-66, below float32's 1e-45.
    Rescaled float32 must match float64 within its rounding: per layer a dot product of length n
    has relative error <= gamma_n times its condition (~sqrt(n) for random signs), twice for a
    mean square, added over the layers: ``2 depth n^1.5 u`` (u = 6e-8) = 1.9e-3 here."""
    widths, depth = [64] * 31, 30
    small = functools.partial(impls.normal, std=0.01)
    names = ["relu", "linear"]
    single = stream_networks(
        widths, small, [(a, np.float32) for a in names], SEED, batch=BATCH, weight_dtype=np.float32
    )
    double = stream_networks(
        widths, small, [(a, np.float64) for a in names], SEED, batch=BATCH, weight_dtype=np.float32
    )
    bound = 2 * depth * 64**1.5 * float(np.finfo(np.float32).eps) / 2
    for one, two in zip(single, double, strict=True):
        assert two["pre"][-1] < 1e-60  # far below float32: only the rescaling keeps it
        for key in LAYER_STATISTICS:
            np.testing.assert_allclose(one[key], two[key], rtol=bound, atol=0, err_msg=key)
    plain = reference(widths, small, "relu", dtype=np.float32)
    assert plain["pre"][-1] == 0.0  # impls' float32 network: its squares underflow


def test_overflow_of_a_non_homogeneous_network_is_a_named_error() -> None:
    huge = functools.partial(impls.normal, std=1e3)
    with pytest.raises(ValueError, match=r"layer .* overflow"):
        stream_networks([16] * 12, huge, [("selu", np.float32)], SEED, batch=BATCH)


def test_part_streams_are_distinct_and_fixed_by_the_seed() -> None:
    draws = [sim.part_rng(SEED, *key).standard_normal(3) for key in [(0, 1), (0, 2), (1,), (2,)]]
    assert len({d.tobytes() for d in draws}) == 4
    assert np.array_equal(draws[0], sim.part_rng(SEED, 0, 1).standard_normal(3))


@pytest.mark.parametrize(
    ("widths", "networks", "batch", "message"),
    [
        ([8], [("tanh", np.float64)], 4, "widths"),
        ([8, 0, 8], [("tanh", np.float64)], 4, "widths"),
        ([8, 8], [], 4, "networks"),
        ([8, 8], [("tanh", np.float64)], 0, "batch"),
        ([8, 8], [("nope", np.float64)], 4, "activation"),
    ],
)
def test_bad_input_is_a_named_value_error(widths, networks, batch, message) -> None:
    with pytest.raises(ValueError, match=message):
        stream_networks(widths, impls.kaiming_normal, networks, SEED, batch=batch)
