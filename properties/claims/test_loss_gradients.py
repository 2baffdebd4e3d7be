"""Losses with every option, against their definitions evaluated in 50-digit arithmetic (mpmath).

Each loss is written here once from its textbook/PyTorch definition, per element, with mpmath
(no shift tricks, no overflow), and its gradient is that definition's derivative taken by
``mpmath.diff``; impls is compared elementwise. The cases reach what the other loss tests do
not: class weights with label smoothing, ``ignore_index``, probability targets, ``(N, C, d1, d2)``
inputs (the class axis is axis 1), ``pos_weight``, the ``"mean"`` of a 2-D batch, and logits of
+-800 where a naive ``exp`` overflows.
"""

from __future__ import annotations

import itertools
from typing import Any

import mpmath
import numpy as np
import pytest

from properties import compare
from properties.decide import Context

mpmath.mp.dps = 50

REDUCTIONS = ("mean", "sum", "none")


def _log_softmax(row: list) -> list:
    total = mpmath.fsum(mpmath.exp(v) for v in row)
    return [v - mpmath.log(total) for v in row]


def _positions(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every ``(n, d1, ...)`` of an ``(N, C, d1, ...)`` input."""
    return list(itertools.product(*(range(k) for k in (shape[0], *shape[2:]))))


def _at(position: tuple[int, ...], c: int) -> tuple[int, ...]:
    """The index of class ``c`` at ``(n, d1, ...)``: ``(n, c, d1, ...)``."""
    n, *rest = position
    return (n, c, *rest)


def _row(x: np.ndarray, position: tuple[int, ...], values: np.ndarray | None = None) -> list:
    source = x if values is None else values
    # mpf(mpf) is the identity, so an object array of mpf (for mpmath.diff) passes unrounded.
    return [mpmath.mpf(source[_at(position, c)]) for c in range(x.shape[1])]


def cross_entropy_definition(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    reduction: str,
    smoothing: float,
) -> list | mpmath.mpf:
    """PyTorch's ``cross_entropy`` per its documentation, one position at a time.

    Indices: ``l = -(1 - eps) w_y log p_y - (eps / C) sum_c w_c log p_c`` (0 if ignored), mean
    divided by ``sum w_y`` over kept positions. Probabilities ``t``: ``l = -sum_c w_c t'_c log p_c``
    with ``t' = (1 - eps) t + eps / C``, mean divided by the number of positions.
    """
    classes = x.shape[1]
    w = [mpmath.mpf(1)] * classes if weight is None else [mpmath.mpf(float(v)) for v in weight]
    losses, denominator = [], mpmath.mpf(0)
    for position in _positions(x.shape):
        log_p = _log_softmax(_row(x, position))
        if target.dtype.kind in "iu":
            y = int(target[position])
            if y == ignore_index:
                losses.append(mpmath.mpf(0))
                continue
            smooth = mpmath.fsum(w[c] * log_p[c] for c in range(classes)) / classes
            losses.append(-(1 - smoothing) * w[y] * log_p[y] - smoothing * smooth)
            denominator += w[y]
        else:
            t = _row(x, position, target)
            mixed = [(1 - smoothing) * t[c] + mpmath.mpf(smoothing) / classes for c in range(classes)]
            losses.append(-mpmath.fsum(w[c] * mixed[c] * log_p[c] for c in range(classes)))
            denominator += 1
    if reduction == "none":
        return losses
    total = mpmath.fsum(losses)
    return total if reduction == "sum" else total / denominator


def bce_with_logits_definition(
    x: Any, y: Any, w: Any, pw: Any
) -> mpmath.mpf:  # per element, before the reduction
    """``-w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]`` (BCEWithLogitsLoss docs)."""
    # log sigmoid(x) = -log(1 + e^-x) and log(1 - sigmoid(x)) = -log(1 + e^x), exactly; written
    # so, 50 digits suffice at x = +-800 where 1 - sigmoid(x) = e^-800.
    x = mpmath.mpf(x)
    return -w * (-pw * y * mpmath.log(1 + mpmath.exp(-x)) - (1 - y) * mpmath.log(1 + mpmath.exp(x)))


def _close(
    context: Context,
    measured: np.ndarray,
    expected: list | mpmath.mpf,
    rtol: float = 1e-12,
    atol: float = 1e-300,
) -> None:
    """Record and decide ``measured`` against the 50-digit ``expected`` (a few ulp: rtol 1e-12)."""
    expected_array = np.array([float(v) for v in np.ravel(expected)]).reshape(np.shape(measured))
    compare.check_close(
        context, measured, expected_array, rtol=rtol, atol=atol, derivation="the definition in 50 digits"
    )


CE_CASES = [
    # (logits shape, target kind, weight?, smoothing, ignore?)
    ((5, 4), "indices", True, 0.0, True),
    ((5, 4), "indices", True, 0.3, True),
    ((5, 4), "indices", False, 0.2, False),
    ((3, 4), "probabilities", True, 0.1, False),
    ((2, 3, 2, 3), "indices", True, 0.2, True),
    ((2, 3, 2, 3), "probabilities", True, 0.0, False),
    ((2, 3, 4), "indices", False, 0.0, False),
]


def _ce_case(index: int, scale: float = 3.0):
    shape, kind, weighted, smoothing, ignore = CE_CASES[index]
    rng = np.random.default_rng(index)
    x = rng.normal(size=shape) * scale
    classes = shape[1]
    if kind == "indices":
        target = rng.integers(0, classes, (shape[0], *shape[2:]))
        if ignore:
            target.flat[1] = -100
    else:
        probabilities = rng.random(shape)
        target = probabilities / probabilities.sum(axis=1, keepdims=True)
    weight = rng.random(classes) + 0.25 if weighted else None
    return x, target, weight, smoothing


@pytest.mark.claim("cross-entropy-is-nll-of-log-softmax")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("index", range(len(CE_CASES)))
def test_cross_entropy_matches_its_definition(impl, index: int, reduction: str) -> None:
    x, target, weight, smoothing = _ce_case(index)
    measured = impl.cross_entropy(x, target, weight, reduction=reduction, label_smoothing=smoothing)
    context = Context("cross-entropy-is-nll-of-log-softmax", {"case": index, "reduction": reduction})
    _close(context, measured, cross_entropy_definition(x, target, weight, -100, reduction, smoothing))


@pytest.mark.claim("cross-entropy-is-nll-of-log-softmax")
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 2, 2)])
def test_cross_entropy_at_logits_of_800(impl, shape: tuple[int, ...]) -> None:
    """Logits of +-800 overflow exp in float64; the definition in 50 digits does not."""
    rng = np.random.default_rng(7)
    x = rng.choice([-800.0, -1.0, 0.0, 799.5, 800.0], size=shape)
    target = rng.integers(0, shape[1], (shape[0], *shape[2:]))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        measured = impl.cross_entropy(x, target, reduction="none")
        log_p = impl.log_softmax(x, axis=1)
    context = Context("cross-entropy-is-nll-of-log-softmax", {"shape": shape, "logits": "+-800"})
    _close(context, measured, cross_entropy_definition(x, target, None, -100, "none", 0.0))
    expected = [_log_softmax(_row(x, p)) for p in _positions(shape)]
    got = [[log_p[_at(p, c)] for c in range(shape[1])] for p in _positions(shape)]
    _close(context, np.array(got), expected)


@pytest.mark.claim("cross-entropy-gradient")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("index", range(len(CE_CASES)))
def test_cross_entropy_gradient_is_the_derivative_of_its_definition(impl, index: int, reduction: str) -> None:
    x, target, weight, smoothing = _ce_case(index, scale=2.0)
    grad = impl.cross_entropy_grad(x, target, weight, reduction=reduction, label_smoothing=smoothing)
    # Two coordinates per case keep the 50-digit derivatives cheap; they are drawn by the case.
    for flat in np.random.default_rng(100 + index).choice(x.size, 2, replace=False):
        where = np.unravel_index(flat, x.shape)

        def loss_at(value: mpmath.mpf, where: tuple = where) -> mpmath.mpf:
            z = x.astype(object)
            z[where] = value
            loss = cross_entropy_definition(z, target, weight, -100, reduction, smoothing)
            return mpmath.fsum(loss) if reduction == "none" else loss  # "none": grad of the sum

        expected = mpmath.diff(loss_at, mpmath.mpf(float(x[where])))
        assert grad[where] == pytest.approx(float(expected), rel=1e-10, abs=1e-14)


@pytest.mark.claim("bce-with-logits-stable")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_options_and_gradient(impl, options: str, reduction: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3)) * 4
    x[0, 0], x[1, 1], x[2, 2], x[3, 0] = 800.0, -800.0, 40.0, -40.0  # x[3, 0]: loss log1p(e^-40)
    y = rng.random((4, 3))
    y[3] = [0.0, 1.0, 0.5]
    weight = rng.random(3) + 0.5 if options in ("weight", "both") else None
    pos_weight = rng.random(3) * 3 + 0.2 if options in ("pos_weight", "both") else None
    w = np.broadcast_to(1.0 if weight is None else weight, x.shape)
    pw = np.broadcast_to(1.0 if pos_weight is None else pos_weight, x.shape)
    per_element = [bce_with_logits_definition(x[i], y[i], w[i], pw[i]) for i in np.ndindex(x.shape)]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = impl.binary_cross_entropy_with_logits(x, y, weight, pos_weight, reduction)
        grad = impl.binary_cross_entropy_with_logits_grad(x, y, weight, pos_weight, reduction)
    total = mpmath.fsum(per_element)
    expected = {"none": per_element, "sum": total, "mean": total / x.size}[reduction]
    case = {"options": options, "reduction": reduction, "x": x.ravel().tolist(), "y": y.ravel().tolist()}
    case["dtype"] = x.dtype.name
    case |= {"weight": w.ravel().tolist(), "pos_weight": pw.ravel().tolist()}
    _close(Context("bce-with-logits-stable", case), loss, expected)
    divide = x.size if reduction == "mean" else 1
    slopes = [
        mpmath.diff(lambda v, i=i: bce_with_logits_definition(v, y[i], w[i], pw[i]), x[i]) / divide
        for i in np.ndindex(x.shape)
    ]
    # Absolute 1e-15 besides: the gradient, of order 1, is (1 - t) - sigmoid(-x) t', which cancels
    # to 0 at x = -40, t = 0 (exact 4.2e-18): an accuracy limit of the closed form, not an option bug.
    context = Context("bce-with-logits-stable", {**case, "of": "gradient"})
    _close(context, grad, slopes, rtol=1e-10, atol=1e-15 / divide)


@pytest.mark.claim("bce-log-clamp")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_on_probabilities_with_weight(impl, reduction: str) -> None:
    rng = np.random.default_rng(5)
    p, y, w = rng.random((3, 4)), rng.random((3, 4)), rng.random(4) + 0.5
    p[0, 0], y[0, 0] = 0.0, 1.0  # log 0 clamped to -100
    per_element = [
        -w[i[1]]
        * (
            y[i] * max(mpmath.log(p[i]) if p[i] else -mpmath.inf, -100)
            + (1 - y[i]) * max(mpmath.log(1 - mpmath.mpf(p[i])), -100)
        )
        for i in np.ndindex(p.shape)
    ]
    total = mpmath.fsum(per_element)
    expected = {"none": per_element, "sum": total, "mean": total / p.size}[reduction]
    context = Context("bce-log-clamp", {"reduction": reduction, "p": p.ravel().tolist()})
    _close(context, impl.binary_cross_entropy(p, y, w, reduction), expected)


@pytest.mark.claim("cross-entropy-is-nll-of-log-softmax")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_with_weights_and_ignore_index(impl, reduction: str) -> None:
    x, target, weight, _ = _ce_case(4)
    log_p = impl.log_softmax(x, axis=1)
    measured = impl.nll_loss(log_p, target, weight, reduction=reduction)
    context = Context("cross-entropy-is-nll-of-log-softmax", {"nll_loss": True, "reduction": reduction})
    _close(context, measured, cross_entropy_definition(x, target, weight, -100, reduction, 0.0), rtol=1e-11)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_entropy_and_kl_follow_their_axis(impl, axis: int) -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 4, 5)) * 2
    p = impl.softmax(x, axis=axis)
    expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
    assert np.allclose(p, expected, rtol=1e-13)
    q = impl.softmax(x[::-1], axis=axis)
    entropy = -(p * np.log(p)).sum(axis=axis)
    kl = (p * np.log(p / q)).sum(axis=axis)
    assert np.allclose(impl.entropy(p, axis=axis), entropy, rtol=1e-12)
    assert np.allclose(impl.kl_divergence(p, q, axis=axis), kl, rtol=1e-10, atol=1e-15)
