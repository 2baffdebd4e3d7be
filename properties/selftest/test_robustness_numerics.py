"""Robustness and contracts of impls' activations, losses and optimizers.

Two parts. First, one test for each defect issue 9 reported in these modules (each fails on the
code before the fix) and the dtype policy for every function. Second, Hypothesis-generated
calls of every public activation, derivative, loss, optimizer, clipping function and
``get_activation``, with valid and invalid arguments: shapes including 0-d and empty, the four
floating dtypes, integers, bool, complex and strings, values including NaN, +-inf, the largest
doubles and subnormals, wrong types. Every call must

- return a correct result (shape, dtype under the policy) or raise a ``ValueError`` or
  ``TypeError`` whose message names one of the function's parameters;
- finish within 10 s (SIGALRM), raise no NumPy warning (warnings are errors), mutate no input;
- return no NaN when every input is finite and in the domain. The documented exceptions, all
  PyTorch's behaviour: a ``"mean"`` that divides by 0 (empty input, every target ignored, zero
  total class weight) and an adaptive optimizer with ``eps = 0`` and a zero gradient history
  (0 / 0); the domain of the optimizers' check is |values| <= 1e30 and hyper-parameters <= 10
  (beyond, intermediate overflow to inf - inf is IEEE arithmetic, as in PyTorch), RMSProp's
  ``alpha <= 1``.

``CASES`` counts the generated calls and their outcomes; ``INITCHECK_ROBUSTNESS_COUNTS=1`` prints
them (with ``-s``).
"""

from __future__ import annotations

import inspect
import math
import os
import signal
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import impls
from properties.strategies import scaled

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
FLOATING = [np.dtype(np.float16), BFLOAT16, np.dtype(np.float32), np.dtype(np.float64)]
CASES: Counter[str] = Counter()


# --------------------------------------------------------------------------------------------
# Part 1: the reported defects, each with the test that would have caught it
# --------------------------------------------------------------------------------------------

OPTIMIZERS: dict[str, Callable[[], impls.Optimizer]] = {
    "sgd": lambda: impls.sgd(0.1),
    "sgd-momentum": lambda: impls.sgd(0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda: impls.adagrad(0.1),
    "rmsprop": lambda: impls.rmsprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: impls.adam(0.01, amsgrad=True),
    "adamw": lambda: impls.adamw(0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_0d_parameter_takes_many_steps_and_stays_an_array(name: str) -> None:
    opt = OPTIMIZERS[name]()
    params, state = np.array(1.0), opt.init(np.array(1.0))
    for _ in range(3):
        params, state = opt.step(params, np.array(0.5), state)
        assert isinstance(params, np.ndarray) and params.shape == () and params.dtype == np.float64


def test_clipping_keeps_0d_arrays_and_dtypes() -> None:
    clipped, norm = impls.clip_grad_norm(np.array(3.0, np.float32), 1.0)
    assert isinstance(clipped, np.ndarray) and clipped.shape == () and clipped.dtype == np.float32
    assert norm == 3.0
    value = impls.clip_grad_value(np.array(3.0, np.float16), 1.0)
    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float16 and value == 1


def test_clip_grad_norm_of_huge_finite_gradients_is_finite() -> None:
    _, norm = impls.clip_grad_norm(np.array([1e200, 1e200]), 1.0)
    assert norm == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_for_another_shape_or_dtype_is_refused(name: str) -> None:
    opt = OPTIMIZERS[name]()
    with pytest.raises(ValueError, match=r"state\.\w+ must match params' shapes"):
        opt.step(np.zeros(3), np.ones(3), opt.init(np.zeros((3, 3))))
    with pytest.raises(TypeError, match=r"state\.\w+ must have the params' dtype float32"):
        opt.step(np.zeros(3, np.float32), np.ones(3, np.float32), opt.init(np.zeros(3)))
    with pytest.raises(TypeError, match="grads must have the params' dtype float32, got float64"):
        opt.step(np.zeros(3, np.float32), np.ones(3), opt.init(np.zeros(3, np.float32)))
    with pytest.raises(TypeError, match="state must be the"):
        opt.step(np.zeros(3), np.ones(3), (0, np.zeros(3)))


def test_differing_dict_keys_are_named() -> None:
    opt = impls.adam()
    params = {"w": np.zeros(2), "b": np.zeros(1)}
    with pytest.raises(ValueError, match="grads must have the same keys as params: missing key\\(s\\) 'b'"):
        opt.step(params, {"w": np.ones(2)}, opt.init(params))
    with pytest.raises(ValueError, match="extra key\\(s\\) 'c'"):
        opt.step(params, {"w": np.ones(2), "b": np.ones(1), "c": np.ones(1)}, opt.init(params))
    with pytest.raises(ValueError, match=r"state\.exp_avg must have the same keys as params: missing"):
        opt.step(params, params, opt.init({"w": np.zeros(2)}))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_init_gives_every_state_field_its_own_array(name: str) -> None:
    state = OPTIMIZERS[name]().init(np.zeros(3))
    arrays = [field for field in state if isinstance(field, np.ndarray)]
    for i, first in enumerate(arrays):
        for second in arrays[i + 1 :]:
            assert not np.shares_memory(first, second)


def _bad(value: Any) -> Any:
    """A deliberately wrong argument, typed ``Any`` for mypy."""
    return value


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: impls.adam(eps=_bad("a")), "eps"),
        (lambda: impls.adam(lr=_bad("a")), "lr"),
        (lambda: impls.rmsprop(alpha=_bad(None)), "alpha"),
        (lambda: impls.adagrad(initial_accumulator_value=_bad([1])), "initial_accumulator_value"),
        (lambda: impls.sgd(0.1, weight_decay=_bad("x")), "weight_decay"),
        (lambda: impls.sgd(0.1, maximize=_bad("yes")), "maximize"),
        (lambda: impls.adam(decoupled_weight_decay=_bad(1)), "decoupled_weight_decay"),
        (lambda: impls.adam(lr=np.array([0.1, 0.2])), "lr"),
        (lambda: impls.get_activation(_bad(["relu"])), "activation"),
        (
            lambda: impls.cross_entropy(np.zeros((1, 2)), np.array([0]), ignore_index=_bad("x")),
            "ignore_index",
        ),
        (lambda: impls.log_softmax(np.zeros(3), axis=_bad("x")), "axis"),
    ],
)
def test_errors_name_the_argument_given(call: Callable[[], Any], name: str) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        call()


