"""Smoke tests of the framework adapters (properties/targets) and of loading targets by spec.

Each adapter must offer impls' signatures, draw deterministically from the case's seed, return
impls' shape and dtype, map impls' ``layout`` onto the framework's fans, and agree exactly with
impls wherever the two share their semantics (fans, gains, activations and their autodiff
derivatives, losses, an SGD step). The laws themselves are the claim suite's business.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import impls
from properties.targets import loading
from properties.targets.base import NotApplicable, Target

RANDOM_2D = {
    "uniform": lambda t, s, **k: t.uniform(s, -0.5, 2.0, **k),
    "normal": lambda t, s, **k: t.normal(s, 0.3, 2.0, **k),
    "xavier_uniform": lambda t, s, **k: t.xavier_uniform(s, **k),
    "xavier_normal": lambda t, s, **k: t.xavier_normal(s, **k),
    "kaiming_uniform": lambda t, s, **k: t.kaiming_uniform(s, **k),
    "kaiming_normal": lambda t, s, **k: t.kaiming_normal(s, **k),
    "lecun_uniform": lambda t, s, **k: t.lecun_uniform(s, **k),
    "lecun_normal": lambda t, s, **k: t.lecun_normal(s, **k),
    "variance_scaling": lambda t, s, **k: t.variance_scaling(s, 2.0, "fan_avg", "normal", **k),
    "pytorch_linear_default": lambda t, s, **k: t.pytorch_linear_default(s, **k),
    "orthogonal": lambda t, s, **k: t.orthogonal(s, 1.5, **k),
    "sparse": lambda t, s, **k: t.sparse(s, 0.3, **k),
}
"""Every random initializer with non-default parameters, called on a 2-D shape."""

ULPS = 8
"""Results are compared with impls' float64 value: within ``ULPS`` units of the dtype's epsilon,
relative, or absolute on the scale ``max(1, |x|)`` of the input. A float32 formula such as
``1 - tanh(x)^2`` or ``x (1 + erf(x / sqrt 2))`` cancels to an absolute error of a few eps times
that scale, which a relative test alone would call a failure."""


def precision(target: Target, dtype: Any) -> Any:
    """The precision a target computes in: Keras's type promotion turns float64 into float32
    ("Force to be 32-bit dtype when encountering 64-bit dtype", keras/src/backend/common/dtypes.py)."""
    return np.float32 if target.name.startswith("keras") else dtype


def assert_close(measured: Any, x: Any, expected: Any, dtype: Any) -> None:
    """``measured`` (computed in ``dtype``) against impls' float64 ``expected`` at input ``x``."""
    eps = float(np.finfo(dtype).eps)
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))
    measured = np.asarray(measured, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    tolerance = ULPS * eps * np.maximum(np.abs(expected), np.broadcast_to(np.max(scale), expected.shape))
    assert np.all(np.abs(measured - expected) <= tolerance), (measured, expected, tolerance)


def _framework(name: str) -> Target:
    """The target ``name``, or a skip if its framework is not installed (keras: not imported here,
    since importing Keras fixes its backend)."""
    modules = {
        "torch": ["torch"],
        "jax": ["jax", "optax"],
        "keras-jax": ["keras", "jax"],
        "keras-torch": ["keras", "torch"],
    }
    for module in modules[name]:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{name} needs {module}, which is not installed")
    if name.startswith("keras") and "keras" in sys.modules:
        import keras

        if f"keras-{keras.backend.backend()}" != name:
            pytest.skip(f"keras is loaded with another backend here; {name} runs in a subprocess test")
    return loading.load(name)


# keras-torch is exercised in a subprocess (test_keras_torch_in_its_own_process): Keras fixes its
# backend per process, and this process loads keras-jax.
TARGETS = ["torch", "jax", "keras-jax"]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> Target:
    return _framework(request.param)


def test_every_function_has_impls_signature(target: Target) -> None:
    assert set(target.functions) <= set(impls.__all__)
    for name, function in target.functions.items():
        reference = getattr(impls, name)
        if inspect.isfunction(reference):
            ours = [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]
            theirs = [(p.name, p.kind, p.default) for p in inspect.signature(reference).parameters.values()]
            assert ours == theirs, name
    assert set(target.ACTIVATIONS) == set(impls.ACTIVATIONS)
    for name, activation in target.ACTIVATIONS.items():
        assert activation.defaults == impls.ACTIVATIONS[name].defaults


def test_a_missing_function_is_not_applicable(target: Target) -> None:
    missing = sorted(set(impls.__all__) - set(target.functions))
    assert "init_mlp" in missing
    with pytest.raises(NotApplicable, match="init_mlp"):
        _ = target.init_mlp


@pytest.mark.parametrize(
    ("name", "dtype"),
    [(name, np.float32) for name in sorted(RANDOM_2D)]
    + [("normal", np.float64), ("xavier_uniform", np.float64)],
)
def test_random_initializers_are_deterministic_and_keep_shape_and_dtype(
    target: Target, name: str, dtype: type
) -> None:
    if not target.has(name):
        pytest.skip(f"{target.name} has no {name}")
    draw = RANDOM_2D[name]
    a = draw(target, (6, 5), rng=7, dtype=dtype)
    b = draw(target, (6, 5), rng=np.random.default_rng(7), dtype=dtype)
    c = draw(target, (6, 5), rng=8, dtype=dtype)
    assert a.shape == (6, 5) and a.dtype == dtype and isinstance(a, np.ndarray)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    generator = np.random.default_rng(3)
    first, second = (
        draw(target, (6, 5), rng=generator, dtype=dtype),
        draw(target, (6, 5), rng=generator, dtype=dtype),
    )
    assert not np.array_equal(first, second)  # successive calls on one Generator are new draws


MANY_CALLS_ARGUMENTS: dict[str, dict[str, Any]] = {
    "uniform": {"low": -1.0, "high": 2.0},
    "normal": {"mean": 0.3, "std": 2.0},
    "truncated_normal": {"mean": 0.5, "std": 1.5, "a": -2.5, "b": 3.5},
    "variance_scaling": {"scale": 0.7, "mode": "fan_avg", "distribution": "uniform"},
    "xavier_uniform": {},
    "xavier_normal": {"gain": 1.5},
    "kaiming_uniform": {"nonlinearity": "relu"},
    "kaiming_normal": {"nonlinearity": "relu", "mode": "fan_out"},
    "lecun_uniform": {},
    "lecun_normal": {},
    "orthogonal": {"gain": 2.0},
}
"""Arguments for every initializer that may have a many-calls form, each of its translations."""


SHAPES_AND_DTYPES = [((1, 1), np.float32), ((4, 3, 2, 2), np.float64)]
"""The two ends of the suite's shapes, both dtypes (each pair a compilation on JAX)."""


def _translations(
    target: Target, name: str, form: str, arguments: dict[str, dict[str, Any]]
) -> tuple[Any, list[tuple[tuple[int, ...], Any, dict[str, Any]]]]:
    """``target``'s ``name`` and its argument sets (each of :data:`SHAPES_AND_DTYPES` in each layout
    it takes); a skip where the target lacks the function or the function lacks ``form``."""
    if not target.has(name):
        pytest.skip(f"{target.name} has no {name}")
    function = getattr(target, name)
    if not hasattr(function, form):
        pytest.skip(f"{target.name}'s {name} has no {form}")
    layouts = ["torch", "keras"] if "layout" in inspect.signature(function).parameters else [None]
    return function, [
        (shape, dtype, {**arguments[name], **({"layout": layout} if layout else {})})
        for shape, dtype in SHAPES_AND_DTYPES
        for layout in layouts
    ]


@pytest.mark.parametrize("name", sorted(MANY_CALLS_ARGUMENTS))
def test_many_calls_are_the_calls_bit_for_bit(target: Target, name: str) -> None:
    """``f.many(k, ...)`` is ``k`` successive calls of ``f`` on the same Generator, bitwise, and
    leaves the Generator where the calls leave it (the contract of
    :func:`properties.targets._adapting.many_calls`)."""
    function, translations = _translations(target, name, "many", MANY_CALLS_ARGUMENTS)
    tried = 0
    for shape, dtype, kwargs in translations:
        one_by_one, at_once = np.random.default_rng(3), np.random.default_rng(3)
        try:
            calls = np.stack([function(shape, **kwargs, rng=one_by_one, dtype=dtype) for _ in range(5)])
        except NotApplicable:
            continue
        batch = function.many(5, shape, **kwargs, rng=at_once, dtype=dtype)
        assert batch.shape == calls.shape and batch.dtype == calls.dtype
        assert batch.tobytes() == calls.tobytes(), (shape, kwargs, dtype)
        assert one_by_one.integers(2**63) == at_once.integers(2**63)
        tried += 1
    assert tried > 0


RENDERED_ARGUMENTS = {
    **MANY_CALLS_ARGUMENTS,
    # The adapters' own arithmetic after the framework's call (JAX's ``mean + ...``, ``mean + std z``)
    # is the identity here, so the rendered call alone gives the adapter's values.
    "normal": {"mean": 0.0, "std": 2.0},
    "truncated_normal": {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0},  # Keras's only cut
    "pytorch_linear_default": {},
    "sparse": {"sparsity": 0.5, "std": 0.01},
}


def _run_rendered(line: str) -> np.ndarray:
    """Run a rendered framework call (statements joined by ``; ``, an expression last) and return its
    values as NumPy; JAX's x64 switch and PyTorch's global seed stay local to the call."""
    import contextlib

    namespace: dict[str, Any] = {"np": np}
    for module in ("torch", "jax", "keras", "optax"):
        if module in sys.modules:
            namespace[module] = sys.modules[module]
    if "jax" in sys.modules:
        namespace["jnp"] = sys.modules["jax"].numpy
    *statements, expression = line.split("  #")[0].split("; ")
    with contextlib.ExitStack() as stack:
        if "torch" in sys.modules:
            stack.enter_context(sys.modules["torch"].random.fork_rng(devices=[]))
        if "keras" in sys.modules:  # a logged Keras optimizer step may set floatx to float64
            stack.callback(sys.modules["keras"].config.set_floatx, sys.modules["keras"].config.floatx())
        for statement in statements:
            if statement.startswith('jax.config.update("jax_enable_x64", True)'):
                stack.enter_context(sys.modules["jax"].enable_x64(True))
            else:
                exec(statement, namespace)  # the adapter's own rendered line
        return _as_numpy(eval(expression, namespace))


def _as_numpy(value: Any) -> np.ndarray:
    """A line's or an adapter's result as one flat NumPy array: a tensor's values, a list or tuple of
    arrays (parameters) concatenated; a dict (a parameter tree) in key order (JAX sorts a dict's
    keys, impls keeps their order: the cases' trees have sorted keys, so both orders agree)."""
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    if isinstance(value, list | tuple):  # a gradient an adapter does not return is None
        return np.concatenate([_as_numpy(v).ravel() for v in value if v is not None])
    if hasattr(value, "detach"):
        tensor = value.detach()
        return tensor.numpy() if tensor.dtype.is_floating_point or not tensor.is_floating_point() else tensor
    return np.asarray(value)


@pytest.mark.parametrize("name", sorted(RENDERED_ARGUMENTS))
def test_rendered_framework_calls_draw_what_the_adapter_draws(target: Target, name: str) -> None:
    """``f.framework_call(...)`` is the framework call ``f(...)`` makes: run as written, with the seed
    it names, it gives the adapter's values, bit for bit (sorted where the line's comment says the
    adapter permutes the result); the call logs that line for a failure to show."""
    from properties.targets import _adapting as ad

    function, translations = _translations(target, name, "framework_call", RENDERED_ARGUMENTS)
    tried = 0
    for shape, dtype, kwargs in translations:
        ad.clear_logged_calls()
        try:
            drawn = function(shape, **kwargs, rng=np.random.default_rng(3), dtype=dtype)
        except (NotApplicable, ValueError):  # sparse is 2-D only
            continue
        line = function.framework_call(shape, **kwargs, rng=np.random.default_rng(3), dtype=dtype)
        assert ad.logged_calls()[-1] == line  # the call logged the line it renders
        again = _run_rendered(line)
        assert again.dtype == drawn.dtype and again.size == drawn.size, line
        if "permuted" in line or "moved" in line:
            again, drawn = np.sort(again, axis=None), np.sort(drawn, axis=None)
        assert again.shape == drawn.shape and again.tobytes() == drawn.tobytes(), line
        tried += 1
    assert tried > 0


EXAMPLE = np.array([[0.5, -1.25, 3.0], [-0.0, 20.5, -7.0]])
"""An input with a signed zero, a value beyond softplus's threshold and negative values."""

UPSTREAM = np.array([[1.0, -0.5, 0.25], [2.0, 0.0, -1.5]])
"""An upstream gradient of :data:`EXAMPLE`'s shape."""

GAIN, SHIFT = np.array([1.0, 2.0, 0.5]), np.array([0.1, 0.0, -0.2])
"""Affine parameters for :data:`EXAMPLE`'s last axis (its channels)."""

QUERY = np.stack([EXAMPLE, -0.5 * EXAMPLE])
"""Queries (batch 2, length 2, dimension 3); :data:`EXAMPLE` serves as two keys or two values."""


LAYERS = [impls.init_transformer_layer(2, 2, 3, rng=5), impls.init_transformer_layer(2, 2, 3, rng=6)]
TOKENS = np.array([[[0.5, -1.25], [2.0, 0.25], [-0.75, 1.0]]])
"""A stack of two transformer layers (d_model 2, 2 heads, d_ff 3) and its input (1 sequence of 3 tokens)."""
FINAL_NORM = {"weight": np.array([1.5, 0.5]), "bias": np.array([0.25, -0.5])}


def _gradients_in_torch_order(result: tuple[Any, np.ndarray]) -> tuple[np.ndarray, ...]:
    """A transformer backward's ``(grads, grad_x)`` in the order its logged line returns them:
    ``dLoss/dx``, then each layer's parameters' gradients in the order of its dict."""
    grads, grad_x = result
    layers = grads if isinstance(grads, list) else [grads]
    return (grad_x, *(g for layer in layers for g in layer.values()))


def _gradient_tree(dtype: Any) -> dict[str, np.ndarray]:
    return {"b": np.array([0.2], dtype), "w": np.array([0.1, -0.3], dtype)}


LOGGED_CASES: list[tuple[str, Any]] = [
    *(
        (f"{n} {dt.__name__}", lambda t, n=n, dt=dt: t.ACTIVATIONS[n](EXAMPLE.astype(dt)))
        for n in sorted(impls.ACTIVATIONS)
        for dt in (np.float32, np.float64)
    ),
    *((f"{n}'", lambda t, n=n: t.ACTIVATIONS[n].derivative(EXAMPLE)) for n in sorted(impls.ACTIVATIONS)),
    *(
        (f"{n}' float32", lambda t, n=n: t.ACTIVATIONS[n].derivative(EXAMPLE.astype(np.float32)))
        for n in ("tanh", "gelu")
    ),
    ("softmax", lambda t: t.softmax(EXAMPLE, axis=1)),
    ("log_softmax", lambda t: t.log_softmax(EXAMPLE[:, :2], axis=-1)),
    ("cross_entropy", lambda t: t.cross_entropy(EXAMPLE, np.array([2, 0]))),
    (
        "cross_entropy probabilities",
        lambda t: t.cross_entropy(EXAMPLE, np.array([[0.2, 0.8, 0.0]] * 2), reduction="sum"),
    ),
    ("cross_entropy_grad", lambda t: t.cross_entropy_grad(EXAMPLE, np.array([1, 2]), reduction="none")),
    ("nll_loss", lambda t: t.nll_loss(-np.abs(EXAMPLE), np.array([1, 0]))),
    ("binary_cross_entropy", lambda t: t.binary_cross_entropy(np.array([0.25, 0.5]), np.array([1.0, 0.0]))),
    (
        "binary_cross_entropy_with_logits",
        lambda t: t.binary_cross_entropy_with_logits(EXAMPLE[0], np.array([1.0, 0.0, 1.0])),
    ),
    (
        "binary_cross_entropy_with_logits_grad",
        lambda t: t.binary_cross_entropy_with_logits_grad(
            EXAMPLE[1], np.array([1.0, 0.0, 1.0]), reduction="sum"
        ),
    ),
    ("entropy", lambda t: t.entropy(np.array([[0.25, 0.75], [1.0, 0.0]]))),
    ("kl_divergence", lambda t: t.kl_divergence(np.array([0.25, 0.75]), np.array([0.5, 0.5]))),
    *(
        (f"{label} {dt.__name__}", lambda t, case=case, dt=dt: case(t, dt))
        for label, case in (
            ("zeros", lambda t, dt: t.zeros((2, 3), dtype=dt)),
            ("ones", lambda t, dt: t.ones((3,), dtype=dt)),
            ("constant", lambda t, dt: t.constant((2, 2), -0.1, dtype=dt)),
            ("constant infinite", lambda t, dt: t.constant((2,), -np.inf, dtype=dt)),
            ("eye", lambda t, dt: t.eye((2, 3), dtype=dt)),
            ("dirac", lambda t, dt: t.dirac((4, 2, 3), groups=2, dtype=dt)),
        )
        for dt in (np.float32, np.float64)
    ),
    ("compute_fans", lambda t: t.compute_fans((4, 3, 2, 5))),
    ("compute_fans keras", lambda t: t.compute_fans((2, 5, 3, 4), "keras")),
    ("calculate_gain", lambda t: t.calculate_gain("leaky_relu", 0.2)),
    ("calculate_gain tanh", lambda t: t.calculate_gain("tanh")),
    ("dropout", lambda t: t.dropout(EXAMPLE, 0.5, rng=3)),
    ("layer_norm", lambda t: t.layer_norm(EXAMPLE, 3)),
    (
        "layer_norm affine float32",
        lambda t: t.layer_norm(EXAMPLE.astype(np.float32), [3], GAIN, SHIFT, eps=0.1),
    ),
    ("layer_norm_backward", lambda t: t.layer_norm_backward(EXAMPLE, UPSTREAM, 3)),
    ("layer_norm_backward affine", lambda t: t.layer_norm_backward(EXAMPLE, UPSTREAM, 3, GAIN)),
    ("rms_norm", lambda t: t.rms_norm(EXAMPLE, 3)),
    ("rms_norm affine", lambda t: t.rms_norm(EXAMPLE, [3], GAIN, eps=1e-6)),
    ("rms_norm_backward", lambda t: t.rms_norm_backward(EXAMPLE, UPSTREAM, 3)),
    ("rms_norm_backward affine", lambda t: t.rms_norm_backward(EXAMPLE, UPSTREAM, 3, GAIN)),
    ("batch_norm", lambda t: t.batch_norm(EXAMPLE)),
    ("batch_norm affine float32", lambda t: t.batch_norm(EXAMPLE.astype(np.float32), GAIN, SHIFT)),
    ("batch_norm_backward", lambda t: t.batch_norm_backward(EXAMPLE, UPSTREAM)),
    ("batch_norm_backward affine", lambda t: t.batch_norm_backward(EXAMPLE, UPSTREAM, GAIN, eps=0.5)),
    ("attention_scores", lambda t: t.attention_scores(QUERY, EXAMPLE[:1])),
    ("attention_scores scaled", lambda t: t.attention_scores(QUERY, EXAMPLE[1:], scale=0.25)),
    ("scaled_dot_product_attention", lambda t: t.scaled_dot_product_attention(QUERY, EXAMPLE, EXAMPLE[::-1])),
    (
        "scaled_dot_product_attention scaled",
        lambda t: t.scaled_dot_product_attention(QUERY, EXAMPLE, EXAMPLE, scale=0.1),
    ),
    ("transformer_layer_forward", lambda t: t.transformer_layer_forward(LAYERS[0], TOKENS, nhead=2)[0]),
    (
        "transformer_forward pre-LN final norm",
        lambda t: t.transformer_forward(
            LAYERS, TOKENS, nhead=2, norm_first=True, activation="gelu", final_norm=FINAL_NORM
        )[0],
    ),
    (
        "transformer_layer_backward",
        lambda t: _gradients_in_torch_order(
            t.transformer_layer_backward(
                LAYERS[0], t.transformer_layer_forward(LAYERS[0], TOKENS, nhead=2)[1], -0.5 * TOKENS
            )
        ),
    ),
    (
        "transformer_backward pre-LN final norm",
        lambda t: _gradients_in_torch_order(
            t.transformer_backward(
                LAYERS,
                t.transformer_forward(LAYERS, TOKENS, nhead=2, norm_first=True, final_norm=FINAL_NORM)[1],
                TOKENS[:, ::-1],
            )
        ),
    ),
    *(
        (f"{label} {dt.__name__}", lambda t, case=case, dt=dt: case(t, _gradient_tree(dt)))
        for label, case in (
            ("clip_grad_norm", lambda t, g: t.clip_grad_norm(g, 0.1)),
            ("clip_grad_norm inf", lambda t, g: t.clip_grad_norm(g, 0.1, np.inf)),
            ("clip_grad_value", lambda t, g: t.clip_grad_value(g, 0.15)),
        )
        for dt in (np.float32, np.float64)
    ),
    *(
        (f"{n} step {dt.__name__}", lambda t, n=n, kw=kw, dt=dt: _third_step(getattr(t, n)(**kw), dt))
        for n, kw in (
            ("sgd", {"lr": 0.1, "momentum": 0.9}),
            ("sgd", {"lr": 0.1, "weight_decay": 0.01}),
            ("adagrad", {"lr": 0.1, "eps": 0.0}),
            ("rmsprop", {"lr": 0.01, "eps": 0.0}),
            ("adam", {"lr": 0.01, "eps": 0.0}),
            ("adam", {"lr": np.array(0.01), "eps": 0.0}),
            ("adamw", {"lr": 0.01, "eps": 0.0}),
        )
        for dt in (np.float32, np.float64)
    ),
]
"""Every function whose framework calls an adapter logs, with arguments that exercise each form of
its line (deterministic initializers in both dtypes, fans in both layouts, gains, values,
derivatives in both dtypes, integer and probability targets, reductions,
normalization with and without affine parameters and their gradients, attention with the default
and a given scale, clipping a tree of two gradients, a transformer layer and a Pre-LN stack with a
final LayerNorm and their gradients, an optimizer's third step on a tree of two parameters, a
learning rate read at every step)."""


def _third_step(optimizer: impls.Optimizer, dtype: Any) -> Any:
    params = {"b": np.array([0.5], dtype), "w": np.array([1.0, -2.0], dtype)}
    state = optimizer.init(params)
    for k in range(3):
        grads = {"b": np.array([0.2], dtype), "w": np.array([0.1, -0.3], dtype) * (k + 1)}
        params, state = optimizer.step(params, grads, state)
    return params


def logged_call_mismatches(target: Target) -> tuple[int, list[str]]:
    """Run every :data:`LOGGED_CASES` on ``target``, then the last call it logged; return how many
    ran and the lines whose result differs, bit for bit, from the adapter's (dtype, shape and bytes)."""
    from properties.targets import _adapting as ad

    tried, wrong = 0, []
    for label, case in LOGGED_CASES:
        ad.clear_logged_calls()
        try:
            returned = case(target)
        except (NotApplicable, ValueError):  # Keras's float32-only answers, missing functions
            continue
        line = ad.logged_calls()[-1]
        again, expected = _as_numpy(_run_rendered(line)), _as_numpy(returned)
        if again.dtype != expected.dtype or again.tobytes() != expected.tobytes():
            wrong.append(f"{label}: {line}")
        tried += 1
    return tried, wrong


def test_logged_calls_compute_what_the_adapter_returns(target: Target) -> None:
    """The line a failure shows for an activation, derivative, loss, normalization, attention,
    dropout, clipping, transformer or optimizer call (the last call
    :func:`properties.targets._adapting.log_call` noted) is the framework call the adapter made:
    run as written, it returns the adapter's result bit for bit."""
    tried, wrong = logged_call_mismatches(target)
    assert not wrong, "\n".join(wrong)
    assert tried >= 40


def test_a_large_input_is_named_not_written_out() -> None:
    from properties.targets import _adapting as ad

    ad.clear_logged_calls()
    ad.log_call(ad.array_literal, "f({x})", x=np.zeros(ad.LITERAL_VALUES))
    ad.log_call(ad.array_literal, "f({x}, {y})", x=np.zeros((5, 13), np.float32), y=1.5)
    ad.log_call(ad.array_literal, "g({xs})", xs=[np.zeros(1), np.zeros(ad.LITERAL_VALUES + 1)])
    assert ad.logged_calls() == [
        f"f(np.array({[0.0] * ad.LITERAL_VALUES}, dtype='float64'))",
        "f(x, 1.5)  # x: a float32 numpy array of shape (5, 13), not written out",
        "g(xs)  # xs: holds a float64 numpy array of shape (65,), not written out",
    ]
    x = np.array([1.0, np.nan, -np.inf])
    ad.log_call(ad.array_literal, "f({x})", x=x)
    x[0] = 5.0  # the caller reuses its buffer: the line keeps the value the call was given
    assert ad.logged_calls()[-1] == "f(np.array([1.0, float('nan'), float('-inf')], dtype='float64'))"
    for _ in range(2 * ad.LOGGED_CALLS):
        ad.log_call(ad.array_literal, "g()")
    assert ad.logged_calls() == ["g()"] * ad.LOGGED_CALLS


def test_a_seeded_draw_is_logged_and_a_line_that_cannot_be_rendered_says_so() -> None:
    from properties.targets import _adapting as ad

    @ad.rendered
    def draw(shape: tuple[int, ...], *, rng: Any = None) -> np.ndarray:
        if ad.rendering():
            if broken:
                raise RuntimeError("a renderer's bug")
            ad.render(f"draw({shape}, seed={ad.framework_seed(rng)})")
        return np.full(shape, ad.framework_seed(rng), dtype=np.int64)

    broken = False
    ad.clear_logged_calls()
    drawn = draw((2,), rng=np.random.default_rng(4))
    draw((3,))  # no seed: nothing to log
    assert ad.logged_calls() == [f"draw((2,), seed={int(drawn[0])})"]  # the seed the call drew
    broken = True
    assert ad.logged_calls() == ["# the call's line could not be rendered: RuntimeError: a renderer's bug"]


def test_framework_seeds_are_successive_framework_seed_calls() -> None:
    from properties.targets import _adapting as ad

    for bound in (ad.SEED_BOUND, 2**32):
        one_by_one, at_once = np.random.default_rng(11), np.random.default_rng(11)
        seeds = [ad.framework_seed(one_by_one, bound) for _ in range(1000)]
        assert ad.framework_seeds(at_once, 1000, bound).tolist() == seeds
        assert ad.framework_seeds(7, 3, bound).tolist() == [ad.framework_seed(7, bound)] * 3
    for count in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="count must be a positive int"):
            ad.framework_seeds(np.random.default_rng(0), count)


