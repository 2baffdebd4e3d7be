"""Width scaling: SP, NTK and μP parametrizations at initialization and after the first step.

The coordinate checks draw *ladders*: for one training batch (the same at every width), networks
``(d, n, n, k)`` at each width of :data:`WIDTHS` (several at the small widths, so that every
width's mean square is as well estimated as width 128's), one SGD and one Adam step from each,
and the slope of the log RMS change of each layer's pre-activations against the log width. Theory
(:mod:`theory.width_scaling`) gives the exponent; the exact sign test
(:func:`properties.decide.median_band_test`) decides that the ladders' median slope lies within
1/4 of it: half the spacing of the exponents abc-parametrizations produce, so a neighbouring
exponent is rejected, and more than the slope's bias from the finite-width corrections (at most
``slope_bias_bound(WIDTHS, 1, 4) ~ 0.15`` for corrections ``rho / n`` with ``rho <= 4``). Layers
whose next term is only ``n^-1/2`` smaller than the leading one are not checked (their slope over
these widths is biased by up to ~0.25; the benchmark shows them converging). Power: the sign test
catches a law with 99% of its mass beyond one side of the band; the ladders' slopes have a spread
(standard deviation) of at most ~0.11 (measured for all 18 layer cases), so a neighbouring
exponent, 1/4 beyond the band, puts at least ``Phi(0.25 / 0.11) = 0.99`` of them there.

At initialization: NTK and SP compute the same function from the same draws (exact); the NTK's
diagonal has an exact law at every width; μP's readout has 1/n of SP's second moment (exact
moments, checked by a median of means sized by the exact variance).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide, simulation
from properties import strategies as cs
from properties.decide import Context
from theory import finite_width, kernels, width_scaling

WIDTHS = (32, 64, 128, 256)
"""The width ladder of the coordinate checks (power-of-two steps)."""
INPUT_DIM, OUTPUTS, LR = 4, 2, 0.1
"""d, k and the width-independent base learning rate eta."""
GAIN = math.sqrt(2.0)
"""He's gain for the ReLU input and hidden layers."""
BAND = 0.25
"""Half the spacing of the abc exponents (the identification margin)."""
STEP = 1e-4
"""Central-difference step along the update (the network is piecewise linear in it)."""
CHUNK_VALUES = 1 << 21
"""Weights drawn per call when many small networks are stacked into one wide one."""


BATCH = 8
"""Training inputs per step (the changes are measured on the same batch)."""
NETWORKS = {32: 4, 64: 2, 128: 1, 256: 1}
"""Networks averaged per width in one ladder: the mean square over ``networks * width`` units
makes the small widths' sampling fluctuation no larger than width 128's."""


def _mean_square_changes(impl, parametrization: str, width: int, x, u, rng) -> np.ndarray:
    """``(optimizers, [actual, first order], layers)`` mean square changes of the pre-activations
    of one network after one SGD and one Adam step (:func:`properties.simulation.first_steps`)."""
    steps = simulation.first_steps(
        (INPUT_DIM, width, width, OUTPUTS),
        parametrization,
        x,
        u,
        rng,
        optimizers=width_scaling.OPTIMIZERS,
        gain=GAIN,
        lr=LR,
        step=STEP,
        implementation=impl,
    )
    return np.array(
        [[[np.mean(c**2) for c in s.actual], [np.mean(c**2) for c in s.first_order]] for s in steps]
    )


def ladder_slopes(impl, parametrization: str, count: int, rng: np.random.Generator) -> np.ndarray:
    """``(count, optimizers, 2, layers)`` slopes of log RMS change on log width, one per ladder."""
    log_widths = np.log(WIDTHS)
    slopes = []
    for _ in range(count):
        x, u = rng.normal(size=(BATCH, INPUT_DIM)), rng.normal(size=(BATCH, OUTPUTS))
        sizes = [
            0.5
            * np.log(
                np.mean(
                    [_mean_square_changes(impl, parametrization, n, x, u, rng) for _ in range(NETWORKS[n])],
                    axis=0,
                )
            )
            for n in WIDTHS
        ]
        fitted = np.polyfit(log_widths, np.reshape(sizes, (len(WIDTHS), -1)), 1)[0]
        slopes.append(fitted.reshape(np.shape(sizes)[1:]))
    return np.array(slopes)


@pytest.mark.claim("abc-first-update-exponents")
@pytest.mark.parametrize(
    "parametrization",
    [
        pytest.param(p, marks=pytest.mark.claim("mup-coordinate-check")) if p == "mup" else p
        for p in width_scaling.PARAMETRIZATIONS
    ],
)
@given(seed=cs.seeds())
@cs.scaled(1)
def test_first_update_width_exponents(impl, parametrization: str, seed: int) -> None:
    count = decide.sign_test_sample_size()
    slopes = ladder_slopes(impl, parametrization, count, np.random.default_rng(seed))
    assert width_scaling.slope_bias_bound(WIDTHS, 1.0, 4.0) < BAND
    for o, optimizer in enumerate(width_scaling.OPTIMIZERS):
        predicted = width_scaling.first_update_exponents(parametrization, optimizer)
        for layer, size in enumerate(predicted):
            case = {"parametrization": parametrization, "optimizer": optimizer, "layer": layer + 1}
            if parametrization == "mup":
                assert size.exponent == 0.0
                decide.check_median_band(
                    Context("mup-coordinate-check", {**case, "change": "actual"}, seed),
                    lambda n, o=o, layer=layer: slopes[:n, o, 0, layer],
                    -BAND,
                    BAND,
                    n=count,
                )
            if size.gap >= 1:
                decide.check_median_band(
                    Context("abc-first-update-exponents", {**case, "exponent": size.exponent}, seed),
                    lambda n, o=o, layer=layer: slopes[:n, o, 1, layer],
                    size.exponent - BAND,
                    size.exponent + BAND,
                    n=count,
                )