def test_maximize_ascends_and_decoupled_weight_decay_is_adamw() -> None:
    p, g = np.array([1.0, -2.0]), np.array([0.3, 0.7])
    for make in (impls.sgd, impls.adagrad, impls.rmsprop, impls.adam, impls.adamw):
        up, down = make(0.1, maximize=True), make(0.1)
        assert np.array_equal(up.step(p, g, up.init(p))[0], down.step(p, -g, down.init(p))[0])
    adam, adamw = (
        impls.adam(0.1, weight_decay=0.5, decoupled_weight_decay=True),
        impls.adamw(0.1, weight_decay=0.5),
    )
    assert np.array_equal(adam.step(p, g, adam.init(p))[0], adamw.step(p, g, adamw.init(p))[0])


def test_a_0d_array_learning_rate_is_read_at_every_step() -> None:
    lr = np.array(0.1)
    opt = impls.sgd(lr)
    p, state = np.zeros(1), opt.init(np.zeros(1))
    p, state = opt.step(p, np.ones(1), state)
    lr[()] = 0.01
    p, state = opt.step(p, np.ones(1), state)
    assert p[0] == pytest.approx(-0.11, rel=1e-15)


def test_cross_entropy_edge_cases_give_pytorch_values() -> None:
    # values from torch 2.13 (torch.nn.functional.cross_entropy, float64); also compared live
    # with PyTorch in test_pytorch_parity.py
    logits = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    assert float(impls.cross_entropy(logits, np.array([1, 2]))) == pytest.approx(
        0.8604338259813016, rel=1e-15
    )
    assert np.isfinite(impls.cross_entropy_grad(logits, np.array([1, 2]))).all()
    finite = np.array([[0.2, 0.7, 0.1], [1.0, 2.0, 3.0]])
    ignored = np.array([-100, -100])
    assert math.isnan(float(impls.cross_entropy(finite, ignored)))
    assert np.array_equal(impls.cross_entropy_grad(finite, ignored), np.zeros((2, 3)))
    zero_weight: dict[str, Any] = {"weight": np.array([0.0, 1.0, 1.0])}
    assert math.isnan(float(impls.cross_entropy(finite, np.array([0, 0]), **zero_weight)))
    grad = impls.cross_entropy_grad(finite, np.array([0, -100]), label_smoothing=0.2, **zero_weight)
    assert np.isnan(grad[0]).all() and np.array_equal(grad[1], np.zeros(3))
    assert math.isnan(float(impls.nll_loss(finite, ignored)))


@pytest.mark.parametrize("keyword", ["weight", "pos_weight"])
def test_weights_that_enlarge_the_input_are_refused(keyword: str) -> None:
    for function in (impls.binary_cross_entropy_with_logits, impls.binary_cross_entropy_with_logits_grad):
        with pytest.raises(ValueError, match=f"{keyword} of shape"):
            function(np.zeros(2), np.zeros(2), **_bad({keyword: np.ones((4, 2))}))
    assert (
        impls.binary_cross_entropy_with_logits(
            np.zeros((4, 2)), np.zeros((4, 2)), **_bad({keyword: np.ones(2)})
        ).shape
        == ()
    )