@pytest.mark.parametrize("scheme", ["xavier_uniform", "kaiming_uniform", "lecun_uniform", "variance_scaling"])
def test_layout_sets_the_fans(target: Target, scheme: str) -> None:
    """(1, 1000): fan_in 1000 in torch layout, 1 in keras layout; the uniform bound tells which.

    With fan_in = 1000 every |w| is below sqrt(6 / 1000) = 0.077 (He's bound, the largest of the
    four schemes); with fan_in = 1 the largest of 1000 draws on [-b, b], b >= 1.22, is below
    0.077 with probability at most (0.077 / 1.22)^1000: never.
    """
    if not target.has(scheme):
        pytest.skip(f"{target.name} has no {scheme}")
    draw = {
        "xavier_uniform": lambda **k: target.xavier_uniform((1, 1000), **k),
        "kaiming_uniform": lambda **k: target.kaiming_uniform((1, 1000), **k),
        "lecun_uniform": lambda **k: target.lecun_uniform((1, 1000), **k),
        "variance_scaling": lambda **k: target.variance_scaling((1, 1000), 1.0, "fan_in", "uniform", **k),
    }[scheme]
    mode = "fan_avg" if scheme == "xavier_uniform" else "fan_in"
    for layout in ("torch", "keras"):
        fan_in, fan_out = impls.compute_fans((1, 1000), layout)
        fan = (fan_in + fan_out) / 2 if mode == "fan_avg" else fan_in
        scale = 2.0 if scheme == "kaiming_uniform" else 1.0
        bound = math.sqrt(3 * scale / fan)
        w = draw(layout=layout, rng=11)
        assert w.shape == (1, 1000)
        assert np.max(np.abs(w)) <= bound * (1 + 1e-12)
        assert np.max(np.abs(w)) > 0.9 * bound  # 1000 uniform draws reach 90% of the bound


