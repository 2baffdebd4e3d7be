"""Robustness of impls' initializers, fans and network functions under generated arguments.

Every public function of ``impls.initializers``, ``impls.fans`` and ``impls.network`` is called
with Hypothesis-generated arguments, valid and invalid: shapes (empty, 0-d, zero-size, NumPy ints,
floats, strings, negative sizes), dtypes (the policy's four, names, ints, bool, complex,
byte-swapped, long double), reals (NaN, +-inf, huge, subnormal, -0.0, NumPy scalars, bools,
strings) and seeds. Each call must end in one of two ways (:func:`outcome`):

- a result of the right shape and dtype whose values are finite (``constant`` may fill the
  ``inf``/``nan`` it was asked for; a network fed inputs beyond ``|x| <= 1e3`` may overflow);
- a ``ValueError`` or ``TypeError`` whose message names an argument of the call;

and never: a hang (every call is bounded at 10 s by SIGALRM), a NumPy warning or error (the suite
turns warnings into errors; only the documented ``UserWarning``\\ s are allowed), a changed
argument. Then one regression test per defect fixed (issue 9), and the dtype policy for every
initializer.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import math
import re
import signal
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ml_dtypes import bfloat16
from scipy import stats

import impls
from impls import fans, initializers, network
from properties import strategies as cs
from properties.decide import dkw_halfwidth

CALL_SECONDS = 10.0
"""No call may take longer (the worst legitimate one here takes milliseconds)."""

ALLOWED_WARNINGS = ("mean is more than 2 std from [a, b]", "Initializing zero-element tensors is a no-op")
"""The UserWarnings PyTorch also gives (truncated normal far from its mean, empty Kaiming)."""

ALIASES = {"param": ("negative_slope",)}
"""Arguments an error may name by PyTorch's word for them (``calculate_gain``'s param)."""

OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()
"""(function, outcome) -> number of generated calls; printed at the end of the module (-s)."""

FLOATS = [np.dtype(np.float16), np.dtype(bfloat16), np.dtype(np.float32), np.dtype(np.float64)]


# --------------------------------------------------------------------------------------------
# The harness: a bounded call, its warnings, its arguments before and after
# --------------------------------------------------------------------------------------------


CHECKED_FOR_CHANGES = (np.ndarray, np.generic, list, tuple, dict, int, float, complex, str)
"""Arguments compared before and after a call (not Generators, which a call must advance)."""


class CallTimedOut(Exception):
    """A call ran past :data:`CALL_SECONDS`."""


@contextlib.contextmanager
def bounded(seconds: float = CALL_SECONDS) -> Iterator[None]:
    """Raise :class:`CallTimedOut` in the body once ``seconds`` have passed (SIGALRM, Unix)."""

    def expire(signum: int, frame: Any) -> None:
        raise CallTimedOut(f"call still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def _same(before: Any, after: Any) -> bool:
    """Structural equality that treats NaN as equal to itself and compares dtypes."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or before.dtype != after.dtype or before.shape != after.shape:
            return False
        if before.dtype.kind == "f" or before.dtype == bfloat16:
            return bool(np.array_equal(before.astype(np.float64), after.astype(np.float64), equal_nan=True))
        return bool(np.array_equal(before, after))
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(_same(before[k], after[k]) for k in before)
        )
    if isinstance(before, list | tuple):
        return type(before) is type(after) and len(before) == len(after) and all(map(_same, before, after))
    if isinstance(before, float) and math.isnan(before):
        return isinstance(after, float) and math.isnan(after)
    return bool(before is after or before == after)


def _names(message: str, passed: Any) -> bool:
    """Whether ``message`` names one of the arguments ``passed`` (single letters as ``a=``/``a must``)."""
    for name in passed:
        for word in (name, *ALIASES.get(name, ())):
            if len(word) == 1:
                pattern = rf"(?<![\w.]){word}(\s*=|:|\s+must|\s+and\b|\s+\d)"
            else:
                pattern = rf"(?<![\w]){re.escape(word)}(?!\w)"
            if re.search(pattern, message, flags=re.IGNORECASE):
                return True
    return False