@pytest.mark.parametrize("function", [impls.softmax, impls.log_softmax])
def test_softmax_of_empty_input_is_empty(function: Callable[..., np.ndarray]) -> None:
    for shape in [(0,), (0, 3), (3, 0)]:
        assert function(np.ones(shape, np.float32)).shape == shape
    assert function(np.ones(shape, np.float32)).dtype == np.float32


# --------------------------------------------------------------------------------------------
# The dtype policy, for every activation, loss and optimizer
# --------------------------------------------------------------------------------------------

ACTIVATION_CALLS = [(name, kind) for name in sorted(impls.ACTIVATIONS) for kind in ("function", "derivative")]
X = np.array([-40.0, -3.0, -0.5, 0.0, 0.25, 2.0, 30.0])


@pytest.mark.parametrize(("name", "kind"), ACTIVATION_CALLS)
@pytest.mark.parametrize("dtype", FLOATING, ids=str)
def test_activations_keep_floating_dtypes_rounding_once(name: str, kind: str, dtype: np.dtype) -> None:
    function = getattr(impls.ACTIVATIONS[name], kind)
    x = X.astype(dtype)
    y = function(x)
    assert y.dtype == dtype and y.shape == x.shape
    with np.errstate(over="ignore"):
        assert np.array_equal(y, function(x.astype(np.float64)).astype(dtype), equal_nan=True)


INTEGER_RESULTS: dict[str, Any] = {  # PyTorch's result dtype for integer input (None: PyTorch refuses)
    "sigmoid": np.float32, "tanh": np.float32, "softsign": np.float32, "relu": "same", "linear": "same",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(impls.ACTIVATIONS))
def test_activations_follow_pytorch_for_integer_input(name: str) -> None:
    act = impls.ACTIVATIONS[name]
    for dtype in (np.int64, np.int8, np.uint8):
        x = np.array([0, 1, 3], dtype)
        expected = INTEGER_RESULTS.get(name)
        if expected is None:
            with pytest.raises(TypeError, match="x must be a floating array"):
                act(x)
        else:
            assert act(x).dtype == (np.dtype(dtype) if expected == "same" else np.dtype(expected))
        with pytest.raises(TypeError, match="x must be a floating array"):
            act.derivative(x)
    for bad in (np.array(["a"]), np.array([1j]), None, "abc"):
        with pytest.raises(TypeError, match="x must be"):
            act(bad)


def _loss_calls(dtype: np.dtype) -> dict[str, Callable[[], np.ndarray]]:
    logits = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]]).astype(dtype)
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]]).astype(dtype)
    labels = np.array([2, 0])
    return {
        "cross_entropy": lambda: impls.cross_entropy(logits, labels),
        "cross_entropy_grad": lambda: impls.cross_entropy_grad(logits, labels, label_smoothing=0.1),
        "nll_loss": lambda: impls.nll_loss(impls.log_softmax(logits), labels),
        "binary_cross_entropy": lambda: impls.binary_cross_entropy(probs, probs),
        "binary_cross_entropy_with_logits": lambda: impls.binary_cross_entropy_with_logits(logits, probs),
        "binary_cross_entropy_with_logits_grad": lambda: impls.binary_cross_entropy_with_logits_grad(
            logits, probs
        ),
        "softmax": lambda: impls.softmax(logits),
        "log_softmax": lambda: impls.log_softmax(logits),
        "entropy": lambda: impls.entropy(probs),
        "kl_divergence": lambda: impls.kl_divergence(probs, probs[::-1]),
    }


@pytest.mark.parametrize("name", sorted(_loss_calls(np.dtype(np.float64))))
@pytest.mark.parametrize("dtype", FLOATING, ids=str)
def test_losses_keep_floating_dtypes(name: str, dtype: np.dtype) -> None:
    result = _loss_calls(dtype)[name]()
    reference = _loss_calls(np.dtype(np.float64))[name]()
    assert result.dtype == dtype and result.shape == reference.shape
    assert np.all(np.isfinite(result.astype(np.float64)))


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy_with_logits", "softmax", "entropy"])
def test_losses_refuse_integer_inputs_like_pytorch(name: str) -> None:
    with pytest.raises(TypeError, match="must be a floating array"):
        _loss_calls(np.dtype(np.int64))[name]()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", FLOATING, ids=str)
