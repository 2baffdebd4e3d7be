"""Optimizers: hand-computed steps for every option, closed forms, symmetry of updates, purity."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impls.optimizers import Optimizer
from properties import compare, decide
from properties import strategies as cs
from properties.checks import verify_constant_gradient_steps
from properties.decide import Context
from theory import optimizers as theory_opt

ALL = {
    "sgd": lambda impl: impl.sgd(0.1, momentum=0.9),
    "adagrad": lambda impl: impl.adagrad(),
    "rmsprop": lambda impl: impl.rmsprop(),
    "adam": lambda impl: impl.adam(),
    "adamw": lambda impl: impl.adamw(),
}


def run(opt: Optimizer, params, grads_seq):
    state = opt.init(params)
    for g in grads_seq:
        params, state = opt.step(params, g, state)
    return params, state


# --------------------------------------------------------------------------------------------
# Hand-computed steps (reference numbers from Keras's tests and theory_claims.md)
# --------------------------------------------------------------------------------------------


def test_single_steps_by_hand(impl) -> None:
    x, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 6.0, 7.0, 2.0])
    assert np.allclose(run(impl.sgd(0.5), x, [g])[0], [0.5, -1.0, -0.5, 3.0], rtol=0, atol=1e-15)
    # Adam/AdaGrad's first step is lr * g / (|g| + eps); RMSProp's lr * g / (sqrt(1 - a)|g| + eps).
    assert np.allclose(run(impl.adam(0.5), x, [g])[0], x - 0.5 * g / (np.abs(g) + 1e-8), rtol=1e-15)
    assert np.allclose(run(impl.adagrad(0.5), x, [g])[0], x - 0.5 * g / (np.abs(g) + 1e-10), rtol=1e-15)
    assert np.allclose(run(impl.rmsprop(0.5), x, [g])[0], x - 0.5 * g / (0.1 * np.abs(g) + 1e-8), rtol=1e-14)


def test_sgd_options_by_hand(impl) -> None:
    one = np.ones(1)
    # momentum 0.9, dampening 0.5: buf1 = g = 1, buf2 = 0.9 + 0.5 = 1.4: theta = -0.1 - 0.14.
    assert run(impl.sgd(0.1, momentum=0.9, dampening=0.5), np.zeros(1), [one, one])[0][0] == pytest.approx(
        -0.24
    )
    # Nesterov: g + mu * buf; step 1: 1 + 0.9 = 1.9; step 2: buf = 1.9, g' = 1 + 1.71 = 2.71.
    assert run(impl.sgd(0.1, momentum=0.9, nesterov=True), np.zeros(1), [one, one])[0][0] == pytest.approx(
        -0.19 - 0.271
    )
    # weight decay adds wd * p: p = 2, g = 1, wd = 0.5: step 0.1 * 2 = 0.2.
    assert run(impl.sgd(0.1, weight_decay=0.5), 2 * one, [one])[0][0] == pytest.approx(1.8)


def test_adaptive_options_by_hand(impl) -> None:
    one = np.ones(1)
    # AdaGrad with lr_decay: clr_2 = lr / (1 + lr_decay); s = tau + t g^2.
    p, _ = run(
        impl.adagrad(0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0), np.zeros(1), [one, one]
    )
    assert p[0] == pytest.approx(-0.1 / math.sqrt(2) - (0.1 / 1.5) / math.sqrt(3), rel=1e-14)
    # Centered RMSProp: v = (1-a) g^2, m = (1-a) g, denom = sqrt(v - m^2) + eps.
    a = 0.9
    p, _ = run(impl.rmsprop(0.01, alpha=a, centered=True, eps=0.0), np.zeros(1), [one])
    assert p[0] == pytest.approx(-0.01 / math.sqrt((1 - a) - (1 - a) ** 2), rel=1e-12)
    # RMSProp momentum: buf = g / denom; step 2: buf = mu * buf1 + g / denom2.
    p, _ = run(impl.rmsprop(0.01, alpha=a, momentum=0.5, eps=0.0), np.zeros(1), [one, one])
    d1, d2 = math.sqrt(1 - a), math.sqrt(1 - a**2)
    assert p[0] == pytest.approx(-0.01 / d1 - 0.01 * (0.5 / d1 + 1 / d2), rel=1e-12)
    # AdamW decays first: p (1 - lr wd), then the Adam step (lr * sign at step 1, eps = 0).
    p, _ = run(impl.adamw(0.1, weight_decay=0.5, eps=0.0), 2 * one, [one])
    assert p[0] == pytest.approx(2 * (1 - 0.05) - 0.1, rel=1e-14)
    # Adam with coupled decay: g' = g + wd p = 2; step = lr sign(g').
    p, _ = run(impl.adam(0.1, weight_decay=0.5, eps=0.0), 2 * one, [one])
    assert p[0] == pytest.approx(1.9, rel=1e-14)
    # AMSGrad keeps the max of raw v: g = 2 then 1: v1 = 0.004, v2 = 0.004*0.999 + 0.001.
    p, s = run(impl.adam(0.1, amsgrad=True, eps=0.0), np.zeros(1), [2 * one, one])
    v_max = max(0.004, 0.004 * 0.999 + 0.001)
    m2 = 0.9 * 0.2 + 0.1
    step2 = (0.1 / (1 - 0.81)) * m2 / (math.sqrt(v_max) / math.sqrt(1 - 0.999**2))
    assert p[0] == pytest.approx(-0.1 - step2, rel=1e-12)
    assert s.max_exp_avg_sq[0] == pytest.approx(v_max, rel=1e-15)


def test_optimizer_errors(impl) -> None:
    impl.require_reference_api("argument errors")
    with pytest.raises(ValueError, match=re.escape("Invalid learning rate: -1")):
        impl.sgd(-1)
    with pytest.raises(ValueError, match=re.escape("Invalid momentum value: -0.5")):
        impl.sgd(0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        impl.sgd(0.1, nesterov=True)
    with pytest.raises(ValueError, match=re.escape("Invalid beta parameter at index 0: 1.0")):
        impl.adam(betas=(1.0, 0.0))
    with pytest.raises(ValueError, match=re.escape("Invalid beta parameter at index 1: 1.0")):
        impl.adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=re.escape("Invalid weight_decay value: -1")):
        impl.adamw(weight_decay=-1)
    with pytest.raises(ValueError, match=re.escape("Invalid lr_decay value: -0.5")):
        impl.adagrad(lr_decay=-0.5)
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        impl.rmsprop(eps=-1)
    with pytest.raises(ValueError, match=re.escape("Invalid momentum value: -1.0")):
        impl.rmsprop(momentum=-1.0)
    with pytest.raises(ValueError, match="grads must match params' shapes"):
        opt = impl.adam()
        opt.step(np.zeros(2), np.zeros(3), opt.init(np.zeros(2)))
    with pytest.raises(TypeError, match="params must be a float ndarray"):
        impl.sgd(0.1).init([1.0, 2.0])


@pytest.mark.parametrize("name", sorted(ALL))
@given(grads=cs.gradient_sequences(steps=3))
@cs.scaled(10)
def test_steps_are_pure_and_accept_dicts(impl, name: str, grads: np.ndarray) -> None:
    opt = ALL[name](impl)
    params = {"w": np.arange(4.0), "nested": {"b": np.ones(4)}}
    snapshot = {"w": params["w"].copy(), "b": params["nested"]["b"].copy()}
    state, new = opt.init(params), params
    for g in grads:
        grad_tree = {"w": g.copy(), "nested": {"b": -g}}
        g_copy = g.copy()
        new, state = opt.step(new, grad_tree, state)
        assert np.array_equal(g, g_copy)
    assert np.array_equal(params["w"], snapshot["w"]) and np.array_equal(params["nested"]["b"], snapshot["b"])
    single, _ = run(ALL[name](impl), np.arange(4.0), list(grads))
    # A dict leaf follows exactly the array trajectory: impls' bitwise contract (Optax's Adam
    # differs by an ulp between a one-leaf and a two-leaf tree from the first step on).
    assert np.array_equal(new["w"], single) or not impl.is_reference


@pytest.mark.parametrize("name", sorted(ALL))
def test_float32_is_preserved(impl, name: str) -> None:
    p, _ = run(ALL[name](impl), np.ones(3, np.float32), [np.full(3, 0.5, np.float32)] * 2)
    assert p.dtype == np.float32


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@pytest.mark.claim("momentum-zero-is-sgd")
@given(grads=cs.gradient_sequences(steps=20), lr=cs.learning_rates())
def test_momentum_zero_is_gradient_descent(impl, grads: np.ndarray, lr: float) -> None:
    """mu = 0 is plain SGD whatever the dampening: bitwise the implementation's own SGD without
    momentum, and p_t - lr g_t up to rounding. Each step rounds at most twice (the product and
    the sum; a fused multiply-add, as PyTorch's CPU kernel may use, rounds once), so the two
    evaluations differ by at most 2u(|lr g_t| + |p_t+1|) per step, and these add up over steps."""
    p = np.linspace(-1, 1, grads.shape[1])
    with_momentum, _ = run(impl.sgd(lr, momentum=0.0, dampening=0.3), p, grads)
    without, _ = run(impl.sgd(lr), p, grads)
    assert np.array_equal(with_momentum, without)
    plain, bound = p.copy(), np.zeros_like(p)
    u = np.finfo(np.float64).eps / 2
    for g in grads:
        plain = plain + (-lr) * g
        bound += 2 * u * (np.abs(lr * g) + np.abs(plain))
    assert np.all(np.abs(with_momentum - plain) <= bound)
    if impl.is_reference:  # impls evaluates p + (-lr) g with two roundings: bit for bit
        assert np.array_equal(with_momentum, plain)


@pytest.mark.claim("momentum-constant-gradient")
@given(g=st.floats(-10, 10), mu=st.floats(0, 0.99), t=st.integers(1, 60))
def test_momentum_buffer_for_constant_gradient(impl, g: float, mu: float, t: int) -> None:
    _, state = run(impl.sgd(0.1, momentum=mu) if mu > 0 else impl.sgd(0.1), np.zeros(1), [np.array([g])] * t)
    if mu > 0:
        assert state.momentum_buffer[0] == pytest.approx(
            theory_opt.momentum_buffer_constant_gradient(g, mu, t), rel=1e-12, abs=1e-300
        )


@pytest.mark.claim("adam-constant-gradient")
@given(
    g=st.floats(-1e3, 1e3).filter(lambda v: abs(v) > 1e-100),
    eps=st.sampled_from([1e-8, 1e-6, 0.0]),
    lr=cs.learning_rates(),
    b1=cs.decay_rates(0.99),
    b2=cs.decay_rates(0.9999),
    t=st.integers(1, 50),
)
def test_adam_constant_gradient_steps(
    impl, g: float, eps: float, lr: float, b1: float, b2: float, t: int
) -> None:
    verify_constant_gradient_steps(
        lambda: impl.adam(lr, betas=(b1, b2), eps=eps),
        lambda _: theory_opt.adam_constant_gradient_step(lr, g, eps),
        g,
        claim="adam-constant-gradient",
        steps=t,
        case={"lr": lr, "eps": eps, "betas": (b1, b2)},
    )


@pytest.mark.claim("adam-uncorrected-first-step")
@given(g=st.floats(-1e3, 1e3).filter(lambda v: abs(v) > 1e-12), lr=cs.learning_rates())
def test_adam_first_step_without_bias_correction(impl, g: float, lr: float) -> None:
    p, _ = run(impl.adam(lr, bias_correction=False), np.zeros(1), [np.array([g])])
    assert -p[0] == pytest.approx(theory_opt.adam_uncorrected_first_step(lr, g, 0.9, 0.999, 1e-8), rel=1e-12)
    assert theory_opt.adam_uncorrected_first_step(1.0, 1.0, 0.9, 0.999, 0.0) == pytest.approx(
        3.16228, rel=1e-5
    )


@pytest.mark.claim("adam-scale-invariance")
@given(grads=cs.gradient_sequences(steps=8), c=st.floats(1e-3, 1e3))
def test_adam_is_scale_invariant_without_eps(impl, grads: np.ndarray, c: float) -> None:
    grads = grads.copy()
    grads[0][grads[0] == 0] = 1.0  # a non-zero first gradient keeps v > 0 (else 0/0 at eps = 0)
    a, _ = run(impl.adam(0.01, eps=0.0), np.zeros(grads.shape[1]), grads)
    b, _ = run(impl.adam(0.01, eps=0.0), np.zeros(grads.shape[1]), c * grads)
    assert np.allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.claim("adam-step-bound")
@given(grads=cs.gradient_sequences(steps=30), b1=st.floats(0, 0.95), b2=st.floats(0.95, 0.9999))
def test_adam_steps_obey_the_rigorous_bound(impl, grads: np.ndarray, b1: float, b2: float) -> None:
    # eps = 1e-300 only avoids 0/0 for coordinates that have seen no gradient yet.
    opt = impl.adam(1.0, betas=(b1, b2), eps=1e-300, bias_correction=False)
    p, state = np.zeros(grads.shape[1]), opt.init(np.zeros(grads.shape[1]))
    bound = theory_opt.adam_ratio_bound(b1, b2)
    for g in grads:
        new, state = opt.step(p, g, state)
        moving = state.exp_avg_sq > 0
        assert np.all(np.abs(new - p)[moving] <= bound * (1 + 1e-12))
        p = new
    first, _ = run(impl.adam(0.5, eps=0.0), np.zeros(1), [np.array([-3.0])])
    assert first[0] == pytest.approx(0.5, rel=1e-15)


@pytest.mark.claim("seed-adam-update")
@given(grads=cs.gradient_sequences(steps=10), lr=cs.learning_rates())
def test_seed_001_adam_is_pytorch_adam(impl, grads: np.ndarray, lr: float) -> None:
    """Seed 001's Adam, written from its text: v := mu v + (1-mu) g; r := rho r + (1-rho) g^2;
    theta := theta - alpha / (sqrt(r~) + delta) * v~ (mu = 0.9, rho = 0.999, delta = 1e-5)."""
    mu, rho, delta = 0.9, 0.999, 1e-5
    theta, v, r = np.zeros(grads.shape[1]), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        v = mu * v + (1 - mu) * g
        r = rho * r + (1 - rho) * g * g
        theta = theta - lr / (np.sqrt(r / (1 - rho**t)) + delta) * (v / (1 - mu**t))
    ours, _ = run(impl.adam(lr, betas=(mu, rho), eps=delta), np.zeros(grads.shape[1]), grads)
    assert np.allclose(ours, theta, rtol=1e-10, atol=1e-12)


@pytest.mark.claim("seed-rmsprop-update")
@given(grads=cs.gradient_sequences(steps=10), lr=cs.learning_rates(), rho=st.floats(0, 0.999))
def test_seed_001_rmsprop_and_adagrad_are_pytorch(impl, grads: np.ndarray, lr: float, rho: float) -> None:
    delta = 1e-5
    w_rms, w_ada, r_rms, r_ada = (np.zeros(grads.shape[1]) for _ in range(4))
    for g in grads:
        r_rms = rho * r_rms + (1 - rho) * g * g
        w_rms = w_rms - lr / (np.sqrt(r_rms) + delta) * g
        r_ada = r_ada + g * g
        w_ada = w_ada - lr / (np.sqrt(r_ada) + delta) * g
    ours_rms, _ = run(impl.rmsprop(lr, alpha=rho, eps=delta), np.zeros(grads.shape[1]), grads)
    ours_ada, _ = run(impl.adagrad(lr, eps=delta), np.zeros(grads.shape[1]), grads)
    case = {"lr": lr, "rho": rho, "delta": delta, "grads": grads.tolist()}
    for name, ours, seeds in (("rmsprop", ours_rms, w_rms), ("adagrad", ours_ada, w_ada)):
        compare.check_close(
            Context("seed-rmsprop-update", {"optimizer": name, **case}),
            ours,
            seeds,
            rtol=1e-10,
            atol=1e-12,
            derivation="the seed's update, delta outside the root, evaluated in float64",
        )


@pytest.mark.claim("adagrad-rate-non-increasing")
# lr_decay = 0 drawn often: it is the default, and the only value a target without lr_decay has.
@given(grads=cs.gradient_sequences(steps=25), lr=cs.learning_rates(), decay=st.just(0.0) | st.floats(0, 1))
def test_adagrad_effective_rate_never_grows(impl, grads: np.ndarray, lr: float, decay: float) -> None:
    opt = impl.adagrad(lr, lr_decay=decay)
    state, previous = opt.init(np.zeros(grads.shape[1])), np.full(grads.shape[1], np.inf)
    for t, g in enumerate(grads, start=1):
        _, state = opt.step(np.zeros(grads.shape[1]), g, state)
        rate = (lr / (1 + (t - 1) * decay)) / (np.sqrt(state.sum) + 1e-10)
        assert np.all(rate <= previous)
        previous = rate


@pytest.mark.claim("adagrad-constant-gradient")
@given(
    g=st.floats(-100, 100).filter(lambda v: abs(v) > 1e-3),
    lr=cs.learning_rates(),
    t=st.integers(1, 60),
    decay=st.just(0.0) | st.floats(0, 0.5),  # lr_decay = 0 often: the default, and all some targets have
    tau=st.floats(0, 2),
)
def test_adagrad_constant_gradient(impl, g: float, lr: float, t: int, decay: float, tau: float) -> None:
    verify_constant_gradient_steps(
        lambda: impl.adagrad(lr, lr_decay=decay, initial_accumulator_value=tau),
        lambda step: theory_opt.adagrad_constant_gradient_step(lr, g, step, 1e-10, decay, tau),
        g,
        claim="adagrad-constant-gradient",
        steps=t,
        case={"lr": lr, "lr_decay": decay, "tau": tau},
    )


@pytest.mark.claim("rmsprop-constant-gradient")
@given(
    g=st.floats(-100, 100).filter(lambda v: abs(v) > 1e-3),
    lr=cs.learning_rates(),
    alpha=st.floats(0, 0.999),
    t=st.integers(1, 100),
)
def test_rmsprop_constant_gradient(impl, g: float, lr: float, alpha: float, t: int) -> None:
    verify_constant_gradient_steps(
        lambda: impl.rmsprop(lr, alpha=alpha),
        lambda step: theory_opt.rmsprop_constant_gradient_step(lr, g, alpha, step, 1e-8),
        g,
        claim="rmsprop-constant-gradient",
        steps=t,
        case={"lr": lr, "alpha": alpha},
    )


@pytest.mark.claim("rmsprop-constant-gradient")
def test_rmsprop_settles_after_391_steps(impl) -> None:
    assert theory_opt.rmsprop_settling_steps(0.99) == 391
    opt = impl.rmsprop(1.0, eps=0.0)
    p, state, steps = np.zeros(1), opt.init(np.zeros(1)), []
    for _ in range(400):
        new, state = opt.step(p, np.ones(1), state)
        steps.append((p - new)[0])
        p = new
    assert steps[0] == pytest.approx(10.0, rel=1e-12)
    assert steps[389] > 1.01 >= steps[390]  # step 391 is the first within 1% of lr


@pytest.mark.claim("gradient-clipping")
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@given(grads=cs.gradient_sequences(steps=3, size=5), max_norm=st.floats(1e-3, 1e3))
def test_clipping_bounds_the_norm_and_keeps_the_direction(
    impl, grads: np.ndarray, max_norm: float, norm_type: float
) -> None:
    """Parametrized by the norm (not drawn): a target that offers the 2-norm only (optax) is not
    applicable for the others, instead of refusing three examples in four."""
    tree = {"a": grads[0], "b": grads[1:]}
    clipped, total = impl.clip_grad_norm(tree, max_norm, norm_type)
    flat = np.concatenate([grads[0], grads[1:].ravel()])
    expected_total = (
        np.max(np.abs(flat))
        if math.isinf(norm_type)
        else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    )
    assert total == pytest.approx(expected_total, rel=1e-12, abs=1e-300)
    new_flat = np.concatenate([clipped["a"], clipped["b"].ravel()])
    new_norm = (
        np.max(np.abs(new_flat))
        if math.isinf(norm_type)
        else np.sum(np.abs(new_flat) ** norm_type) ** (1 / norm_type)
    )
    assert new_norm <= max_norm * (1 + 1e-12)
    case = {"max_norm": max_norm, "total": float(total), "norm_type": norm_type}
    compare.check_close(
        Context("gradient-clipping", {**case, "of": "norm", "rtol": 1e-9}),
        new_norm,
        theory_opt.clipped_norm(total, max_norm),
        rtol=1e-9,
        atol=1e-300,
        derivation="N min(1, max_norm / (N + 1e-6)), in float64",
    )
    scale = min(1.0, max_norm / (total + 1e-6))
    compare.check_close(
        Context("gradient-clipping", {**case, "of": "direction", "rtol": 1e-15}),
        new_flat,
        scale * flat,
        rtol=1e-15,
        derivation="g min(1, max_norm / (N + 1e-6)): one rounding",
    )
    assert np.array_equal(impl.clip_grad_value(grads, 0.5), np.clip(grads, -0.5, 0.5))


@pytest.mark.claim("adam-bias-correction-unbiased")
@given(mean=st.floats(-2, 2), std=st.floats(0.1, 3), t=st.integers(1, 30), seed=cs.seeds())
@cs.scaled(3)
def test_adam_bias_corrected_moments_are_unbiased(impl, mean: float, std: float, t: int, seed: int) -> None:
    """Run many independent Adam trajectories on N(mean, std^2) gradients (vectorised: one
    coordinate per run) and check E[m^_t] = E[g] (and E[m_t] = (1 - b1^t) E[g])."""
    rng = np.random.default_rng(seed)
    b1, b2 = 0.9, 0.999
    # m^_t = sum_i w_i g_i with sum w_i = 1 and sum w_i^2 <= 1: Var m^_t <= std^2.
    weights = (1 - b1) * b1 ** np.arange(t - 1, -1, -1) / (1 - b1**t)
    variance = std**2 * float(np.sum(weights**2))

    def corrected_first_moments(n: int) -> np.ndarray:
        opt = impl.adam(1.0, betas=(b1, b2))
        state = opt.init(np.zeros(n))
        for _ in range(t):
            _, state = opt.step(np.zeros(n), rng.normal(mean, std, n), state)
        return state.exp_avg / (1 - b1**t)

    decide.check_mean(
        Context("adam-bias-correction-unbiased", {"mean": mean, "std": std, "t": t}, seed),
        corrected_first_moments,
        mean,
        variance,
        effect=0.05 * std,
    )
    assert theory_opt.adam_first_moment_expectation(mean, b1, t) == pytest.approx(mean * (1 - b1**t))