def outcome(
    function: Callable[..., Any],
    args: dict[str, Any],
    check: Callable[[Any], None],
) -> str:
    """Call ``function(**args)`` under the rules of this module and return what happened."""
    before = {k: copy.deepcopy(v) for k, v in args.items() if isinstance(v, CHECKED_FOR_CHANGES)}
    name = function.__name__
    with warnings.catch_warnings(record=True) as caught, bounded():
        warnings.simplefilter("always")
        try:
            result = function(**args)
        except (ValueError, TypeError) as error:
            result, kind = error, type(error).__name__
            assert _names(str(error), args), f"{name}({args}) raised {error!r}, which names no argument"
        else:
            kind = "result"
    for warning in caught:
        assert issubclass(warning.category, UserWarning) and not issubclass(warning.category, RuntimeWarning)
        assert str(warning.message).startswith(ALLOWED_WARNINGS), f"{name}({args}) warned {warning.message}"
    for key, value in before.items():
        assert _same(value, args[key]), f"{name} changed its argument {key}"
    if kind == "result":
        check(result)
    OUTCOMES[(name, kind)] += 1
    return kind


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Iterator[None]:
    """Print how many generated calls ran and how they ended (visible with ``pytest -s``)."""
    yield
    total = sum(OUTCOMES.values())
    print(f"\nrobustness: {total} generated calls")
    for (name, kind), count in sorted(OUTCOMES.items()):
        print(f"  {name:24s} {kind:10s} {count}")


# --------------------------------------------------------------------------------------------
# Generated arguments
# --------------------------------------------------------------------------------------------

ODD_REALS = [
    0.0,
    -0.0,
    5e-324,
    1e-310,
    1e-300,
    1e-9,
    1e9,
    6.5e4,
    7e4,
    3.4e38,
    1e39,
    1e154,
    1e200,
    1e300,
    1e308,
]


def reals() -> st.SearchStrategy[Any]:
    """Mostly ordinary reals, then extremes of both signs, non-finite values and non-reals."""
    ordinary = st.floats(-10, 10, allow_nan=False)
    extreme = st.sampled_from(ODD_REALS).flatmap(lambda v: st.sampled_from([v, -v]))
    odd = st.sampled_from([math.nan, math.inf, -math.inf, "1", None, True, [1.0], 1j, 10**400, -(10**400)])
    numpy = st.floats(-10, 10).map(np.float32) | st.integers(-5, 5).map(np.int64)
    some = st.one_of(extreme, st.floats(), numpy, st.integers(-(10**6), 10**6), odd)
    return st.one_of(ordinary, ordinary, ordinary, some)


def shapes(min_dims: int = 0, max_dims: int = 5) -> st.SearchStrategy[Any]:
    """Shapes of up to 5 dims of sizes 0-6 (Python or NumPy ints, or an int), and malformed ones."""
    sizes = st.integers(0, 6)
    plain = st.lists(sizes, min_size=min_dims, max_size=max_dims).map(tuple)
    numpy = st.lists(sizes.map(np.int64), min_size=min_dims, max_size=max_dims).map(tuple)
    bad = st.sampled_from(
        [(2.0, 3), "23", None, (-1, 2), (True, 2), (2, None), 3.0, {2: 3}, (2**62, 4), (10**400,)]
    )
    other = st.one_of(sizes, st.just(np.array([2, 3])), st.just([3, 4]), bad)
    return st.one_of(plain, plain, numpy, other)


def dtypes() -> st.SearchStrategy[Any]:
    """The policy's dtypes under several spellings, and dtypes it refuses."""
    good = st.sampled_from([np.float16, bfloat16, np.float32, np.float64, "float32", "bfloat16", "f8", None])
    bad = st.sampled_from([np.int32, bool, complex, "x", object, np.dtype(">f8"), np.longdouble, 3])
    return st.one_of(good, good, good, bad)


def rngs() -> st.SearchStrategy[Any]:
    """Seeds, Generators, SeedSequences, None, and things that are not seeds."""
    good = st.one_of(
        st.integers(0, 2**32),
        st.just(None),
        st.integers(0, 99).map(np.random.default_rng),
        st.integers(0, 99).map(np.random.SeedSequence),
        st.integers(0, 99).map(np.int64),
    )
    return st.one_of(good, good, good, st.sampled_from([-1, "seed", 1.5, True]))


LAYOUTS = st.sampled_from(["torch", "keras", "jax", None, 1])
MODES = st.sampled_from(["fan_in", "fan_out", "fan_avg", "fan_geo_avg", "FAN_OUT", "fan", None])
NONLINEARITIES = st.sampled_from(
    ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "gelu", 1]
)
GROUPS = st.one_of(
    st.integers(-1, 4), st.integers(1, 3).map(np.int64), st.sampled_from([2.0, "2", True, None])
)

COMMON = {"rng": rngs(), "dtype": dtypes()}