def test_conv_layouts_are_the_same_draw_permuted(target: Target) -> None:
    """A (k1, k2, in, out) kernel is the (out, in, k1, k2) kernel of the same seed, permuted."""
    torch_shape, keras_shape = (4, 3, 2, 5), (2, 5, 3, 4)
    for name in ("xavier_uniform",):
        init = getattr(target, name)
        torch_w = init(torch_shape, layout="torch", rng=5)
        keras_w = init(keras_shape, layout="keras", rng=5)
        assert torch_w.shape == torch_shape and keras_w.shape == keras_shape
        fan_in, fan_out = impls.compute_fans(torch_shape)
        assert (fan_in, fan_out) == impls.compute_fans(keras_shape, "keras") == (30, 40)
        if target.name == "jax":  # JAX draws in the requested layout itself (in_axis/out_axis)
            continue
        assert np.array_equal(np.transpose(torch_w, (2, 3, 1, 0)), keras_w)


@pytest.mark.parametrize(
    "shape", [(3, 4), (4, 3), (8, 4, 3, 5), (3, 5, 4, 8), (2, 3, 1, 1, 7), (1000, 1), (5, 0, 3)]
)
def test_fans_agree_with_impls(target: Target, shape: tuple[int, ...]) -> None:
    for layout in ("torch", "keras"):
        if target.name == "jax" and 0 in shape:
            # JAX divides the size by the in/out dims to get the receptive field (_compute_fans).
            with pytest.raises(ZeroDivisionError):
                target.compute_fans(shape, layout)
            continue
        assert target.compute_fans(shape, layout) == impls.compute_fans(shape, layout)