def test_optimizers_keep_the_params_dtype(name: str, dtype: np.dtype) -> None:
    opt = OPTIMIZERS[name]()
    params = {"w": np.array([1.0, -2.0], dtype), "b": np.array(0.5, dtype)}
    state = opt.init(params)
    for _ in range(2):
        grads = {"w": np.array([0.25, 0.5], dtype), "b": np.array(-1.0, dtype)}
        params, state = opt.step(params, grads, state)
    assert params["w"].dtype == dtype and params["b"].dtype == dtype and params["b"].shape == ()
    assert all(leaf.dtype == dtype for field in state[1:] for leaf in field.values())
    with pytest.raises(TypeError, match="params must be a float ndarray"):
        opt.init(np.array([1, 2]))


# --------------------------------------------------------------------------------------------
# Part 2: Hypothesis-generated calls
# --------------------------------------------------------------------------------------------


@contextmanager
def time_limit(seconds: float = 10.0) -> Iterator[None]:
    """Raise ``TimeoutError`` if the block runs longer than ``seconds`` (SIGALRM)."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def robust(examples: int) -> settings:
    """``examples`` under ``dev``/``ci`` (scaled under the other profiles); no speed checks."""
    return settings(
        scaled(examples), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


SPECIAL = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 2.2e-308, 1.7976931348623157e308, -1.7976931348623157e308]
SPECIAL += [1e300, -1e300, 745.0, -745.0, 710.0, -710.0, 40.0, -40.0, 20.0, 1.0, -1.0]
NON_FINITE = [math.nan, math.inf, -math.inf]


@st.composite
def arrays(draw: st.DrawFn, shape: Any = None, finite: bool = False, kinds: str = "fib") -> np.ndarray:
    """An array of any floating dtype (sometimes an integer, bool or complex one) and shape."""
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    options = list(FLOATING) * 3
    if "i" in kinds:
        options += [np.dtype(np.int64), np.dtype(np.int8), np.dtype(np.uint8)]
    if "b" in kinds:
        options += [np.dtype(np.bool_), np.dtype(np.complex128)]
    dtype = draw(st.sampled_from(options))
    specials = SPECIAL if finite else SPECIAL + NON_FINITE
    elements = st.one_of(st.floats(-1e3, 1e3), st.sampled_from(specials), st.floats(allow_nan=not finite))
    values = draw(hnp.arrays(np.float64, shape, elements=elements))
    with np.errstate(all="ignore"):
        if dtype.kind in "iub":
            values = np.nan_to_num(np.clip(values, -100, 100))
        return values.astype(dtype)


WRONG: st.SearchStrategy[Any] = st.sampled_from([None, "abc", ["a"], {"x": 1}, object(), b"1", 1j])


def anything() -> st.SearchStrategy[Any]:
    """An argument of any kind: arrays, numbers (finite or not), strings, bools, wrong types."""
    return st.one_of(
        arrays(),
        st.floats(),
        st.integers(-5, 5),
        st.booleans(),
        st.sampled_from(["none", "tanh", "mean", "sum", "none ", ""]),
        WRONG,
    )


def _copy(value: Any) -> Any:
    """A copy of every array in ``value``, byte for byte (deepcopy rewrites bfloat16 NaNs)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a state NamedTuple
        return type(value)(*(_copy(item) for item in value))
    if isinstance(value, tuple | list):
        return type(value)(_copy(item) for item in value)
    return value


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and (before.dtype, before.shape) == (after.dtype, after.shape)
            and before.tobytes() == after.tobytes()
        )
    if isinstance(before, Mapping):
        return set(before) == set(after) and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, tuple | list):
        return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after, strict=True))
    return True


def call(family: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """Call ``function`` under the robustness rules; return ``(outcome, result)``."""
    snapshot = [_copy(a) for a in args], {k: _copy(v) for k, v in kwargs.items()}
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # pragma: no cover - every impls function has a signature
        names = []
    names += ["x", "activation", "params", "grads", "state", "betas", "lr"]
    result = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with time_limit(10.0):
                result = function(*args, **kwargs)
        outcome = "result"
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(name in message for name in names), (
            f"{function.__name__}: error names no argument: {message}"
        )
        outcome = type(error).__name__
    for before, after in zip(snapshot[0], args, strict=True):
        assert _same(before, after), f"{function.__name__} mutated a positional argument"
    for key, before in snapshot[1].items():
        assert _same(before, kwargs[key]), f"{function.__name__} mutated {key}"
    CASES[f"{family}: {outcome}"] += 1
    return outcome, result


def _finite_floating(*values: Any) -> bool:
    for value in values:
        if isinstance(value, np.ndarray) and (
            value.dtype not in FLOATING or not np.all(np.isfinite(value.astype(np.float64)))
        ):
            return False
    return True


def _has_nan(value: Any) -> bool:
    return bool(np.any(np.isnan(np.asarray(value, dtype=np.float64))))


ACTIVATION_PARAMETERS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "leaky_relu": {"negative_slope": st.floats(-10, 10)},
    "elu": {"alpha": st.floats(0, 10)},
    "gelu": {"approximate": st.sampled_from(["none", "tanh"])},
    "softplus": {"beta": st.floats(1e-3, 1e3), "threshold": st.floats(-50, 50)},
}