INITIALIZER_ARGUMENTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # name: (required arguments, optional arguments)
    "zeros": ({"shape": shapes()}, COMMON),
    "ones": ({"shape": shapes()}, COMMON),
    "constant": ({"shape": shapes(), "value": reals()}, COMMON),
    "eye": ({"shape": shapes(1, 3)}, COMMON),
    "dirac": ({"shape": shapes(2, 6)}, {"groups": GROUPS, **COMMON}),
    "uniform": ({"shape": shapes()}, {"low": reals(), "high": reals(), **COMMON}),
    "normal": ({"shape": shapes()}, {"mean": reals(), "std": reals(), **COMMON}),
    "truncated_normal": (
        {"shape": shapes()},
        {"mean": reals(), "std": reals(), "a": reals(), "b": reals(), **COMMON},
    ),
    "variance_scaling": (
        {"shape": shapes(1, 4)},
        {
            "scale": reals(),
            "mode": MODES,
            "distribution": st.sampled_from(["truncated_normal", "normal", "uniform", "untruncated_normal"]),
            "layout": LAYOUTS,
            **COMMON,
        },
    ),
    "xavier_uniform": ({"shape": shapes(1, 4)}, {"gain": reals(), "layout": LAYOUTS, **COMMON}),
    "xavier_normal": ({"shape": shapes(1, 4)}, {"gain": reals(), "layout": LAYOUTS, **COMMON}),
    "kaiming_uniform": (
        {"shape": shapes(1, 4)},
        {"a": reals(), "mode": MODES, "nonlinearity": NONLINEARITIES, "layout": LAYOUTS, **COMMON},
    ),
    "kaiming_normal": (
        {"shape": shapes(1, 4)},
        {"a": reals(), "mode": MODES, "nonlinearity": NONLINEARITIES, "layout": LAYOUTS, **COMMON},
    ),
    "lecun_uniform": ({"shape": shapes(1, 4)}, {"layout": LAYOUTS, **COMMON}),
    "lecun_normal": ({"shape": shapes(1, 4)}, {"layout": LAYOUTS, **COMMON}),
    "pytorch_linear_default": ({"shape": shapes(1, 4)}, {"layout": LAYOUTS, **COMMON}),
    "orthogonal": ({"shape": shapes(1, 4)}, {"gain": reals(), **COMMON}),
    "sparse": ({"shape": shapes(1, 3), "sparsity": reals()}, {"std": reals(), **COMMON}),
}


def _expected_dtype(args: dict[str, Any]) -> np.dtype:
    return np.dtype(args.get("dtype", np.float64))


def _check_array(args: dict[str, Any], allow_nonfinite: bool = False) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        shape = args["shape"]
        dims = (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(d) for d in shape)
        assert isinstance(result, np.ndarray) and result.shape == dims
        assert result.dtype == _expected_dtype(args) and result.dtype in FLOATS
        if not allow_nonfinite:
            assert np.all(np.isfinite(result.astype(np.float64))), f"non-finite values for {args}"

    return check


def test_every_public_initializer_is_exercised() -> None:
    assert set(INITIALIZER_ARGUMENTS) == set(initializers.__all__) - {"TRUNCATED_STD_2SIGMA"}


@pytest.mark.parametrize("name", sorted(INITIALIZER_ARGUMENTS))
@given(data=st.data())
@cs.scaled(40)
def test_initializer_outcome(name: str, data: st.DataObject) -> None:
    required, optional = INITIALIZER_ARGUMENTS[name]
    args = data.draw(st.fixed_dictionaries(required, optional=optional), label="arguments")
    value = args.get("value", 0.0)
    nonfinite_asked = name == "constant" and isinstance(value, float) and not math.isfinite(value)
    outcome(getattr(impls, name), args, _check_array(args, allow_nonfinite=nonfinite_asked))


@given(shape=shapes(), layout=LAYOUTS)
@cs.scaled(60)
def test_compute_fans_outcome(shape: Any, layout: Any) -> None:
    def check(result: Any) -> None:
        assert isinstance(result, tuple) and len(result) == 2
        assert all(isinstance(f, int) and f >= 0 for f in result)

    outcome(fans.compute_fans, {"shape": shape, "layout": layout}, check)


@given(nonlinearity=NONLINEARITIES, param=reals())
@cs.scaled(60)
def test_calculate_gain_outcome(nonlinearity: Any, param: Any) -> None:
    def check(result: Any) -> None:
        assert isinstance(result, float) and math.isfinite(result) and result >= 0

    outcome(fans.calculate_gain, {"nonlinearity": nonlinearity, "param": param}, check)


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------