def test_orthogonal_flattens_as_pytorch(target: Target) -> None:
    for shape in ((3, 8), (4, 2, 3)):
        w = target.orthogonal(shape, 2.0, rng=1).reshape(shape[0], -1)
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        assert np.allclose(gram, 4.0 * np.eye(min(w.shape)), rtol=0, atol=1e-12)


def test_deterministic_initializers_equal_impls(target: Target) -> None:
    for dtype in (np.float32, np.float64):
        assert np.array_equal(target.zeros((2, 3), dtype=dtype), impls.zeros((2, 3), dtype=dtype))
        assert np.array_equal(target.ones((4,), dtype=dtype), impls.ones((4,), dtype=dtype))
        assert np.array_equal(
            target.constant((2, 2), 0.25, dtype=dtype), impls.constant((2, 2), 0.25, dtype=dtype)
        )
        assert target.zeros((2, 3), dtype=dtype).dtype == dtype
        if target.has("eye"):
            assert np.array_equal(target.eye((3, 5), dtype=dtype), impls.eye((3, 5), dtype=dtype))
        if target.has("dirac"):
            assert np.array_equal(
                target.dirac((4, 2, 3, 3), 2, dtype=dtype), impls.dirac((4, 2, 3, 3), 2, dtype=dtype)
            )


