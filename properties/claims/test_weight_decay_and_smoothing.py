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