def _wrong_shape(shape: tuple[int, ...], *, rng: Any, dtype: Any) -> np.ndarray:
    return impls.zeros((shape[0] + 1, *shape[1:]), dtype=dtype)


def _a_list(shape: tuple[int, ...], *, rng: Any, dtype: Any) -> Any:
    return np.zeros(shape).tolist()


INITS = st.sampled_from(
    [
        impls.xavier_normal,
        impls.orthogonal,
        impls.zeros,
        impls.eye,
        impls.lecun_normal,
        functools.partial(impls.constant, value=0.5),
        functools.partial(impls.normal, std=0.1),
        _wrong_shape,
        _a_list,
        "xavier",
    ]
)
WIDTHS = st.one_of(
    st.lists(st.integers(1, 5), min_size=2, max_size=4),
    st.lists(st.integers(1, 5).map(np.int64), min_size=2, max_size=4).map(tuple),
    st.sampled_from([[3.7, 2.2], "34", [3], [], [3, 0], [3, -1], [True, 2], 5, None, np.array([3, 2])]),
)
ACTIVATION_NAMES = st.sampled_from(["tanh", "relu", "linear", "sigmoid", "selu", "gelu", "swish", None, 3])


@given(widths=WIDTHS, weight_init=INITS, bias_init=INITS | st.none(), rng=rngs(), dtype=dtypes())
@cs.scaled(80)
def test_init_mlp_outcome(widths: Any, weight_init: Any, bias_init: Any, rng: Any, dtype: Any) -> None:
    args = {"widths": widths, "weight_init": weight_init, "bias_init": bias_init, "rng": rng, "dtype": dtype}

    def check(params: Any) -> None:
        sizes = [int(w) for w in widths]
        assert network.depth(params) == len(sizes) - 1
        for layer in range(1, len(sizes)):
            assert params[f"W{layer}"].shape == (sizes[layer], sizes[layer - 1])
            assert params[f"b{layer}"].shape == (sizes[layer],)
        for value in params.values():
            assert value.dtype == np.dtype(dtype) and np.all(np.isfinite(value.astype(np.float64)))

    outcome(impls.init_mlp, args, check)