# Points away from every kink (0), where each activation and its derivative are smooth.
GRID = np.concatenate([-np.geomspace(30.0, 1e-3, 25), np.geomspace(1e-3, 30.0, 25)])


@pytest.mark.parametrize("name", sorted(impls.ACTIVATIONS))
def test_activations_and_autodiff_derivatives_equal_impls(target: Target, name: str) -> None:
    ours, reference = target.ACTIVATIONS[name], impls.ACTIVATIONS[name]
    params: dict[str, dict[str, Any]] = {
        "leaky_relu": {"negative_slope": 0.2},
        "elu": {"alpha": 0.7},
        "gelu": {"approximate": "tanh"},
    }
    kwargs = params.get(name, {})
    # JAX's and Keras's softplus have no linear cutoff: their reference is the smooth form.
    smooth: dict[str, Any] = {"threshold": 1e300} if name == "softplus" and target.name != "torch" else {}
    for dtype in (np.float32, np.float64):
        x = GRID.astype(dtype).reshape(5, 10)
        try:
            value, slope = ours(x, **kwargs), ours.derivative(x, **kwargs)
        except NotApplicable as refused:  # Keras answers some float64 inputs with a float32 tensor
            assert target.name.startswith("keras") and dtype == np.float64, refused
            assert "keras returns float32 for this float64 input" in str(refused.msg)
            continue
        assert value.dtype == dtype and slope.dtype == dtype and value.shape == slope.shape == x.shape
        assert_close(value, x, reference(x.astype(np.float64), **kwargs, **smooth), precision(target, dtype))
        assert_close(
            slope, x, reference.derivative(x.astype(np.float64), **kwargs, **smooth), precision(target, dtype)
        )
    assert target.get_activation(name) is ours