@pytest.mark.parametrize("name", sorted(impls.ACTIVATIONS))
@given(data=st.data())
@robust(40)
def test_generated_activation_calls(name: str, data: st.DataObject) -> None:
    act = impls.ACTIVATIONS[name]
    x = data.draw(st.one_of(arrays(kinds="fib"), WRONG), label="x")
    params: dict[str, Any] = {}
    in_domain = True
    for parameter, valid in ACTIVATION_PARAMETERS.get(name, {}).items():
        choice = data.draw(st.sampled_from(["default", "valid", "anything"]), label=f"{parameter} kind")
        if choice == "valid":
            params[parameter] = data.draw(valid, label=parameter)
        elif choice == "anything":
            params[parameter] = data.draw(anything(), label=parameter)
            in_domain = False
    for kind in ("function", "derivative"):
        outcome, result = call("activations", getattr(act, kind), x, **params)
        if outcome != "result":
            continue
        assert isinstance(result, np.ndarray) and result.shape == np.shape(x)
        if isinstance(x, np.ndarray) and x.dtype in FLOATING:
            assert result.dtype == x.dtype
            if in_domain and _finite_floating(x):
                assert not _has_nan(result), f"{name} {kind}: NaN for finite x = {x!r}, {params}"


@given(name=st.one_of(st.sampled_from(sorted(impls.ACTIVATIONS)), anything(), st.text(max_size=8)))
@robust(40)
def test_generated_get_activation_calls(name: Any) -> None:
    outcome, result = call("get_activation", impls.get_activation, name)
    if outcome == "result":
        assert result is impls.ACTIVATIONS[name]


@st.composite
def loss_arguments(draw: st.DrawFn, name: str) -> tuple[tuple[Any, ...], dict[str, Any], bool]:
    """``(args, kwargs, in_domain)`` for loss ``name``: mostly well-formed, sometimes not."""
    batch, classes = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(batch, classes), (classes,), (batch, classes, 2)]))
    malformed = draw(st.booleans())
    x: Any = draw(arrays() | WRONG) if malformed else draw(arrays(shape=shape, kinds=""))
    in_domain = not malformed
    kwargs: dict[str, Any] = {}

    def maybe(key: str, valid: st.SearchStrategy[Any]) -> None:
        nonlocal in_domain
        choice = draw(st.sampled_from(["default", "valid", "anything"]))
        if choice == "valid":
            kwargs[key] = draw(valid)
        elif choice == "anything":
            kwargs[key] = draw(anything())
            in_domain = False

    reductions = st.sampled_from(["mean", "sum", "none"])
    if name in ("cross_entropy", "cross_entropy_grad", "nll_loss"):
        index_shape = (shape[0], *shape[2:]) if len(shape) > 1 else ()
        probabilities = name != "nll_loss" and draw(st.booleans())
        if probabilities:
            target = draw(arrays(shape=shape, finite=True, kinds="")) if not malformed else draw(anything())
            if isinstance(target, np.ndarray) and target.dtype in FLOATING:
                target = np.clip(np.abs(np.nan_to_num(target.astype(np.float64))), 0, 1)
        else:
            target = draw(hnp.arrays(np.int64, index_shape, elements=st.sampled_from([-100, 0, classes - 1])))
        maybe("weight", hnp.arrays(np.float64, (classes,), elements=st.floats(0, 10)))
        maybe("ignore_index", st.sampled_from([-100, 0, -1]))
        maybe("reduction", reductions)
        if name != "nll_loss":
            maybe("label_smoothing", st.floats(0, 1))
        return (x, target), kwargs, in_domain
    if name in (
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "binary_cross_entropy_with_logits_grad",
    ):
        if name == "binary_cross_entropy" and isinstance(x, np.ndarray) and x.dtype in FLOATING:
            with np.errstate(all="ignore"):
                x = np.clip(np.abs(np.nan_to_num(x.astype(np.float64))) % 1.0, 0, 1).astype(x.dtype)
        target = draw(hnp.arrays(np.float64, np.shape(x), elements=st.floats(0, 1)))
        maybe("weight", hnp.arrays(np.float64, shape[-1:], elements=st.floats(0, 10)))
        if name != "binary_cross_entropy":
            maybe("pos_weight", hnp.arrays(np.float64, shape[-1:], elements=st.floats(0, 10)))
        maybe("reduction", reductions)
        return (x, target), kwargs, in_domain
    if name == "kl_divergence":
        q = draw(arrays(shape=np.shape(x), finite=True, kinds=""))
        maybe("axis", st.integers(-1, 0))
        return (x, q), kwargs, in_domain
    maybe("axis", st.integers(-1, 0))
    return (x,), kwargs, in_domain