@st.composite
def networks(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A network's params (float32/float64) and whether they were left well-formed."""
    widths = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    params: dict[str, Any] = impls.init_mlp(widths, impls.xavier_normal, rng=draw(cs.seeds()), dtype=dtype)
    damage = draw(
        st.sampled_from(["none", "none", "drop", "extra", "reshape", "list", "int", "nan", "scale"])
    )
    key = draw(st.sampled_from(sorted(params)))
    if damage == "drop":
        del params[key]
    elif damage == "extra":
        params["W0"] = params["W1"]
    elif damage == "reshape":
        params[key] = np.zeros((*params[key].shape, 1), dtype=dtype)
    elif damage == "list":
        params[key] = params[key].tolist()
    elif damage == "int":
        params[key] = params[key].astype(np.int64)
    elif damage == "nan":
        params[key] = np.full_like(params[key], np.nan)
    elif damage == "scale":
        params[key] = params[key] * (np.finfo(dtype).max / 8)
    return params, damage == "none"


def _inputs(width: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(1, 3).map(lambda n: np.linspace(-2, 2, n * width).reshape(n, width)),
        st.sampled_from([np.full((2, width), np.nan), np.full((1, width), 1e300), np.ones((2, width + 1))]),
        st.sampled_from([np.ones(width), np.ones((0, width)), "x", None, np.ones((2, width), dtype=complex)]),
        st.just([[0.5] * width]),
    )


@given(net=networks(), data=st.data(), activation=ACTIVATION_NAMES, output_activation=ACTIVATION_NAMES)
@cs.scaled(80)
def test_forward_backward_outcome(
    net: tuple[dict[str, Any], bool], data: st.DataObject, activation: Any, output_activation: Any
) -> None:
    params, intact = net
    width = np.shape(params.get("W1", np.zeros((1, 2))))[-1]
    x = data.draw(_inputs(width), label="x")
    in_domain = intact and np.asarray(x).dtype.kind == "f" and bool(np.all(np.abs(np.asarray(x)) <= 1e3))
    args = {"params": params, "x": x, "activation": activation, "output_activation": output_activation}

    def check_forward(cache: Any) -> None:
        assert isinstance(cache, network.Forward) and len(cache.post) == len(cache.pre) + 1
        assert cache.post[-1].shape == (np.shape(x)[0], params[f"W{len(cache.pre)}"].shape[0])
        if in_domain:
            assert all(np.all(np.isfinite(v)) for v in cache.post)

    if outcome(network.forward, args, check_forward) != "result":
        return
    cache = network.forward(params, x, activation, output_activation)
    grad = data.draw(st.sampled_from([np.ones_like(cache.post[-1]), np.ones(3), "g"]), label="grad_output")
    stale = data.draw(st.booleans(), label="stale cache")
    backward_args = {
        "params": params,
        "cache": network.Forward(cache.pre[:-1], cache.post[:-1]) if stale else cache,
        "grad_output": grad,
        "activation": activation,
        "output_activation": output_activation,
    }

    def check_backward(result: Any) -> None:
        assert isinstance(result, network.Backward) and result.params.keys() == params.keys()
        for key, value in result.params.items():
            assert value.shape == params[key].shape
            assert not in_domain or np.all(np.isfinite(value))

    if outcome(network.backward, backward_args, check_backward) == "result":
        back = network.backward(params, cache, grad, activation, output_activation)
        outcome(network.input_gradient, {"params": params, "backward_pass": back}, lambda g: None)
    point = np.asarray(x)[0] if np.ndim(x) == 2 and len(x) else x

    def check_jacobian(result: Any) -> None:
        assert result.shape == (cache.post[-1].shape[1], width)
        assert not in_domain or np.all(np.isfinite(result))

    jacobian_args = {
        "params": params,
        "x": point,
        "activation": activation,
        "output_activation": output_activation,
    }
    outcome(network.jacobian, jacobian_args, check_jacobian)


def test_the_harness_catches_what_it_must() -> None:
    """The rules of :func:`outcome` fail: a hang, a warning, a mutation, an error naming nothing."""

    def hangs(x: float) -> None:
        while True:
            pass

    def warns(x: float) -> None:
        np.log(np.zeros(1))

    def mutates(x: np.ndarray) -> None:
        x[0] = 1.0

    def mute(x: float) -> None:
        raise ValueError("bad input")

    with pytest.raises(CallTimedOut), bounded(0.05):
        hangs(1.0)
    for function, argument in ((warns, 1.0), (mutates, np.zeros(2)), (mute, 1.0)):
        with pytest.raises(AssertionError):
            outcome(function, {"x": argument}, lambda result: None)
    assert _names("a must be < b, got a=1", {"a": 1}) and not _names("must be a real number", {"a": 1})


# --------------------------------------------------------------------------------------------
# Regression tests: one per defect of issue 9 (each failed or hung before the fix)
# --------------------------------------------------------------------------------------------

HANGING_TRUNCATED_NORMALS = [
    {"mean": 1e9, "a": -1.0, "b": 1.0},
    {"mean": -1e9, "a": -1.0, "b": 1.0},
    {"std": 1e-9, "a": 1.0, "b": 2.0},
    {"a": 1e300, "b": 1e301},
    {"mean": 1.0, "std": 1e-20, "a": 1.0, "b": 2.0},
    {"mean": 1e5, "a": -1e6, "b": 1e6, "dtype": np.float16},
    {"mean": -1e308, "std": 1e308, "a": 1e308, "b": 1.5e308},
]


@pytest.mark.parametrize("case", HANGING_TRUNCATED_NORMALS, ids=str)
def test_truncated_normal_returns_or_refuses_in_bounded_time(case: dict[str, Any]) -> None:
    with bounded(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "mean is more than 2 std", UserWarning)
        try:
            w = impls.truncated_normal((1000,), rng=0, **case)
        except ValueError as error:
            assert "cannot be represented" in str(error)
            return
    low, high = np.array([case.get("a", -2.0), case.get("b", 2.0)]).astype(w.dtype)
    assert np.all(w > low) and np.all(w < high) and np.all(np.isfinite(w))


def test_truncated_normal_refuses_laws_it_cannot_store() -> None:
    """Spread below half an ulp of the bound, or a law entirely beyond the dtype's range."""
    for case in HANGING_TRUNCATED_NORMALS[2:6]:
        with warnings.catch_warnings(), pytest.raises(ValueError, match="cannot be represented"):
            warnings.filterwarnings("ignore", "mean is more than 2 std", UserWarning)
            impls.truncated_normal((3,), **case)


def _far_tail_distance(mean: float, edge: float, dtype: Any, seed: int) -> np.ndarray:
    """Draws of |x - edge| * |mean - edge|, which is Exp(1) in the far tail beyond ``edge``."""
    a, b = (edge, edge + 2.0) if mean < edge else (edge - 2.0, edge)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "mean is more than 2 std", UserWarning)
        w = impls.truncated_normal((DKW_N,), mean, 1.0, a, b, rng=seed, dtype=dtype)
    return np.abs(w.astype(np.float64) - edge) * abs(mean - edge)


