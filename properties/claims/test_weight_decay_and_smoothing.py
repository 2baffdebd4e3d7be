"""Decoupled weight decay against L2 (exact first steps), and label smoothing's optimal logit gap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import strategies as cs
from theory import initial_loss, weight_decay

VALUES = st.floats(-10, 10).filter(lambda v: abs(v) > 1e-3)
RTOL = 1e-12


@pytest.mark.claim("sgd-l2-equals-decoupled-decay")
@given(p=VALUES, g=VALUES, lr=cs.learning_rates(), decay=st.floats(0, 1))
def test_sgd_l2_is_decoupled_decay(impl, p: float, g: float, lr: float, decay: float) -> None:
    opt = impl.sgd(lr, weight_decay=decay)
    new, _ = opt.step(np.array([p]), np.array([g]), opt.init(np.array([p])))
    assert new[0] == pytest.approx(weight_decay.sgd_decoupled_step(p, g, lr, decay), rel=RTOL, abs=1e-300)
    assert new[0] == pytest.approx(weight_decay.sgd_l2_step(p, g, lr, decay), rel=RTOL, abs=1e-300)


@pytest.mark.claim("adam-l2-differs-from-adamw")
@given(p=VALUES, g=VALUES, lr=cs.learning_rates(), decay=st.floats(1e-3, 1))
def test_adam_l2_and_adamw_first_steps(impl, p: float, g: float, lr: float, decay: float) -> None:
    eps = 1e-8
    params = np.array([p])
    adam = impl.adam(lr, eps=eps, weight_decay=decay)
    adamw = impl.adamw(lr, eps=eps, weight_decay=decay)
    l2, _ = adam.step(params, np.array([g]), adam.init(params))
    decoupled, _ = adamw.step(params, np.array([g]), adamw.init(params))
    assert l2[0] == pytest.approx(weight_decay.adam_l2_first_step(p, g, lr, decay, eps), rel=RTOL)
    assert decoupled[0] == pytest.approx(weight_decay.adamw_first_step(p, g, lr, decay, eps), rel=RTOL)


@pytest.mark.claim("label-smoothing-optimal-gap")
@given(
    classes=st.integers(2, 50),
    epsilon=st.floats(0.01, 1.0),
    target=st.integers(0, 49),
    shift=st.floats(-5, 5),
)
def test_label_smoothing_gradient_vanishes_at_the_optimal_gap(
    impl, classes: int, epsilon: float, target: int, shift: float
) -> None:
    target %= classes
    gap = initial_loss.label_smoothing_optimal_gap(classes, epsilon)
    logits = np.full((1, classes), shift)
    logits[0, target] += gap
    grad = impl.cross_entropy_grad(logits, np.array([target]), label_smoothing=epsilon)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    if epsilon < 1:  # away from the optimum the gradient on the target's logit has the gap's sign
        logits[0, target] += 0.5
        assert impl.cross_entropy_grad(logits, np.array([target]), label_smoothing=epsilon)[0, target] > 0


@pytest.mark.claim("adamw-decay-multiplied-by-lr")
@given(
    grads=cs.gradient_sequences(),
    start=st.lists(VALUES, min_size=4, max_size=4),
    rates=st.lists(cs.learning_rates(), min_size=6, max_size=6),
    decay=st.floats(1e-3, 1),
    decoupled_adam=st.booleans(),
)
def test_adamw_decay_is_multiplied_by_the_current_lr(
    impl, grads: np.ndarray, start: list[float], rates: list[float], decay: float, decoupled_adam: bool
) -> None:
    """p_t = p_{t-1} (1 - lr_t decay) + (Adam's own step on the same gradients), lr changed per step."""
    lr_w, lr_a = np.array(rates[0]), np.array(rates[0])  # 0-d arrays: read at every step
    decoupled = (
        impl.adam(lr_w, weight_decay=decay, decoupled_weight_decay=True)
        if decoupled_adam
        else impl.adamw(lr_w, weight_decay=decay)
    )
    plain = impl.adam(lr_a, weight_decay=0.0)
    p_w = p_a = np.array(start)
    s_w, s_a = decoupled.init(p_w), plain.init(p_a)
    for rate, g in zip(rates, grads, strict=True):
        lr_w[()] = lr_a[()] = rate
        new_w, s_w = decoupled.step(p_w, g, s_w)
        new_a, s_a = plain.step(p_a, g, s_a)
        predicted = p_w * weight_decay.adamw_decay_factor(rate, decay) + (new_a - p_a)
        np.testing.assert_allclose(new_w, predicted, rtol=1e-12, atol=1e-12 * (1 + np.max(np.abs(p_w))))
        p_w, p_a = new_w, new_a
    # The paper's lambda for this run's base rate alpha = rates[0] is alpha * decay.
    assert weight_decay.paper_decay_from_pytorch(rates[0], decay) == pytest.approx(rates[0] * decay)