LOSSES = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "entropy",
    "kl_divergence",
    "log_softmax",
    "nll_loss",
    "softmax",
]


@pytest.mark.parametrize("name", LOSSES)
@given(data=st.data())
@robust(40)
def test_generated_loss_calls(name: str, data: st.DataObject) -> None:
    args, kwargs, in_domain = data.draw(loss_arguments(name), label="arguments")
    function = getattr(impls, name)
    outcome, result = call("losses", function, *args, **kwargs)
    if outcome != "result":
        return
    assert isinstance(result, np.ndarray)
    x = args[0]
    if isinstance(x, np.ndarray) and x.dtype in FLOATING:
        assert result.dtype == x.dtype
    if name in ("entropy", "kl_divergence"):
        return  # -sum p log p of an arbitrary finite array is inf - inf where p has both signs
    if in_domain and _finite_floating(*args, *kwargs.values()) and _has_nan(result):
        # the documented NaN: a mean that divides by 0 (PyTorch's value)
        assert kwargs.get("reduction", "mean") == "mean", f"{name}: NaN for finite input {args}, {kwargs}"
        summed = function(*args, **{**kwargs, "reduction": "sum"})
        assert not _has_nan(summed), f"{name}: NaN beyond the mean's 0 / 0 for {args}, {kwargs}"


OPTIMIZER_FACTORIES: dict[str, tuple[Callable[..., impls.Optimizer], dict[str, st.SearchStrategy[Any]]]] = {
    "sgd": (
        impls.sgd,
        {
            "lr": st.floats(0, 10),
            "momentum": st.floats(0, 10),
            "dampening": st.floats(0, 1),
            "weight_decay": st.floats(0, 10),
            "maximize": st.booleans(),
        },
    ),
    "adagrad": (
        impls.adagrad,
        {
            "lr": st.floats(0, 10),
            "lr_decay": st.floats(0, 10),
            "weight_decay": st.floats(0, 10),
            "initial_accumulator_value": st.floats(0, 10),
            "eps": st.floats(1e-10, 1),
            "maximize": st.booleans(),
        },
    ),
    "rmsprop": (
        impls.rmsprop,
        {
            "lr": st.floats(0, 10),
            "alpha": st.floats(0, 1),
            "eps": st.floats(1e-10, 1),
            "momentum": st.floats(0, 10),
            "centered": st.booleans(),
            "maximize": st.booleans(),
        },
    ),
    "adam": (
        impls.adam,
        {
            "lr": st.floats(0, 10) | st.floats(0, 10).map(np.array),
            "betas": st.tuples(st.floats(0, 0.999), st.floats(0, 0.999)),
            "eps": st.floats(1e-10, 1),
            "weight_decay": st.floats(0, 10),
            "amsgrad": st.booleans(),
            "maximize": st.booleans(),
            "decoupled_weight_decay": st.booleans(),
        },
    ),
    "adamw": (
        impls.adamw,
        {"lr": st.floats(0, 10), "eps": st.floats(1e-10, 1), "weight_decay": st.floats(0, 10)},
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_FACTORIES))
@given(data=st.data())
@robust(40)
def test_generated_optimizer_calls(name: str, data: st.DataObject) -> None:
    factory, hyper = OPTIMIZER_FACTORIES[name]
    kwargs: dict[str, Any] = {"lr": 0.1} if name == "sgd" else {}
    in_domain = True
    for key, valid in hyper.items():
        choice = data.draw(st.sampled_from(["default", "valid", "valid", "anything"]), label=f"{key} kind")
        if choice == "valid":
            kwargs[key] = data.draw(valid, label=key)
        elif choice == "anything":
            kwargs[key] = data.draw(anything(), label=key)
            in_domain = False
    outcome, opt = call("optimizer construction", factory, **kwargs)
    if outcome != "result":
        return
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3), label="shape")
    params: Any = data.draw(arrays(shape=shape, finite=data.draw(st.booleans())) | WRONG, label="params")
    outcome, state = call("optimizer steps", opt.init, params)
    if outcome != "result":
        return
    for _ in range(2):
        same = data.draw(st.booleans(), label="well-formed grads")
        grads = params.astype(params.dtype) * 0.5 if same else data.draw(arrays() | WRONG, label="grads")
        outcome, out = call("optimizer steps", opt.step, params, grads, state)
        if outcome != "result":
            return
        new, state = out
        assert isinstance(new, np.ndarray) and new.shape == params.shape and new.dtype == params.dtype
        small = _finite_floating(params, grads) and np.all(np.abs(params.astype(np.float64)) <= 1e30)
        if in_domain and small:
            assert not _has_nan(new), f"{name}: NaN from finite params {params!r}, {kwargs}"
        params = new