FALSE_FAIL = 1e-9
DKW_N = 40_000


@pytest.mark.parametrize(
    ("mean", "edge", "dtype"),
    [(1e9, 1.0, np.float64), (-1e9, -1.0, np.float64), (-1e3, 3.0, np.float32), (40.0, 1.0, np.float64)],
)
def test_truncated_normal_far_tail_is_exponential(mean: float, edge: float, dtype: Any) -> None:
    """Beyond ``z0 = |mean - edge| / std >> 1`` the law of ``z0 |x - edge|`` is Exp(1).

    The density is ``exp(-z0 t - t^2 / 2)``; the ``t^2 / 2 ~ 1 / z0^2`` term and the rounding of
    x (an ulp of ``edge`` times z0) move the CDF by less than 1e-3 here (z0 >= 39; float32's ulp
    2.4e-7 at 3 times z0 = 1e3), far below the DKW half-width at n = 40000 (0.016 for false-fail
    1e-9).
    """
    distances = _far_tail_distance(mean, edge, dtype, seed=1)
    statistic = stats.kstest(distances, stats.expon.cdf).statistic
    assert statistic <= dkw_halfwidth(DKW_N, FALSE_FAIL)


def test_truncated_normal_tiny_interval_and_huge_std() -> None:
    """A std much wider than (a, b) makes the law uniform on (a, b), without a RuntimeWarning."""
    threshold = dkw_halfwidth(DKW_N, FALSE_FAIL)
    for a, b, std in ((1.0, 1.0 + 1e-12, 1.0), (-2.0, 2.0, 1e300), (-1e-300, 1e-300, 1.0)):
        w = impls.truncated_normal((DKW_N,), 0.0, std, a, b, rng=2)
        assert np.all(w > a) and np.all(w < b)
        u = (w - a) / (b - a)
        # Over (a, b) the density varies by a factor exp(-(b^2 - a^2) / (2 std^2)) >= 1 - 2e-12;
        # the values lie on a grid of one ulp, which moves the empirical CDF by one grid cell.
        cell = float(np.spacing(max(abs(a), abs(b)))) / (b - a)
        assert stats.kstest(u, stats.uniform.cdf).statistic <= threshold + cell + 2e-12


def test_truncated_normal_huge_interval() -> None:
    w = impls.truncated_normal((DKW_N,), 0.0, 1e308, -1e308, 1e308, rng=3)
    law = stats.truncnorm(-1.0, 1.0)
    assert stats.kstest(w / 1e308, law.cdf).statistic <= dkw_halfwidth(DKW_N, FALSE_FAIL)


def test_errors_name_the_argument_given() -> None:
    with pytest.raises(ValueError, match="gain"):
        impls.xavier_uniform((3, 3), gain=-1.0)
    with pytest.raises(ValueError, match="gain"):
        impls.xavier_normal((3, 3), gain=-0.5)
    with pytest.raises(ValueError, match=r"^a must be a finite real"):
        impls.kaiming_normal((3, 3), a=math.nan)
    with pytest.raises(ValueError, match=r"^a must be a finite real"):
        impls.kaiming_uniform((3, 3), a=math.inf)
    with pytest.raises(ValueError, match=r"^gain: .* cannot be represented in float32"):
        impls.xavier_uniform((3, 3), gain=1e200, dtype=np.float32)
    with pytest.raises(ValueError, match=r"^low and high: .* cannot be represented in float32"):
        impls.uniform((3,), -1e308, 1e308, dtype=np.float32)
    with pytest.raises(ValueError, match=r"^mean and std: "):
        impls.normal((1000,), 0.0, 1e308)
    with pytest.raises(ValueError, match=r"^value: .* cannot be represented in float16"):
        impls.constant((2,), 1e5, dtype=np.float16)
    with pytest.raises(ValueError, match=r"^gain: .* cannot be represented in float16"):
        impls.orthogonal((3, 3), gain=1e5, dtype=np.float16)
    with pytest.raises(ValueError, match=r"^scale: "):
        impls.variance_scaling((1, 1), scale=1e12, dtype=np.float16, distribution="truncated_normal")
    with pytest.raises(TypeError, match="widths must be an int"):
        impls.init_mlp([3.7, 2.2], impls.zeros)
    with pytest.raises(TypeError, match="widths must be a sequence of ints"):
        impls.init_mlp("34", impls.zeros)
    with pytest.raises(ValueError, match=r"weight_init returned shape \(3, 3\) for shape \(2, 3\)"):
        impls.init_mlp([3, 2], lambda shape, **k: impls.zeros((3, 3), **k))
    with pytest.raises(TypeError, match="bias_init must return a float64 ndarray"):
        impls.init_mlp([3, 2], impls.zeros, lambda shape, **k: [0.0] * shape[0])
    with pytest.raises(TypeError, match="groups must be an int"):
        impls.dirac((4, 2, 3), groups=2.0)
    with pytest.raises(ValueError, match=re.escape("params must hold W1, b1, ..., WL, bL; missing")):
        impls.forward({"W1": np.ones((2, 3))}, np.ones((1, 3)))
    with pytest.raises(ValueError, match="params: W2"):
        impls.forward(
            {"W1": np.ones((2, 3)), "b1": np.ones(2), "W2": np.ones((2, 5)), "b2": np.ones(2)},
            np.ones((1, 3)),
        )


