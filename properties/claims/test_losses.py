"""Losses: information identities, stable forms at extreme logits, gradients, PyTorch semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import differentiate

from properties import compare
from properties.checks import verify_bce_with_logits
from properties.decide import Context
from theory import losses as theory_losses


@st.composite
def distributions(draw: st.DrawFn, size: int | None = None, allow_zeros: bool = True) -> np.ndarray:
    k = size or draw(st.integers(2, 8))
    low = 0.0 if allow_zeros else 1e-6
    w = draw(hnp.arrays(np.float64, k, elements=st.floats(low, 1.0)))
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


def kl_rounding_bound(p: np.ndarray, q: np.ndarray) -> float:
    """How far a float64 ``sum_i p_i (log p_i - log q_i)`` may land from the exact KL(p || q).

    Formula: ``(n + 4) u sum_i p_i (|log p_i| + |log q_i|)``, ``u = 2^-53``. Each product
    ``p_i log x`` has relative error at most ``3u`` (a log within one ulp, ``2u``, then one rounded
    product), the difference of the two products adds ``u``, and a sum of ``n`` terms in any order
    adds ``(n - 1) u`` times the sum of their sizes (Higham, *Accuracy and Stability of Numerical
    Algorithms*, 2002, eq. 4.4); one more ``u`` absorbs the second-order terms. A term with
    ``p_i = 0`` is an exact 0. It is the scale of the terms, not of the result: ``KL(p || p)``
    computed with two different logs (``F.kl_div``'s ``xlogy(p, p)`` against NumPy's ``log q``) is
    a few ulp of it from 0, while a sign or a swapped argument is of the order of the sum itself.

    Args:
        p: probabilities.
        q: probabilities, same shape.

    Returns:
        The bound, in nats.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        sizes = np.where(p > 0, p * (np.abs(np.log(p)) + np.abs(np.log(q))), 0.0)
    return (p.size + 4) * 2.0**-53 * float(np.sum(sizes))


@pytest.mark.claim("cross-entropy-decomposition")
@pytest.mark.claim("kl-non-negative")
@given(data=st.data())
def test_cross_entropy_is_kl_plus_entropy(impl, data: st.DataObject) -> None:
    p = data.draw(distributions())
    q = data.draw(distributions(size=p.size, allow_zeros=False))
    h_p, kl = float(impl.entropy(p)), float(impl.kl_divergence(p, q))
    assert h_p == pytest.approx(theory_losses.entropy(p), rel=1e-12, abs=1e-15)
    assert kl == pytest.approx(theory_losses.kl_divergence(p, q), rel=1e-10, abs=1e-13)
    assert kl + h_p == pytest.approx(theory_losses.cross_entropy(p, q), rel=1e-12, abs=1e-13)
    compare.check_at_most(
        Context("kl-non-negative", {"p": p.tolist(), "q": q.tolist()}),
        -kl,
        kl_rounding_bound(p, q),
        derivation="KL >= 0 up to the rounding of its float64 sum (kl_rounding_bound)",
    )
    with np.errstate(invalid="ignore"):
        self_divergence = impl.kl_divergence(p, p)
    compare.check_close(
        Context("kl-non-negative", {"p": p.tolist(), "q": "p"}),
        self_divergence,
        0.0,
        rtol=0.0,
        atol=kl_rounding_bound(p, p),
        derivation="KL(p || p) = 0, with 0 log(0/0) = 0, up to the rounding of its float64 sum",
    )


def test_decomposition_reference_values(impl) -> None:
    """theory_claims.md S10.1, computed independently."""
    p, q = np.array([0.2, 0.5, 0.3]), np.array([0.1, 0.6, 0.3])
    assert float(impl.entropy(p)) == pytest.approx(1.0296530141, abs=1e-10)
    assert float(impl.kl_divergence(p, q)) == pytest.approx(0.0474686577, abs=1e-10)
    one_hot = np.array([0.0, 1.0, 0.0])
    assert float(impl.entropy(one_hot)) == 0.0