@given(data=st.data())
@robust(40)
def test_generated_clipping_calls(data: st.DataObject) -> None:
    tree = st.dictionaries(st.sampled_from("ab"), arrays(kinds=""), max_size=2)
    grads = data.draw(arrays(kinds="") | tree | arrays() | WRONG, label="grads")
    valid_bound, valid_norm = st.floats(0, 10), st.sampled_from([2.0, 1.0, math.inf, 0.5])
    bound = data.draw(valid_bound | valid_bound | anything(), label="bound")
    norm_type = data.draw(valid_norm | valid_norm | anything(), label="norm_type")
    outcome, result = call("clipping", impls.clip_grad_norm, grads, bound, norm_type)
    if outcome == "result":
        clipped, _ = result
        assert isinstance(clipped, type(grads) if isinstance(grads, np.ndarray) else dict)
    outcome, result = call("clipping", impls.clip_grad_value, grads, bound)
    if outcome == "result" and isinstance(grads, np.ndarray):
        assert result.shape == grads.shape and result.dtype == grads.dtype


@pytest.fixture(scope="module", autouse=True)
def _report_case_counts() -> Iterator[None]:
    """With ``INITCHECK_ROBUSTNESS_COUNTS=1``, print how many generated calls ran and how."""
    yield
    if os.environ.get("INITCHECK_ROBUSTNESS_COUNTS"):
        total = sum(CASES.values())
        lines = "\n".join(f"  {key}: {count}" for key, count in sorted(CASES.items()))
        print(f"\nrobustness: {total} generated calls\n{lines}", file=sys.__stderr__)


# --------------------------------------------------------------------------------------------
# Normalization, attention, dropout: generated calls under the same rules
# --------------------------------------------------------------------------------------------


@st.composite
def layer_arguments(draw: st.DrawFn, name: str) -> tuple[tuple[Any, ...], dict[str, Any], bool]:
    """Arguments for one call of ``name``: mostly well-formed, sometimes anything; and whether
    the call is in the domain where a NaN result would be a defect (finite input, eps > 0)."""
    x = draw(st.one_of(arrays(), arrays(finite=True)))
    wild = draw(st.booleans())
    eps = draw(st.one_of(st.floats(1e-8, 1.0), anything())) if wild else draw(st.floats(1e-8, 1.0))
    last = x.shape[-1] if x.ndim else 1
    if name in ("layer_norm", "rms_norm"):
        shape = draw(anything()) if wild else last
        return (x, shape), {"eps": eps}, not wild
    if name in ("layer_norm_backward", "rms_norm_backward"):
        grad = draw(arrays(shape=x.shape, finite=True)) if not wild else draw(anything())
        return (x, grad, last), {"eps": eps}, not wild
    if name == "batch_norm":
        return (x,), {"eps": eps}, not wild
    if name == "batch_norm_backward":
        grad = draw(arrays(shape=x.shape, finite=True)) if not wild else draw(anything())
        return (x, grad), {"eps": eps}, not wild
    if name in ("attention_scores", "scaled_dot_product_attention"):
        key = draw(arrays(shape=x.shape, finite=True)) if not wild else draw(anything())
        scale = draw(st.one_of(st.none(), st.floats(1e-3, 10.0), anything()))
        args = (x, key, key) if name == "scaled_dot_product_attention" else (x, key)
        return args, {"scale": scale}, not wild and (scale is None or isinstance(scale, float))
    p = draw(st.one_of(st.floats(0.0, 1.0), anything()))
    return (x,), {"p": p, "rng": draw(st.one_of(st.integers(0, 9), anything()))}, False


LAYERS = [
    "layer_norm",
    "layer_norm_backward",
    "rms_norm",
    "rms_norm_backward",
    "batch_norm",
    "batch_norm_backward",
    "attention_scores",
    "scaled_dot_product_attention",
    "dropout",
]