def test_gain_semantics_follow_pytorch() -> None:
    """gain = 0 gives zeros (PyTorch fills with +-0); a huge gain no longer overflows in float64;
    orthogonal keeps PyTorch's negative gain (-Q is Haar too); a huge slope has a finite gain."""
    assert np.array_equal(impls.xavier_uniform((3, 4), gain=0.0, rng=0), np.zeros((3, 4)))
    assert np.array_equal(impls.xavier_normal((3, 4), gain=0.0, rng=0), np.zeros((3, 4)))
    w = impls.xavier_uniform((3, 4), gain=1e200, rng=0)
    bound = 1e200 * math.sqrt(6 / 7)  # gain * sqrt(6 / (fan_in + fan_out)), to a few roundings
    assert np.all(np.isfinite(w)) and np.max(np.abs(w)) <= bound * (1 + 8 * np.finfo(float).eps)
    assert np.array_equal(
        impls.orthogonal((3, 3), gain=-2.0, rng=0), -impls.orthogonal((3, 3), gain=2.0, rng=0)
    )
    assert impls.calculate_gain("leaky_relu", 1e200) == pytest.approx(math.sqrt(2) / 1e200, rel=1e-15)
    assert impls.calculate_gain("leaky_relu", -3.0) == impls.calculate_gain("leaky_relu", 3.0)


def test_negative_zero_spread_is_zero() -> None:
    """std = -0.0 reached NumPy, which raised "scale < 0" (found by the generated calls)."""
    assert np.array_equal(impls.normal((2, 3), 0.5, -0.0, rng=0), np.full((2, 3), 0.5))
    assert np.array_equal(impls.sparse((4, 3), 0.5, std=-0.0, rng=0), np.zeros((4, 3)))
    assert np.array_equal(impls.xavier_normal((4, 3), gain=-0.0, rng=0), np.zeros((4, 3)))


def test_empty_dirac_kernel() -> None:
    """A zero-size kernel dim raised IndexError (as in PyTorch); an empty tensor is a no-op."""
    assert impls.dirac((2, 2, 0)).shape == (2, 2, 0)


def test_network_overflow_is_an_error_not_a_warning() -> None:
    """x = 1e300 through a float32 weight 4.75e37 overflowed with a RuntimeWarning (found above)."""
    params = {"W1": np.array([[4.753838e37]], dtype=np.float32), "b1": np.zeros(1, dtype=np.float32)}
    with pytest.raises(ValueError, match="layer 1's pre-activations overflow float64: x or params"):
        impls.forward(params, np.array([[1e300]]))
    nan_in = impls.forward(params, np.array([[np.nan]]))  # NaN in, NaN out: not an overflow
    assert np.isnan(nan_in.post[-1]).all()


def test_huge_ints_are_value_errors() -> None:
    """float(10**400) raised a bare OverflowError; a shape beyond intp a NumPy error naming nothing."""
    with pytest.raises(ValueError, match=r"^value must be within the float64 range"):
        impls.constant((2,), 10**400)
    with pytest.raises(ValueError, match=r"^a must be a finite real number"):
        impls.kaiming_normal((2, 2), a=10**400)
    with pytest.raises(ValueError, match=r"^shape \(4611686018427387904, 4\) has more elements"):
        impls.zeros((2**62, 4))
    assert impls.compute_fans((2**62, 4)) == (4, 2**62)  # fans of a shape too big to allocate