@pytest.mark.claim("cross-entropy-is-nll-of-log-softmax")
@given(
    logits=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(2, 7)), elements=st.floats(-500, 500)
    ),
    data=st.data(),
)
def test_cross_entropy_is_nll_of_log_softmax(impl, logits: np.ndarray, data: st.DataObject) -> None:
    impl.require("cross_entropy", "nll_loss", "log_softmax", "softmax")
    labels = data.draw(hnp.arrays(np.int64, logits.shape[0], elements=st.integers(0, logits.shape[1] - 1)))
    ce = impl.cross_entropy(logits, labels, reduction="none")
    nll = impl.nll_loss(impl.log_softmax(logits), labels, reduction="none")
    expected = [
        theory_losses.softmax_cross_entropy(row, int(y)) for row, y in zip(logits, labels, strict=True)
    ]
    assert np.allclose(ce, nll, rtol=1e-12, atol=1e-12)
    assert np.allclose(ce, expected, rtol=1e-12, atol=1e-11)
    assert np.all(np.isfinite(ce))
    assert np.allclose(impl.softmax(logits).sum(axis=1), 1.0)


@pytest.mark.claim("cross-entropy-is-nll-of-log-softmax")
def test_cross_entropy_reference_value(impl) -> None:
    """logsumexp(2, -1, 0.5) - 2 to 1e-15 relative (mpmath, 50 digits: 0.241311296657157...)."""
    got = impl.cross_entropy(np.array([2.0, -1.0, 0.5]), np.array(0))
    context = Context(
        "cross-entropy-is-nll-of-log-softmax", {"x": [2.0, -1.0, 0.5], "y": 0, "dtype": "float64"}
    )
    compare.check_close(context, got, 0.24131129665715711, rtol=1e-15)