@pytest.mark.parametrize("name", LAYERS)
@given(data=st.data())
@robust(40)
def test_generated_layer_calls(name: str, data: st.DataObject) -> None:
    """A result or a named ValueError/TypeError; no hang, warning, mutation, or NaN in-domain."""
    args, kwargs, in_domain = data.draw(layer_arguments(name), label="arguments")
    outcome, result = call("layers", getattr(impls, name), *args, **kwargs)
    values = [a for a in args if isinstance(a, np.ndarray)]
    if outcome == "result" and in_domain and _finite_floating(*values):
        results = result if isinstance(result, tuple) else (result,)
        for part in results:
            if isinstance(part, np.ndarray) and part.size and np.all(np.isfinite(part.astype(np.float64))):
                continue
            if isinstance(part, np.ndarray) and part.size:
                finite_in = all(np.all(np.abs(v.astype(np.float64)) < 1e150) for v in values)
                assert not (finite_in and _has_nan(part)), f"{name}: NaN from finite input"


# --------------------------------------------------------------------------------------------
# Parametrizations (SP, NTK, μP): generated calls under the same rules
# --------------------------------------------------------------------------------------------


@st.composite
def parametrization_arguments(draw: st.DrawFn, name: str) -> tuple[tuple[Any, ...], dict[str, Any], bool]:
    """Arguments for one call of ``name``: a valid network and batch, with some arguments replaced
    by anything; and whether the call is in the domain where a NaN result would be a defect."""
    widths: Any = draw(st.lists(st.integers(1, 5), min_size=3, max_size=4).map(tuple))
    parametrization: Any = draw(st.sampled_from(impls.PARAMETRIZATIONS))
    gain: Any = draw(st.floats(0.1, 3.0))
    wild = draw(st.sets(st.sampled_from(["widths", "parametrization", "gain", "x", "grad", "other"])))
    if "widths" in wild:
        widths = draw(st.one_of(anything(), st.lists(st.one_of(st.integers(-2, 5), anything()), max_size=4)))
    if "parametrization" in wild:
        parametrization = draw(anything())
    if "gain" in wild:
        gain = draw(anything())
    if name == "layer_scalings":
        return (widths, parametrization), {"gain": gain}, False
    optimizer = (
        draw(st.sampled_from(impls.PARAMETRIZED_OPTIMIZERS)) if "other" not in wild else draw(anything())
    )
    lr = draw(st.floats(0.0, 1.0)) if "other" not in wild else draw(anything())
    if name == "layer_learning_rates":
        return (widths, parametrization, optimizer, lr), {}, False
    if name == "parametrized_optimizer":
        return (widths, parametrization, optimizer, lr), {}, False
    if name == "init_parametrized_mlp":
        dtype = draw(st.sampled_from([np.float32, np.float64])) if "other" not in wild else draw(anything())
        return (widths, parametrization), {"gain": gain, "rng": 0, "dtype": dtype}, False
    sizes = draw(st.lists(st.integers(1, 5), min_size=3, max_size=4).map(tuple))
    kind = draw(st.sampled_from(impls.PARAMETRIZATIONS))
    params = impls.init_parametrized_mlp(sizes, kind, rng=draw(st.integers(0, 9)))
    batch = draw(st.integers(1, 3))
    x = draw(arrays(shape=(batch, sizes[0]), finite=True)) if "x" not in wild else draw(anything())
    if name == "parametrized_forward":
        return (params, x, parametrization), {"gain": gain}, not wild
    cache = impls.parametrized_forward(params, np.ones((batch, sizes[0])), kind)
    grad = draw(arrays(shape=(batch, sizes[-1]), finite=True)) if "grad" not in wild else draw(anything())
    return (params, cache, grad, kind), {"gain": gain}, not wild


PARAMETRIZATION_FUNCTIONS = [
    "layer_scalings",
    "layer_learning_rates",
    "init_parametrized_mlp",
    "parametrized_forward",
    "parametrized_backward",
    "parametrized_optimizer",
]


@pytest.mark.parametrize("name", PARAMETRIZATION_FUNCTIONS)
@given(data=st.data())
@robust(40)
def test_generated_parametrization_calls(name: str, data: st.DataObject) -> None:
    """A result or a named ValueError/TypeError; no hang, warning, mutation, or NaN in-domain."""
    args, kwargs, in_domain = data.draw(parametrization_arguments(name), label="arguments")
    outcome, result = call("parametrizations", getattr(impls, name), *args, **kwargs)
    values = [a for a in args if isinstance(a, np.ndarray)]
    if outcome == "result" and in_domain and _finite_floating(*values):
        parts = result.pre if name == "parametrized_forward" else list(result.params.values())
        finite_in = all(np.all(np.abs(v.astype(np.float64)) < 1e150) for v in values)
        assert not (finite_in and any(_has_nan(p) for p in parts)), f"{name}: NaN from finite input"