def test_losses_equal_impls(target: Target) -> None:
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0]])
    labels = np.array([0, 2, 1])
    probs = impls.softmax(np.array([[0.3, 0.1, -0.4], [1.0, 0.0, 0.0], [0.2, 0.2, 0.2]]))
    y = np.array([[1.0, 0.0, 0.5]] * 3)
    p, q = probs[0], probs[1]
    pairs = [
        (lambda f, x: f.softmax(x), logits),
        (lambda f, x: f.log_softmax(x, axis=0), logits),
        (lambda f, x: f.cross_entropy(x, labels, reduction="none"), logits),
        (lambda f, x: f.cross_entropy(x, labels, reduction="sum"), logits),
        (lambda f, x: f.cross_entropy(x, probs.astype(x.dtype), reduction="none"), logits),
        (lambda f, x: f.cross_entropy_grad(x, labels, reduction="sum"), logits),
        (lambda f, x: f.binary_cross_entropy_with_logits(x, y.astype(x.dtype), reduction="none"), logits),
        (lambda f, x: f.binary_cross_entropy_with_logits_grad(x, y.astype(x.dtype), reduction="sum"), logits),
        (lambda f, x: f.kl_divergence(x, q.astype(x.dtype)), p),
    ]
    for dtype in (np.float32, np.float64):
        for compute, x in pairs:
            assert_close(compute(target, x.astype(dtype)), x, compute(impls, x), precision(target, dtype))
        if target.has("entropy"):
            assert_close(target.entropy(p.astype(dtype)), p, impls.entropy(p), precision(target, dtype))


def test_sgd_with_momentum_equals_impls_and_is_pure(target: Target) -> None:
    """float32 throughout: Keras keeps its learning rate in float32 whatever the parameters."""
    f32 = np.float32
    params = {"w": np.array([[1.0, -2.0], [0.5, 3.0]], f32), "b": np.array([0.25], f32)}
    grads = [
        {"w": np.array([[0.1, 0.2], [-0.3, 0.4]], f32), "b": np.array([1.0], f32)},
        {"w": np.full((2, 2), 0.5, f32), "b": np.array([-1.0], f32)},
    ]
    before = {k: v.copy() for k, v in params.items()}
    ours, theirs = target.sgd(0.1, momentum=0.9), impls.sgd(0.1, momentum=0.9)
    p: Any = params
    q: Any = params
    s, r = ours.init(params), theirs.init(params)
    for g in grads:
        p, s = ours.step(p, g, s)
        q, r = theirs.step(q, g, r)
    for key in params:
        assert_close(p[key], params[key], q[key], np.float32)
        assert p[key].dtype == params[key].dtype
        assert np.array_equal(params[key], before[key])  # inputs untouched