@pytest.mark.claim("ntk-param-same-function-as-sp")
@given(
    widths=st.lists(st.integers(1, 12), min_size=3, max_size=5).map(tuple),
    gain=st.floats(0.1, 3.0),
    batch=st.integers(1, 4),
    seed=cs.seeds(),
)
def test_ntk_and_sp_compute_the_same_function(
    impl, widths: tuple[int, ...], gain: float, batch: int, seed: int
) -> None:
    sp = impl.init_parametrized_mlp(widths, "sp", gain=gain, rng=seed)
    ntk = impl.init_parametrized_mlp(widths, "ntk", gain=gain, rng=seed)
    x = np.random.default_rng(seed).normal(size=(batch, widths[0]))
    ours = impl.parametrized_forward(sp, x, "sp", gain=gain).pre
    theirs = impl.parametrized_forward(ntk, x, "ntk", gain=gain).pre
    for a, b in zip(ours, theirs, strict=True):
        # the two differ only in where the scalar multiplies: a few roundings per dot product
        scale = np.sqrt(np.mean(a * a)) if np.any(a) else 1.0
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * scale * max(widths))


def _stacked(impl, parametrization: str, width: int, count: int, x: np.ndarray, rng) -> tuple:
    """``count`` independent width-``width`` networks ``(d, width, 1)`` drawn as one wide network.

    The input layer's law depends only on d, so the wide network's hidden units are ``count``
    blocks of independent networks' units; the readout's std depends on its fan-in, so each block's
    readout is rescaled to that of a width-``width`` network: by ``count`` for μP's ``1/fan_in``,
    ``sqrt(count)`` for SP's and NTK's ``1/sqrt(fan_in)`` (a wrong exponent in the implementation
    still shows as a factor ``count^(1/2)``).
    """
    wide = count * width
    params = impl.init_parametrized_mlp((x.shape[1], wide, 1), parametrization, gain=GAIN, rng=rng)
    cache = impl.parametrized_forward(params, x, parametrization, gain=GAIN)
    return params, cache, wide


def _chunks(n: int, width: int) -> list[int]:
    per_chunk = max(1, CHUNK_VALUES // (width * (INPUT_DIM + 1)))
    return [min(per_chunk, n - start) for start in range(0, n, per_chunk)]


@pytest.mark.claim("mup-output-variance")
@pytest.mark.parametrize("parametrization", ["sp", "mup"])
@given(width=st.integers(8, 32), seed=cs.seeds())
@cs.scaled(2)
def test_readout_second_moment(impl, parametrization: str, width: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, INPUT_DIM))
    norm2 = float(x[0] @ x[0])
    predicted = width_scaling.readout_second_moment(parametrization, width, norm2, INPUT_DIM)
    rescale = {"mup": 1.0, "sp": 0.5}[parametrization]  # the readout std's exponent of fan_in

    def scaled_squares(n: int) -> np.ndarray:
        out = []
        for count in _chunks(n, width):
            params, cache, _ = _stacked(impl, parametrization, width, count, x, rng)
            hidden = cache.post[1].reshape(count, width)
            readout = params["W2"].reshape(count, width) * count**rescale
            out.append(np.einsum("bj,bj->b", readout, hidden) ** 2 / predicted)
        return np.concatenate(out)

    # f = (||x^1|| / sqrt(n)) c Z given x^1: E (f^2 / E f^2)^2 = 3 E r^2, r = (2/n) chi^2_K
    variance = 3.0 * finite_width.relu_layer_ratio_moment(width, 2) - 1.0
    decide.check_mean(
        Context("mup-output-variance", {"parametrization": parametrization, "width": width}, seed),
        scaled_squares,
        1.0,
        variance,
        relative_effect=0.25,
    )
    if parametrization == "mup":
        sp = width_scaling.readout_second_moment("sp", width, norm2, INPUT_DIM)
        assert predicted * width == pytest.approx(sp, rel=1e-15)


@pytest.mark.claim("ntk-param-kernel-diagonal-law")
@given(width=st.integers(16, 64), seed=cs.seeds())
@cs.scaled(2)
def test_ntk_diagonal_law(impl, width: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, INPUT_DIM))
    kernel = GAIN**2 * float(x[0] @ x[0]) / INPUT_DIM  # Theta(x, x) = g^2 ||x||^2 / d

    def diagonals(n: int) -> np.ndarray:
        out = []
        for count in _chunks(n, width):
            params, cache, wide = _stacked(impl, "ntk", width, count, x, rng)
            grads = impl.parametrized_backward(params, cache, np.ones((1, 1)), "ntk", gain=GAIN).params
            # neuron r's share of the wide kernel times the wide width is its term T_r
            terms = wide * (grads["W2"][0] ** 2 + (grads["W1"] ** 2).sum(axis=1))
            out.append(terms.reshape(count, width).mean(axis=1) / kernel)
        return np.concatenate(out)

    assert kernels.ntk_diagonal_relative_variance(width) == pytest.approx(3.0 / width)
    decide.check_cdf(
        Context("ntk-param-kernel-diagonal-law", {"width": width}, seed),
        diagonals,
        kernels.ntk_diagonal_cdf(width),
        effect=0.05,
        allowance=2.0**-width,  # kstest treats the atom P(K = 0) at 0 as a jump it overstates
    )