def test_numpy_ints_are_accepted_wherever_ints_are() -> None:
    assert np.array_equal(impls.dirac((4, 2, 3), groups=np.int64(2)), impls.dirac((4, 2, 3), groups=2))
    params = impls.init_mlp(np.array([3, 2]), impls.zeros, rng=np.int64(3))
    assert params["W1"].shape == (2, 3)


def test_uniform_over_the_whole_float64_range() -> None:
    """The width 2e308 overflows float64 (NumPy raised OverflowError): drawn around the midpoint."""
    w = impls.uniform((10_000,), -1e308, 1e308, rng=0)
    assert np.all(np.isfinite(w)) and w.min() < -9e307 and w.max() > 9e307
    assert stats.kstest(w / 1e308 / 2 + 0.5, stats.uniform.cdf).statistic <= dkw_halfwidth(10_000, FALSE_FAIL)


def test_every_initializer_is_an_initializer_for_init_mlp() -> None:
    """Deterministic initializers accept rng (the Initializer protocol); init_mlp passes it always."""
    for init in (impls.zeros, impls.ones, functools.partial(impls.constant, value=2.0)):
        params = impls.init_mlp([3, 3], impls.eye, init, rng=0, dtype=np.float32)
        assert params["b1"].dtype == np.float32 and np.array_equal(params["W1"], np.eye(3))
    with pytest.raises(TypeError, match="rng must be"):
        impls.zeros((2,), rng="seed")


def test_fans_is_not_reexported_by_initializers() -> None:
    assert not {"compute_fans", "calculate_gain"} & set(initializers.__all__)
    assert impls.compute_fans is fans.compute_fans and impls.calculate_gain is fans.calculate_gain


# --------------------------------------------------------------------------------------------
# The dtype policy, for every initializer
# --------------------------------------------------------------------------------------------

POLICY_CALLS: dict[str, Callable[..., np.ndarray]] = {
    "zeros": impls.zeros,
    "ones": impls.ones,
    "constant": functools.partial(impls.constant, value=0.1),
    "eye": impls.eye,
    "dirac": lambda shape, **k: impls.dirac((*shape, 3), **k),
    "uniform": functools.partial(impls.uniform, low=-0.5, high=2.0),
    "normal": functools.partial(impls.normal, mean=0.3, std=2.0),
    "truncated_normal": impls.truncated_normal,
    "variance_scaling": impls.variance_scaling,
    "xavier_uniform": impls.xavier_uniform,
    "xavier_normal": impls.xavier_normal,
    "kaiming_uniform": impls.kaiming_uniform,
    "kaiming_normal": impls.kaiming_normal,
    "lecun_uniform": impls.lecun_uniform,
    "lecun_normal": impls.lecun_normal,
    "pytorch_linear_default": impls.pytorch_linear_default,
    "orthogonal": impls.orthogonal,
    "sparse": functools.partial(impls.sparse, sparsity=0.3),
}


def test_policy_covers_every_initializer() -> None:
    assert set(POLICY_CALLS) == set(INITIALIZER_ARGUMENTS)


@pytest.mark.parametrize("name", sorted(POLICY_CALLS))
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_floating_dtypes_are_preserved(name: str, dtype: np.dtype) -> None:
    """Each floating dtype of the policy comes back, by object or by name, with finite values."""
    for spelling in (dtype.type, dtype.name):
        w = POLICY_CALLS[name]((6, 4), rng=0, dtype=spelling)
        assert w.dtype == dtype and np.all(np.isfinite(w.astype(np.float64)))


@pytest.mark.parametrize("name", sorted(POLICY_CALLS))
def test_half_precision_is_float32_rounded_once(name: str) -> None:
    """float16/bfloat16 draws are the float32 draws of the same seed, rounded once."""
    reference = POLICY_CALLS[name]((6, 4), rng=5, dtype=np.float32)
    for dtype in (np.float16, bfloat16):
        w = POLICY_CALLS[name]((6, 4), rng=5, dtype=dtype)
        assert np.array_equal(w, reference.astype(dtype))


@pytest.mark.parametrize("name", sorted(POLICY_CALLS))
@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.complex64, np.longdouble, ">f8", "x"], ids=str)
def test_other_dtypes_are_a_type_error_naming_dtype(name: str, dtype: Any) -> None:
    with pytest.raises(TypeError, match=r"^dtype must be one of float16, bfloat16, float32, float64"):
        POLICY_CALLS[name]((6, 4), rng=0, dtype=dtype)