@pytest.mark.parametrize("name", ["adam", "adamw", "rmsprop", "adagrad"])
def test_adaptive_optimizers_run_and_keep_their_state_outside(target: Target, name: str) -> None:
    # Keras's epsilon is another parameter than PyTorch's eps (refused unless 0): purity and the
    # descent direction do not depend on it.
    opt = getattr(target, name)(**({"eps": 0.0} if target.name.startswith("keras") else {}))
    p0 = np.array([1.0, -1.0], dtype=np.float32)
    state = opt.init(p0)
    p1, s1 = opt.step(p0, np.array([0.5, -0.25], dtype=np.float32), state)
    p1_again, _ = opt.step(p0, np.array([0.5, -0.25], dtype=np.float32), state)
    assert p1.dtype == np.float32 and p1.shape == (2,)
    assert np.array_equal(p1, p1_again)  # the same state gives the same step: nothing hidden
    assert np.all(np.sign(p0 - p1) == np.sign([0.5, -0.25]))  # a descent step
    p2, _ = opt.step(p1, np.array([0.5, -0.25], dtype=np.float32), s1)
    assert not np.array_equal(p2, p1)


def test_torch_hyper_parameter_errors_come_at_construction() -> None:
    """torch.optim validates at construction (Optax and Keras validate nothing; no check is added)."""
    torch_target = _framework("torch")
    with pytest.raises(ValueError, match="Invalid learning rate"):
        torch_target.sgd(-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0"):
        torch_target.adam(betas=(1.0, 0.9))


def test_unsupported_arguments_are_not_applicable() -> None:
    jax_target = _framework("jax")
    with pytest.raises(NotApplicable, match="gain table"):
        jax_target.kaiming_normal((3, 3), nonlinearity="tanh")
    with pytest.raises(NotApplicable, match="dampening"):
        jax_target.sgd(0.1, momentum=0.9, dampening=0.5)
    torch_target = _framework("torch")
    with pytest.raises(NotApplicable, match="bias_correction"):
        torch_target.adam(bias_correction=False)


def test_torch_truncated_normal_far_in_a_tail_is_refused_not_waited_for() -> None:
    """PyTorch 2.13's uniform-proposal sampler accepts ~std^2 / (distance x width) of its proposals:
    mean 3, std 0.01 on [-4, -3.5] would loop ~3e5 rounds (hours). The adapter refuses it."""
    torch_target = _framework("torch")
    from properties.targets.torch import MAX_PROPOSAL_ROUNDS, expected_proposal_rounds

    assert expected_proposal_rounds(3.0, 0.01, -4.0, -3.5, 2112) > 100 * MAX_PROPOSAL_ROUNDS
    assert expected_proposal_rounds(0.0, 1.0, -2.0, 2.0, 2112) < 10  # normal proposal, Z = 0.95
    with pytest.raises(NotApplicable, match="rejection sampler needs"):
        torch_target.truncated_normal((64, 33), 3.0, 0.01, -4.0, -3.5, rng=0)
    with pytest.warns(UserWarning, match="more than 2 std"):
        w = torch_target.truncated_normal((64, 33), 0.0, 1.0, 5.0, 6.0, rng=0)  # ~40 rounds: runs
    assert np.all((w >= 5.0) & (w <= 6.0))


def test_torch_gains_and_pytorch_linear_default() -> None:
    torch_target = _framework("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "selu", "conv2d"):
        assert torch_target.calculate_gain(name) == pytest.approx(impls.calculate_gain(name), rel=1e-15)
    assert torch_target.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        impls.calculate_gain("leaky_relu", 0.2)
    )
    w = torch_target.pytorch_linear_default((16, 400), rng=0)
    assert np.max(np.abs(w)) <= 1 / math.sqrt(400)  # U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    conv = torch_target.pytorch_linear_default((3, 5, 4, 8), layout="keras", rng=0)
    assert conv.shape == (3, 5, 4, 8) and np.max(np.abs(conv)) <= 1 / math.sqrt(60)


def test_torch_sparse_zero_positions_follow_the_seed() -> None:
    torch_target = _framework("torch")
    import torch

    before = torch.random.get_rng_state()
    a, b = torch_target.sparse((20, 6), 0.5, rng=4), torch_target.sparse((20, 6), 0.5, rng=4)
    assert np.array_equal(a, b)
    assert np.array_equal(np.count_nonzero(a == 0, axis=0), np.full(6, 10))
    assert torch.equal(before, torch.random.get_rng_state())  # the global generator is left alone


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def test_names_expand_all_and_reject_unknown_entries() -> None:
    assert loading.names("all") == list(loading.BUILTIN)
    assert loading.names("torch, impls,torch") == ["torch", "impls"]
    assert loading.names("my_pkg.adapters:target") == ["my_pkg.adapters:target"]
    for bad in ("", "tensorflow", "impls,", "pkg.mod"):
        with pytest.raises(loading.TargetError):
            loading.names(bad)


def test_process_groups_put_each_keras_backend_in_its_own_process() -> None:
    assert loading.process_groups(loading.names("all")) == [
        ["impls", "torch", "jax", "keras-jax"],
        ["keras-torch"],
    ]
    assert loading.process_groups(["impls"]) == [["impls"]]


def test_load_user_adapter_and_errors() -> None:
    assert loading.load("impls").name == "impls"
    assert loading.load("properties.targets.reference:target").name == "impls"
    with pytest.raises(loading.TargetError, match="cannot import module"):
        loading.load("no_such_package_xyz.adapters:target")
    with pytest.raises(loading.TargetError, match="has no attribute"):
        loading.load("properties.targets.reference:nothing")
    with pytest.raises(loading.TargetError, match=r"must be a properties\.targets\.Target"):
        loading.load("properties.targets.reference:np")
    with pytest.raises(loading.TargetError, match="use load_all"):
        loading.load("impls,torch")


def test_a_second_keras_backend_is_refused() -> None:
    _framework("keras-jax")
    with pytest.raises(loading.TargetError, match="must run in its own process"):
        loading.load("keras-torch")
    with pytest.raises(loading.TargetError, match="cannot share one process"):
        loading.load_all("all")


KERAS_TORCH_SMOKE = textwrap.dedent(
    """
    import numpy as np, impls, warnings
    warnings.simplefilter("error")
    from properties.targets import loading
    t = loading.load("keras-torch")
    assert np.array_equal(t.xavier_uniform((3, 4), rng=1), t.xavier_uniform((3, 4), rng=1))
    assert t.xavier_uniform((3, 5, 4, 2), layout="keras", rng=0, dtype=np.float32).dtype == np.float32
    assert t.compute_fans((8, 4, 3, 5)) == impls.compute_fans((8, 4, 3, 5))
    x = np.linspace(-3, 3, 12) + 0.01
    for name, act in t.ACTIVATIONS.items():
        expected = impls.ACTIVATIONS[name].derivative(x)
        np.testing.assert_allclose(act.derivative(x), expected, rtol=1e-12, atol=1e-15)
    opt = t.sgd(0.1, momentum=0.9)
    one = np.ones(2, np.float32)
    p, s = opt.step(one, one, opt.init(one))
    np.testing.assert_allclose(p, [0.9, 0.9], rtol=1e-7)
    from properties.selftest.test_targets import logged_call_mismatches
    tried, wrong = logged_call_mismatches(t)
    assert not wrong and tried >= 40, (tried, wrong)
    print("keras-torch ok")
    """
)


def test_keras_torch_in_its_own_process() -> None:
    for module in ("keras", "torch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"keras-torch needs {module}, which is not installed")
    done = subprocess.run(
        [sys.executable, "-c", KERAS_TORCH_SMOKE],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "keras-torch ok" in done.stdout


def test_declared_deviations_name_real_claims_and_link_upstream(target: Target) -> None:
    from packaging.specifiers import SpecifierSet

    from theory import CLAIMS

    for deviation in target.deviations:
        assert deviation.claim in CLAIMS, deviation
        assert deviation.link.startswith("https://github.com/"), deviation
        SpecifierSet(deviation.versions)  # a valid PEP 440 specifier (empty: every version)


def test_keras_refuses_exactly_the_float64_inputs_it_answers_in_float32() -> None:
    """keras.ops.tanh on JAX casts through result_type (float64 -> float32): refused at float64,
    answered at float32; keras.ops.sigmoid keeps float64 and is answered in float64."""
    t = _framework("keras-jax")
    x = np.linspace(-3.0, 3.0, 7)
    for call in (lambda: t.tanh(x), lambda: t.ACTIVATIONS["tanh"].derivative(x)):
        with pytest.raises(NotApplicable, match="keras returns float32 for this float64 input"):
            call()
    assert t.tanh(x.astype(np.float32)).dtype == np.float32
    sigmoid = t.sigmoid(x)
    assert sigmoid.dtype == np.float64 and not np.array_equal(sigmoid, sigmoid.astype(np.float32))


def test_keras_softplus_refuses_pytorchs_threshold() -> None:
    t = _framework("keras-jax")
    with pytest.raises(NotApplicable, match="no linear cutoff"):
        t.softplus(np.ones(2, np.float32))
    assert t.ACTIVATIONS["softplus"](np.zeros(1, np.float32))[0] == pytest.approx(np.log(2.0))


def test_keras_optimizer_state_reads_keras_slots_as_impls_fields() -> None:
    t = _framework("keras-jax")
    g = np.array([0.5, -2.0])
    opt = t.adam(0.1, betas=(0.9, 0.999), eps=0.0)
    _, s = opt.step(np.zeros(2), g, opt.init(np.zeros(2)))
    assert s.step == 1
    np.testing.assert_allclose(s.exp_avg, 0.1 * g, rtol=1e-6)  # Keras m = (1 - b1) g
    np.testing.assert_allclose(s.exp_avg_sq, 0.001 * g * g, rtol=1e-6)
    with pytest.raises(AttributeError, match="velocity_hat"):
        _ = s.max_exp_avg_sq  # no AMSGrad: Keras keeps no v_hat
    with pytest.raises(NotApplicable, match="momentum_buffer"):
        _ = s.momentum_buffer  # Adam keeps none
    with pytest.raises(NotApplicable, match="epsilon hat"):
        t.adam(0.1)  # PyTorch's eps = 1e-8 after the bias correction has no Keras form
    sgd = t.sgd(0.1, momentum=0.5)
    state = sgd.init(np.zeros(2))
    for _ in range(3):
        _, state = sgd.step(np.zeros(2), g, state)
    np.testing.assert_allclose(state.momentum_buffer, g * (1 + 0.5 + 0.25), rtol=1e-12)  # b = mu b + g
    ada = t.adagrad(0.1, initial_accumulator_value=0.25, eps=0.0)
    _, s = ada.step({"w": np.ones(2)}, {"w": g}, ada.init({"w": np.ones(2)}))
    np.testing.assert_allclose(s.sum["w"], 0.25 + g * g, rtol=1e-12)
    with pytest.raises(TypeError, match="state must be what this optimizer's init returned"):
        opt.step(np.zeros(2), g, (np.zeros(2),))


def test_keras_deviation_predicates_name_exact_cases() -> None:
    from properties.targets import keras as keras_target

    at_infinity = keras_target._activation_at_infinity("gelu")
    assert at_infinity({"activation": "gelu", "x": "-inf, inf", "of": "value, derivative"})
    assert not at_infinity({"activation": "silu", "x": "-inf, inf"})
    assert not at_infinity({"activation": "gelu", "x": 3.0})
    kink = keras_target._leaky_relu_at_zero
    assert kink({"activation": "leaky_relu", "x": 0.0, "negative_slope": 0.3})
    assert not kink({"activation": "leaky_relu", "x": 0.0, "negative_slope": 1.0})
    assert not kink({"activation": "relu", "x": 0.0})