def test_cross_entropy_options_by_hand(impl) -> None:
    """Weights, ignore_index, label smoothing and probability targets, computed from the definitions."""
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]])
    y = np.array([1, -100, 0])
    w = np.array([0.5, 2.0, 1.0])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    kept = [0, 2]
    nll = np.array([-w[y[i]] * logp[i, y[i]] for i in kept])
    assert float(impl.cross_entropy(x, y, weight=w)) == pytest.approx(nll.sum() / w[y[kept]].sum(), rel=1e-14)
    assert float(impl.cross_entropy(x, y, weight=w, reduction="sum")) == pytest.approx(nll.sum(), rel=1e-14)
    eps = 0.1
    smooth = np.array([-(w * logp[i]).sum() / 3 for i in kept])
    expected = ((1 - eps) * nll.sum() + eps * smooth.sum()) / w[y[kept]].sum()
    assert float(impl.cross_entropy(x, y, weight=w, label_smoothing=eps)) == pytest.approx(
        expected, rel=1e-14
    )
    t = np.array([[0.2, 0.8, 0.0], [0.1, 0.1, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    expected = -(t * logp).sum() / 3
    assert float(impl.cross_entropy(x, t)) == pytest.approx(expected, rel=1e-14)
    assert math.isnan(float(impl.cross_entropy(x[:1], np.array([-100]))))  # all ignored, as PyTorch


def test_loss_errors(impl) -> None:
    impl.require_reference_api("argument errors")
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="reduction must be one of"):
        impl.cross_entropy(x, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="target class indices must be in"):
        impl.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="weight must have shape"):
        impl.cross_entropy(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        impl.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="probs should be between 0 and 1"):
        impl.binary_cross_entropy(np.array([1.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="target must have the input's shape"):
        impl.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="p and q must have the same shape"):
        impl.kl_divergence(np.ones(2) / 2, np.ones(3) / 3)


@pytest.mark.claim("bce-with-logits-stable")
@given(x=st.floats(-1e4, 1e4), y=st.floats(0, 1))
@example(x=800.0, y=1.0)
@example(x=-800.0, y=0.3)
@example(x=40.0, y=0.0)
def test_bce_with_logits_is_exact_at_extreme_logits(impl, x: float, y: float) -> None:
    verify_bce_with_logits(impl.binary_cross_entropy_with_logits, np.array([x]), np.array([y]))
    grad = impl.binary_cross_entropy_with_logits_grad(np.array([x]), np.array([y]))[0]
    assert grad == pytest.approx(theory_losses.bce_with_logits_gradient(x, y), rel=1e-12, abs=1e-15)


@pytest.mark.claim("bce-with-logits-stable")
def test_bce_reference_values(impl) -> None:
    """theory_claims.md S10.3 (1000-digit mpmath values)."""
    cases = [
        (3.0, 0.3, 2.1485873515737419),
        (-20.0, 1.0, 20.000000002061154),
        (40.0, 0.0, 40.0),
        (200.0, 0.0, 200.0),
        (-800.0, 0.3, 240.0),
    ]
    for x, y, exact in cases:
        got = impl.binary_cross_entropy_with_logits(np.array([x]), np.array([y]))
        context = Context("bce-with-logits-stable", {"x": x, "y": y, "dtype": "float64"})
        compare.check_close(context, got, exact, rtol=1e-15)


@pytest.mark.claim("bce-log-clamp")
@given(x=st.floats(-800, 800), y=st.floats(0, 1))
def test_bce_on_probabilities_is_capped_at_100(impl, x: float, y: float) -> None:
    p = impl.sigmoid(np.array([x]))
    loss = float(impl.binary_cross_entropy(p, np.array([y])))
    assert 0 <= loss <= theory_losses.BCE_LOG_CLAMP
    at_zero = impl.binary_cross_entropy(np.array([0.0]), np.array([1.0]))  # -log(0), clamped
    context = Context("bce-log-clamp", {"p": 0.0, "y": 1.0})
    compare.check_close(context, at_zero, theory_losses.BCE_LOG_CLAMP, rtol=0.0)


@pytest.mark.claim("cross-entropy-gradient")
@given(logits=hnp.arrays(np.float64, st.integers(2, 6), elements=st.floats(-20, 20)), data=st.data())
def test_cross_entropy_gradient(impl, logits: np.ndarray, data: st.DataObject) -> None:
    label = data.draw(st.integers(0, logits.size - 1))
    grad = impl.cross_entropy_grad(logits, np.array(label))
    expected = impl.softmax(logits) - np.eye(logits.size)[label]
    case = {"logits": logits.tolist(), "y": label, "dtype": "float64"}
    context = Context("cross-entropy-gradient", case)
    compare.check_close(context, grad, expected, rtol=1e-12, atol=1e-15)
    for c in range(logits.size):

        def loss_along(v: np.ndarray, c: int = c) -> np.ndarray:
            out = []
            for value in np.ravel(v):
                z = logits.copy()
                z[c] = value
                out.append(float(impl.cross_entropy(z, np.array(label))))
            return np.reshape(out, np.shape(v))

        numeric = differentiate.derivative(loss_along, logits[c], initial_step=1e-2)
        atol = 10 * numeric.error + 1e-9  # the differentiation's own error estimate, with margin
        compare.check_close(
            Context("cross-entropy-gradient", {**case, "component": c}),
            grad[c],
            numeric.df,
            rtol=0.0,
            atol=atol,
        )


@pytest.mark.claim("cross-entropy-gradient")
def test_cross_entropy_gradient_with_options_matches_finite_differences(impl) -> None:
    rng = np.random.default_rng(1)
    x, y, w = rng.normal(size=(4, 5)), np.array([0, 3, -100, 4]), rng.random(5) + 0.5
    for options in ({"weight": w}, {"label_smoothing": 0.2}, {"weight": w, "reduction": "sum"}):
        grad = impl.cross_entropy_grad(x, y, **options)
        for i, j in [(0, 0), (1, 2), (3, 4), (2, 1)]:
            step = np.zeros_like(x)
            step[i, j] = 1e-6
            numeric = (
                impl.cross_entropy(x + step, y, **options) - impl.cross_entropy(x - step, y, **options)
            ) / 2e-6
            assert grad[i, j] == pytest.approx(float(numeric), abs=1e-8)
