"""JAX as a target: ``jax.nn.initializers`` (what Flax uses), ``jax.nn``, ``jax.grad``, Optax.

Each function has impls' signature and only translates: the case's ``rng`` into
``jax.random.key(rng.integers(2**63))``, impls' ``layout`` into the initializers' own
``in_axis``/``out_axis`` (``"torch"`` ``(out, in, *k)``: ``in_axis=1, out_axis=0``; ``"keras"``
``(*k, in, out)``: JAX's defaults ``-2, -1``), the dtype (every call runs under
``jax.enable_x64(True)`` so float64 is float64), NumPy in and out. Activation derivatives are
``jax.vmap(jax.grad(f))``; optimizers are Optax ``(init, update)`` + ``optax.apply_updates``.

Semantics assumed (JAX 0.10.2, https://github.com/jax-ml/jax/blob/main/jax/_src/nn/initializers.py;
Optax 0.2.8, https://github.com/google-deepmind/optax/tree/main/optax/_src):

- ``variance_scaling(scale, mode, distribution)``: ``"truncated_normal"`` divides the std by
  0.87962566103423978 and cuts at +-2 std; ``"normal"`` is untruncated; ``"uniform"`` has bound
  ``sqrt(3 scale / n)``; fans by ``_compute_fans`` (receptive field = every axis but in/out).
- ``glorot_normal``, ``he_normal``, ``lecun_normal`` are *truncated* normals (variance_scaling
  with ``"truncated_normal"``), unlike PyTorch's ``xavier_normal_``/``kaiming_normal_``: a
  documented convention, declared as a known deviation of the law claims.
- ``he_*`` have no gain table: only PyTorch's relu gain (``a = 0``) maps onto them, with
  ``mode="fan_in"`` (He's forward rule); ``mode="fan_out"`` is ``variance_scaling(2, "fan_out", ...)``.
- ``jax.random.truncated_normal(lower, upper)`` is the inverse-CDF of a uniform, clamped into
  the open interval; impls' absolute bounds ``(a, b)`` become ``((a - mean)/std, (b - mean)/std)``.
- XLA on CPU flushes subnormals to zero (a documented sharp bit: jax#16200, jax#26668): a float32
  draw with a subnormal std is 0, so the suite's subnormal truncation case is not applicable.
- ``orthogonal(scale, column_axis=0)`` flattens as PyTorch does (rows = ``shape[0]``), with the
  sign correction.
- ``jax.nn.gelu(approximate=...)`` defaults to the tanh form; impls' ``"none"``/``"tanh"`` map to
  ``False``/``True``. ``jax.nn.softplus`` is ``logaddexp(x, 0)``: no ``beta`` and no linear
  cutoff, so ``ACTIVATIONS["softplus"]`` called without parameters is JAX's softplus and any
  explicit ``beta``/``threshold`` (PyTorch's ``threshold=20`` included) is not applicable.
- ``jnp.tanh``'s derivative is JAX's JVP rule from the output, ``(1 - t) + (1 - t) t``;
  ``jax.nn.leaky_relu`` is ``where(x >= 0, x, slope x)``, so its derivative at 0 is 1.
- Optax validates no hyper-parameter (a negative learning rate is accepted); the adapter adds
  no check of its own there.
- Optax: ``adam``'s ``eps`` is outside the root (``eps_root=0``) as PyTorch's; ``rmsprop`` is
  called with ``eps_in_sqrt=False`` (PyTorch's placement); ``adagrad`` adds ``eps`` *inside* the
  root (``scale_by_rss``: ``g / sqrt(s + eps)``), with no flag to change it; ``optax.amsgrad``
  takes the max of *bias-corrected* second moments, not PyTorch's AMSGrad (``amsgrad=True`` is
  not applicable); ``clip_by_global_norm`` scales by ``max_norm / norm``, without PyTorch's
  ``1e-6``; the optimizer state is read through impls' field names (:class:`OptaxState`);
  PyTorch's coupled ``weight_decay`` is ``chain(add_decayed_weights(wd), ...)``, Optax's
  documented L2 idiom.

- ``jax.nn.standardize`` (``algorithm="stable"``) as LayerNorm and training-mode BatchNorm without
  affine parameters, and ``jax.nn.dot_product_attention``'s log-sum-exp as one key's logit: see
  :mod:`properties.targets.jax_layers`.

Not supplied: ``sparse``, ``dirac`` (``delta_orthogonal`` is a different initializer), ``eye``,
``calculate_gain``, ``pytorch_linear_default``, ``nll_loss``, ``binary_cross_entropy`` (on
probabilities), ``rms_norm`` and the transformer layers (Flax's, not JAX's), impls' network
helpers and constants.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, NoReturn

import jax
import jax.numpy as jnp
import ml_dtypes
import mpmath
import numpy as np
import optax
from jax.nn import initializers as init

import impls
from impls._validation import as_choice, as_float_array, as_real
from impls.tree import as_param_tree, tree_map
from properties.targets import _adapting as ad
from properties.targets import jax_layers
from properties.targets.base import Deviation, Target

NAME = "jax"

CACHE_ENV = ad.JAX_CACHE_ENV
"""Where JAX's persistent compilation cache goes (``off`` disables it); see
:func:`properties.targets._adapting.persistent_jax_compilation_cache`."""

ad.persistent_jax_compilation_cache()

_JAX_INITIALIZERS = "https://github.com/jax-ml/jax/blob/main/jax/_src/nn/initializers.py"


_TINY64 = float(np.finfo(np.float64).tiny)
"""The smallest normal float64: XLA on CPU flushes anything smaller in magnitude to zero."""


def _x64(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``function`` with 64-bit types enabled (else JAX silently draws float32)."""

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with jax.enable_x64(True):
            return function(*args, **kwargs)

    return wrapped


def _axes(layout: str) -> dict[str, int]:
    return (
        {"in_axis": 1, "out_axis": 0} if ad.layout_of(layout) == "torch" else {"in_axis": -2, "out_axis": -1}
    )


Recipe = tuple[Callable[..., Callable[..., jax.Array]], tuple[Any, ...], tuple[tuple[str, Any], ...]]
"""An initializer as ``(factory, args, sorted kwargs)``: ``factory(*args, **kwargs)`` is JAX's
initializer (``(init.normal, (0.5,), ())`` is ``jax.nn.initializers.normal(0.5)``)."""


def _recipe(factory: Callable[..., Callable[..., jax.Array]], *args: Any, **kwargs: Any) -> Recipe:
    return factory, args, tuple(sorted(kwargs.items()))


@functools.lru_cache(maxsize=1024)
def _jitted(
    recipe: Recipe, dims: tuple[int, ...], dtype: np.dtype, many: bool = False
) -> Callable[[Any], jax.Array]:
    """``jax.jit`` of ``seed -> initializer(jax.random.key(seed), dims, dtype)``, once per recipe,
    shape and dtype: one dispatch per draw instead of one per primitive (0.34 -> 0.12 ms a call for
    a small ``lecun_uniform``; the statistical tests draw ~10^5 times), and one compilation per new
    shape instead of one per primitive. Jitting is how JAX initializers are normally run
    (``flax`` ``model.init`` under ``jax.jit``). With ``many``, the jit of its ``jax.vmap`` over
    an array of seeds: one call of the initializer per seed, in one dispatch (the many-calls form,
    :func:`properties.targets._adapting.many_calls`)."""
    factory, args, kwargs = recipe
    initializer = factory(*args, **dict(kwargs))

    def one(seed: Any) -> jax.Array:
        return initializer(jax.random.key(seed), dims, dtype)

    return jax.jit(jax.vmap(one) if many else one)


@functools.lru_cache(maxsize=1024)
def _jitted_sampler(
    name: str, dims: tuple[int, ...], dtype: np.dtype, many: bool = False
) -> Callable[..., jax.Array]:
    """``jax.jit`` of ``(seed, lower, upper) -> jax.random.<name>(key(seed), ..., dims, dtype)`` for
    ``uniform`` and ``truncated_normal``, once per shape and dtype (the bounds are traced, so new
    bounds do not recompile); with ``many``, vmapped over the seed; see :func:`_jitted`."""

    def one(seed: Any, lo: Any, hi: Any) -> jax.Array:
        key = jax.random.key(seed)
        if name == "uniform":
            return jax.random.uniform(key, dims, dtype, minval=lo, maxval=hi)
        return jax.random.truncated_normal(key, lo, hi, dims, dtype)

    return jax.jit(jax.vmap(one, in_axes=(0, None, None)) if many else one)


def _seeds(rng: Any) -> tuple[Any, bool]:
    """The framework seed of one call, or inside a many-calls form the seeds of all its calls."""
    count = ad.calls_wanted()
    if count is None:
        return np.int64(ad.framework_seed(rng)), False
    return ad.framework_seeds(rng, count), True


def _call_line(call: str, seed: Any, dims: tuple[int, ...], dtype: Any, then: str = "") -> str:
    """``call(jax.random.key(seed), ...)`` under ``jax_enable_x64`` as one line, ``then`` (a comment
    on what the adapter does to the result) appended."""
    key, name = f"jax.random.key({seed})", f"jnp.{np.dtype(dtype).name}"
    return ad.X64 + call.format(key=key, dims=dims, dtype=name) + then


def _rendered_call(call: str, seed: Any, dims: tuple[int, ...], dtype: Any, then: str = "") -> NoReturn:
    """Render (:func:`properties.targets._adapting.render`) :func:`_call_line`'s line."""
    ad.render(_call_line(call, seed, dims, dtype, then))


def _recipe_call(recipe: Recipe) -> str:
    """A recipe's initializer as a call template, ``jax.nn.initializers.NAME(ARGS)`` then
    ``({key}, {dims}, {dtype})``."""
    factory, args, kwargs = recipe
    return (
        f"jax.nn.initializers.{factory.__name__}({ad.arguments(*args, **dict(kwargs))})"
        + "({key}, {dims}, {dtype})"
    )


def _sample(
    name: str, dims: tuple[int, ...], dtype: Any, rng: Any, lower: float, upper: float, then: str = ""
) -> jax.Array:
    if ad.rendering():
        if name == "uniform":
            order = f"{{key}}, {{dims}}, {{dtype}}, minval={lower!r}, maxval={upper!r}"
        else:
            order = f"{{key}}, {lower!r}, {upper!r}, {{dims}}, {{dtype}}"
        _rendered_call(f"jax.random.{name}({order})", ad.framework_seed(rng), dims, dtype, then)
    seeds, many = _seeds(rng)
    return _jitted_sampler(name, dims, np.dtype(dtype), many)(seeds, np.float64(lower), np.float64(upper))


def _draw(
    recipe: Recipe | Callable[..., jax.Array], shape: Any, dtype: Any, rng: Any, then: str = ""
) -> np.ndarray:
    """Draw ``shape`` in ``dtype`` from JAX's initializer (a :data:`Recipe`, jitted; or a bare
    initializer such as ``init.zeros``, called as it is); inside a many-calls form, one draw per
    call, stacked (bare initializers have none)."""
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    if not isinstance(recipe, tuple):  # zeros, ones: deterministic, logged as a draw renders
        seed = ad.framework_seed(rng)
        call = f"jax.nn.initializers.{recipe.__name__}" + "({key}, {dims}, {dtype})"
        ad.log_rendered(functools.partial(_call_line, call, seed, dims, np_dtype))
        return np.asarray(recipe(jax.random.key(seed), dims, np_dtype))
    if ad.rendering():
        _rendered_call(_recipe_call(recipe), ad.framework_seed(rng), dims, np_dtype, then)
    seeds, many = _seeds(rng)
    return np.asarray(_jitted(recipe, dims, np.dtype(np_dtype), many)(seeds))


def _fan_based(shape: Any, layout: Any) -> tuple[int, ...]:
    dims = ad.as_shape(shape)
    ad.layout_of(layout)
    ad.check_dims(dims, 2, f"shape {dims}")
    return dims


# --------------------------------------------------------------------------------------------
# Initializers
# --------------------------------------------------------------------------------------------


@ad.same_signature(impls.zeros)
@_x64
def zeros(shape: Any, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _draw(init.zeros, shape, dtype, 0)


@ad.same_signature(impls.ones)
@_x64
def ones(shape: Any, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _draw(init.ones, shape, dtype, 0)


@ad.same_signature(impls.constant)
@_x64
def constant(shape: Any, value: float, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    recipe = _recipe(init.constant, as_real(value, "value", finite=False))
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    drawn = _draw(recipe, dims, np_dtype, 0)
    # deterministic: logged as a draw renders, with the key _draw makes for rng 0 (ignored)
    ad.log_rendered(lambda: _call_line(_recipe_call(recipe), ad.framework_seed(0), dims, np_dtype))
    return drawn


@ad.same_signature(impls.uniform)
@ad.rendered
@ad.many_calls
@_x64
def uniform(
    shape: Any, low: float = 0.0, high: float = 1.0, *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """``jax.random.uniform(key, shape, dtype, minval=low, maxval=high)`` (the initializer
    ``jax.nn.initializers.uniform(scale)`` has no lower bound)."""
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    low, high = as_real(low, "low"), as_real(high, "high")
    if high < low:
        raise ValueError(f"high must be >= low, got low={low}, high={high}")
    return np.asarray(_sample("uniform", dims, np_dtype, rng, low, high))


@ad.same_signature(impls.normal)
@ad.rendered
@ad.many_calls
@_x64
def normal(
    shape: Any, mean: float = 0.0, std: float = 1.0, *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """``mean + jax.nn.initializers.normal(std)`` (JAX's initializer has no mean)."""
    mean, std = as_real(mean, "mean"), as_real(std, "std")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    out = _draw(_recipe(init.normal, std), shape, dtype, rng, f"  # then + {mean!r}" if mean != 0.0 else "")
    return out + out.dtype.type(mean) if mean != 0.0 else out


@ad.same_signature(impls.truncated_normal)
@ad.rendered
@ad.many_calls
@_x64
def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """``mean + std * jax.random.truncated_normal(key, (a - mean)/std, (b - mean)/std)``.

    JAX's sampler takes standardized bounds (``jax.nn.initializers.truncated_normal`` cuts at
    +-2 std and rescales by 1/0.8796, so it is not PyTorch's ``trunc_normal_``).
    """
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    mean, std, a, b = (as_real(v, n) for v, n in ((mean, "mean"), (std, "std"), (a, "a"), (b, "b")))
    if std <= 0:
        raise ValueError(f"std must be > 0, got {std}")
    then = f"  # then {mean!r} + {std!r} * z" if (mean, std) != (0.0, 1.0) else ""
    z = _sample("truncated_normal", dims, np_dtype, rng, (a - mean) / std, (b - mean) / std, then)
    return np.asarray(mean + std * z, dtype=np_dtype)


@ad.same_signature(impls.variance_scaling)
@ad.rendered
@ad.many_calls
@_x64
def variance_scaling(
    shape: Any,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """``jax.nn.initializers.variance_scaling``: the same names for mode and distribution."""
    dims = _fan_based(shape, layout)
    scale = as_real(scale, "scale")
    if scale <= 0:
        raise ValueError(f"scale must be a positive float, got {scale}")
    mode = as_choice(mode, "mode", ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"))
    distribution = as_choice(distribution, "distribution", ("truncated_normal", "normal", "uniform"))
    return _draw(_recipe(init.variance_scaling, scale, mode, distribution, **_axes(layout)), dims, dtype, rng)


def _glorot(kind: str, shape: Any, gain: float, layout: str, rng: Any, dtype: Any) -> np.ndarray:
    dims = _fan_based(shape, layout)
    gain = as_real(gain, "gain")
    if gain == 1.0:
        named = init.glorot_uniform if kind == "uniform" else init.glorot_normal
        return _draw(_recipe(named, **_axes(layout)), dims, dtype, rng)
    # glorot_* is defined in JAX as variance_scaling(1.0, "fan_avg", distribution); a gain scales it.
    distribution: Any = "uniform" if kind == "uniform" else "truncated_normal"
    return _draw(
        _recipe(init.variance_scaling, gain**2, "fan_avg", distribution, **_axes(layout)), dims, dtype, rng
    )


@ad.same_signature(impls.xavier_uniform)
@ad.rendered
@ad.many_calls
@_x64
def xavier_uniform(
    shape: Any, gain: float = 1.0, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """``glorot_uniform`` (gain 1) or ``variance_scaling(gain**2, "fan_avg", "uniform")``."""
    return _glorot("uniform", shape, gain, layout, rng, dtype)


@ad.same_signature(impls.xavier_normal)
@ad.rendered
@ad.many_calls
@_x64
def xavier_normal(
    shape: Any, gain: float = 1.0, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """``glorot_normal``: a *truncated* normal of variance ``2 gain^2 / (fan_in + fan_out)``."""
    return _glorot("normal", shape, gain, layout, rng, dtype)


def _he(
    kind: str, shape: Any, a: Any, mode: Any, nonlinearity: str, layout: str, rng: Any, dtype: Any
) -> np.ndarray:
    dims = _fan_based(shape, layout)
    relu_gain = nonlinearity == "relu" or (nonlinearity == "leaky_relu" and a == 0)
    if not relu_gain:
        raise ad.unsupported(NAME, f"he_{kind} has no gain table: nonlinearity={nonlinearity!r}, a={a!r}")
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    distribution: Any = "uniform" if kind == "uniform" else "truncated_normal"
    if mode.lower() == "fan_in":
        named = init.he_uniform if kind == "uniform" else init.he_normal
        return _draw(_recipe(named, **_axes(layout)), dims, dtype, rng)
    return _draw(
        _recipe(init.variance_scaling, 2.0, "fan_out", distribution, **_axes(layout)), dims, dtype, rng
    )


@ad.same_signature(impls.kaiming_uniform)
@ad.rendered
@ad.many_calls
@_x64
def kaiming_uniform(
    shape: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """``he_uniform`` (relu gain only; ``fan_out`` through ``variance_scaling``)."""
    return _he("uniform", shape, a, mode, nonlinearity, layout, rng, dtype)


@ad.same_signature(impls.kaiming_normal)
@ad.rendered
@ad.many_calls
@_x64
def kaiming_normal(
    shape: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """``he_normal``: a *truncated* normal (relu gain only)."""
    return _he("normal", shape, a, mode, nonlinearity, layout, rng, dtype)


@ad.same_signature(impls.lecun_uniform)
@ad.rendered
@ad.many_calls
@_x64
def lecun_uniform(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _draw(_recipe(init.lecun_uniform, **_axes(layout)), _fan_based(shape, layout), dtype, rng)


@ad.same_signature(impls.lecun_normal)
@ad.rendered
@ad.many_calls
@_x64
def lecun_normal(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _draw(_recipe(init.lecun_normal, **_axes(layout)), _fan_based(shape, layout), dtype, rng)


@ad.same_signature(impls.orthogonal)
@ad.rendered
@ad.many_calls
@_x64
def orthogonal(shape: Any, gain: float = 1.0, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """``orthogonal(scale=gain, column_axis=0)``: rows are ``shape[0]``, as PyTorch flattens."""
    dims = ad.as_shape(shape)
    if len(dims) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    return _draw(_recipe(init.orthogonal, as_real(gain, "gain"), column_axis=0), dims, dtype, rng)


@ad.same_signature(impls.compute_fans)
def compute_fans(shape: Any, layout: str = "torch") -> tuple[int, int]:
    """JAX's ``_compute_fans(shape, in_axis, out_axis)`` (private: what ``variance_scaling`` uses)."""
    from jax._src.nn.initializers import _compute_fans

    dims = _fan_based(shape, layout)
    _log(
        f"tuple(map(int, jax._src.nn.initializers._compute_fans({{dims}}{ad.keywords(**_axes(layout))})))",
        dims=tuple(int(n) for n in dims),
    )
    fan_in, fan_out = _compute_fans(dims, **_axes(layout))
    return int(fan_in), int(fan_out)


# --------------------------------------------------------------------------------------------
# Activations, with jax.vmap(jax.grad) derivatives
# --------------------------------------------------------------------------------------------


_log = ad.log_jax_call


def _elementwise(
    called: str, translate: Callable[..., dict[str, Any]]
) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """JAX's function ``called`` (its public name) on NumPy arrays, with impls' parameters
    translated, and its derivative from ``jax.vmap(jax.grad)``."""
    function = ad.dotted(called)

    @_x64
    def value(x: Any, **params: Any) -> np.ndarray:
        array = as_float_array(x, "x")
        kwargs = translate(**params)
        given = jnp.asarray(array)
        _log(f"{called}({{x}}{ad.keywords(**kwargs)})", x=given)
        return np.asarray(function(given, **kwargs), dtype=array.dtype)

    @_x64
    def derivative(x: Any, **params: Any) -> np.ndarray:
        array = as_float_array(x, "x")
        kwargs = translate(**params)
        given = jnp.asarray(array.ravel())
        _log(ad.autodiff(f"{called}({{x}}{ad.keywords(**kwargs)})", "jax-vmap", array.shape), x=given)
        flat = jax.vmap(jax.grad(functools.partial(function, **kwargs)))(given)
        return np.asarray(flat, dtype=array.dtype).reshape(array.shape)

    return value, derivative


def _none() -> dict[str, Any]:
    return {}


def _slope(negative_slope: float = 0.01) -> dict[str, Any]:
    return {"negative_slope": as_real(negative_slope, "negative_slope")}


def _alpha(alpha: float = 1.0) -> dict[str, Any]:
    return {"alpha": as_real(alpha, "alpha")}


def _gelu_form(approximate: str = "none") -> dict[str, Any]:
    return {"approximate": as_choice(approximate, "approximate", ("none", "tanh")) == "tanh"}


def _softplus_form(**params: Any) -> dict[str, Any]:
    """``jax.nn.softplus`` takes no parameter: any explicit ``beta``/``threshold`` is refused.

    Called without parameters the activation is JAX's own softplus, ``logaddexp(x, 0)`` with no
    linear cutoff; PyTorch's ``threshold=20`` (``x`` for ``x > 20``, differing by
    ``log1p(e^-x) < 2.1e-9``) is not expressible, so a caller asking for it by name is refused.
    """
    if params:
        raise ad.unsupported(
            NAME, f"jax.nn.softplus has no beta and no threshold (no linear cutoff), got {sorted(params)}"
        )
    return {}


_JAX_ACTIVATIONS: dict[str, tuple[str, Callable[..., dict[str, Any]], dict[str, Any]]] = {
    "linear": ("jax.nn.identity", _none, {}),
    "sigmoid": ("jax.nn.sigmoid", _none, {}),
    "tanh": ("jax.numpy.tanh", _none, {}),
    "relu": ("jax.nn.relu", _none, {}),
    "leaky_relu": ("jax.nn.leaky_relu", _slope, {"negative_slope": 0.01}),
    "softsign": ("jax.nn.soft_sign", _none, {}),
    "elu": ("jax.nn.elu", _alpha, {"alpha": 1.0}),
    "selu": ("jax.nn.selu", _none, {}),
    "gelu": ("jax.nn.gelu", _gelu_form, {"approximate": "none"}),
    "silu": ("jax.nn.silu", _none, {}),
    "softplus": ("jax.nn.softplus", _softplus_form, {"beta": 1.0, "threshold": 20.0}),
}
"""impls' activation name -> JAX's function (its public name), impls' parameters translated to
JAX's, and impls' defaults."""

ACTIVATIONS = {
    name: ad.activation(name, *_elementwise(called, translate), defaults)
    for name, (called, translate, defaults) in _JAX_ACTIVATIONS.items()
}


@ad.same_signature(impls.sigmoid)
def sigmoid(x: Any) -> np.ndarray:
    return ACTIVATIONS["sigmoid"].function(x)


@ad.same_signature(impls.tanh)
def tanh(x: Any) -> np.ndarray:
    return ACTIVATIONS["tanh"].function(x)


@ad.same_signature(impls.relu)
def relu(x: Any) -> np.ndarray:
    return ACTIVATIONS["relu"].function(x)


@ad.same_signature(impls.leaky_relu)
def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    return ACTIVATIONS["leaky_relu"].function(x, negative_slope=negative_slope)


@ad.same_signature(impls.softsign)
def softsign(x: Any) -> np.ndarray:
    return ACTIVATIONS["softsign"].function(x)


@ad.same_signature(impls.elu)
def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    return ACTIVATIONS["elu"].function(x, alpha=alpha)


@ad.same_signature(impls.selu)
def selu(x: Any) -> np.ndarray:
    return ACTIVATIONS["selu"].function(x)


@ad.same_signature(impls.gelu)
def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    return ACTIVATIONS["gelu"].function(x, approximate=approximate)


@ad.same_signature(impls.silu)
def silu(x: Any) -> np.ndarray:
    return ACTIVATIONS["silu"].function(x)


@ad.same_signature(impls.softplus)
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """impls' ``softplus`` is PyTorch's, with a linear cutoff at ``threshold``: refused (see
    ``_softplus_form``; ``ACTIVATIONS["softplus"]`` without parameters is JAX's own)."""
    return ACTIVATIONS["softplus"].function(x, beta=beta, threshold=threshold)


# --------------------------------------------------------------------------------------------
# Losses (jax.nn, optax, jax.scipy), gradients from jax.grad
# --------------------------------------------------------------------------------------------


@ad.same_signature(impls.softmax)
@_x64
def softmax(x: Any, axis: int = -1) -> np.ndarray:
    array = as_float_array(x, "x")
    given = jnp.asarray(array)
    _log(f"jax.nn.softmax({{x}}{ad.keywords(axis=axis)})", x=given)
    return np.asarray(jax.nn.softmax(given, axis=axis), dtype=array.dtype)


@ad.same_signature(impls.log_softmax)
@_x64
def log_softmax(x: Any, axis: int = -1) -> np.ndarray:
    array = as_float_array(x, "x")
    given = jnp.asarray(array)
    _log(f"jax.nn.log_softmax({{x}}{ad.keywords(axis=axis)})", x=given)
    return np.asarray(jax.nn.log_softmax(given, axis=axis), dtype=array.dtype)


_REDUCE = {"none": "", "mean": "jax.numpy.mean", "sum": "jax.numpy.sum"}
"""impls' reduction -> JAX's function applied to the per-example losses (none for ``"none"``)."""


class _Loss(NamedTuple):
    """A loss as the adapter computes it: its value, and the call as a template (``{x}`` the
    input it is differentiated by, the other inputs in ``values``) for :func:`_log`."""

    value: jax.Array
    call: str
    values: dict[str, Any]


def _reduced(reduction: str, per: jax.Array, call: str, values: dict[str, Any]) -> _Loss:
    called = _REDUCE[as_choice(reduction, "reduction", tuple(_REDUCE))]
    if not called:
        return _Loss(per, call, values)
    return _Loss(ad.dotted(called)(per), f"{called}({call})", values)


def _logged_loss(function: Callable[[jax.Array], _Loss], x: np.ndarray, grad: bool) -> np.ndarray:
    """The loss ``function`` at ``x``, or its ``jax.grad`` (of the sum), logged as computed."""
    given = jnp.asarray(x)
    if not grad:
        loss = function(given)
        _log(loss.call, x=given, **loss.values)
        return np.asarray(loss.value, dtype=x.dtype)
    seen: list[_Loss] = []

    def summed(z: jax.Array) -> jax.Array:
        seen.append(function(z))
        return jnp.sum(seen[-1].value)

    gradient = jax.grad(summed)(given)
    _log(ad.autodiff(f"jax.numpy.sum({seen[-1].call})", "jax"), x=given, **seen[-1].values)
    return np.asarray(gradient, dtype=x.dtype)


def _ce(
    logits: jax.Array, target: Any, weight: Any, ignore_index: int, reduction: str, label_smoothing: float
) -> _Loss:
    """Optax's cross-entropy, class axis 1 for batched input (PyTorch's), reduced as asked."""
    as_choice(reduction, "reduction", tuple(_REDUCE))
    if weight is not None or as_real(label_smoothing, "label_smoothing") != 0.0:
        raise ad.unsupported(NAME, "optax cross-entropy has no class weight or label smoothing argument")
    axis = 1 if logits.ndim > 1 else 0
    labels = np.asarray(target)
    if labels.dtype.kind in "iu":
        if np.any(labels == ignore_index):
            raise ad.unsupported(NAME, "optax cross-entropy has no ignore_index")
        called, given = "optax.softmax_cross_entropy_with_integer_labels", jnp.asarray(labels)
    else:
        called, given = "optax.softmax_cross_entropy", jnp.asarray(labels, dtype=logits.dtype)
    per = ad.dotted(called)(logits, given, axis=axis)
    return _reduced(reduction, per, f"{called}({{x}}, {{labels}}{ad.keywords(axis=axis)})", {"labels": given})


@ad.same_signature(impls.cross_entropy)
@_x64
def cross_entropy(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _logged_loss(lambda z: _ce(z, target, weight, ignore_index, reduction, label_smoothing), x, False)


@ad.same_signature(impls.cross_entropy_grad)
@_x64
def cross_entropy_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _logged_loss(lambda z: _ce(z, target, weight, ignore_index, reduction, label_smoothing), x, True)


def _bce(x: jax.Array, target: Any, weight: Any, pos_weight: Any, reduction: str) -> _Loss:
    as_choice(reduction, "reduction", tuple(_REDUCE))
    if weight is not None or pos_weight is not None:
        raise ad.unsupported(NAME, "optax.sigmoid_binary_cross_entropy has no weight or pos_weight")
    labels = jnp.asarray(np.asarray(target, dtype=x.dtype))
    if labels.shape != x.shape:
        raise ValueError(f"target must have the logits' shape {x.shape}, got {labels.shape}")
    per = optax.sigmoid_binary_cross_entropy(x, labels)
    return _reduced(reduction, per, "optax.sigmoid_binary_cross_entropy({x}, {labels})", {"labels": labels})


@ad.same_signature(impls.binary_cross_entropy_with_logits)
@_x64
def binary_cross_entropy_with_logits(
    logits: Any, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _logged_loss(lambda z: _bce(z, target, weight, pos_weight, reduction), x, False)


@ad.same_signature(impls.binary_cross_entropy_with_logits_grad)
@_x64
def binary_cross_entropy_with_logits_grad(
    logits: Any, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _logged_loss(lambda z: _bce(z, target, weight, pos_weight, reduction), x, True)


@ad.same_signature(impls.entropy)
@_x64
def entropy(p: Any, axis: int = -1) -> np.ndarray:
    """``jax.scipy.special.entr`` summed over ``axis``."""
    array = as_float_array(p, "p")
    given = jnp.asarray(array)
    _log(f"jax.numpy.sum(jax.scipy.special.entr({{p}}){ad.keywords(axis=axis)})", p=given)
    return np.asarray(jnp.sum(jax.scipy.special.entr(given), axis=axis), dtype=array.dtype)


@ad.same_signature(impls.kl_divergence)
@_x64
def kl_divergence(p: Any, q: Any, axis: int = -1) -> np.ndarray:
    """``optax.kl_divergence(log q, p, axis)`` (Optax takes log-predictions, as PyTorch)."""
    p_arr, q_arr = as_float_array(p, "p"), as_float_array(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {p_arr.shape} and {q_arr.shape}")
    given_p, given_q = jnp.asarray(p_arr), jnp.asarray(q_arr)
    _log(f"optax.kl_divergence(jax.numpy.log({{q}}), {{p}}{ad.keywords(axis=axis)})", p=given_p, q=given_q)
    out = optax.kl_divergence(jnp.log(given_q), given_p, axis=axis)
    return np.asarray(out, dtype=p_arr.dtype)


# --------------------------------------------------------------------------------------------
# Optimizers: Optax (init, update) + apply_updates
# --------------------------------------------------------------------------------------------


def _to_jax(tree: Any) -> Any:
    return tree_map(jnp.asarray, tree)


def _to_numpy(tree: Any, like: Any) -> Any:
    return tree_map(lambda new, old: np.asarray(new, dtype=old.dtype), tree, like)


_STATE_FIELDS: dict[str, tuple[type, str]] = {
    "momentum_buffer": (optax.TraceState, "trace"),
    "sum": (optax.ScaleByRssState, "sum_of_squares"),
    "exp_avg": (optax.ScaleByAdamState, "mu"),
    "exp_avg_sq": (optax.ScaleByAdamState, "nu"),
    "square_avg": (optax.ScaleByRmsState, "nu"),
    "step": (optax.ScaleByAdamState, "count"),
}
"""impls' (PyTorch's) state field -> the Optax state and field holding the same quantity:
``trace = g + mu trace`` is PyTorch's undampened ``momentum_buffer``; ``sum_of_squares`` starts at
``initial_accumulator_value`` as ``sum``; Adam's ``mu``/``nu``/``count`` are ``exp_avg``/
``exp_avg_sq``/``step``; RMSProp's ``nu`` is ``square_avg``."""


def _states(tree: Any) -> Iterator[Any]:
    """Every Optax state record (a NamedTuple) in a chain's nested tuples, depth first."""
    if isinstance(tree, tuple):
        if hasattr(tree, "_fields"):
            yield tree
        for item in tree:
            yield from _states(item)


class OptaxState:
    """An Optax optimizer state read through impls' state fields (see :data:`_STATE_FIELDS`).

    ``state.exp_avg``, ``state.momentum_buffer``, ``state.sum``, ... are Optax's own buffers as
    NumPy arrays in the parameters' tree; ``state.step`` is Adam's count. A field Optax does not
    keep in this configuration (``momentum_buffer`` without momentum, ``max_exp_avg_sq``, ...) is
    an ``AttributeError``: the view never makes up a value.

    Args:
        state: the Optax state.
        params: the parameter tree the buffers belong to (structure and dtypes).
    """

    def __init__(self, state: Any, params: Any) -> None:
        self.state = state
        self.params = params

    def __getattr__(self, field: str) -> Any:
        if field.startswith("_") or field in ("state", "params") or field not in _STATE_FIELDS:
            raise AttributeError(field)
        kind, name = _STATE_FIELDS[field]
        found = next((s for s in _states(self.state) if isinstance(s, kind)), None)
        if found is None:
            raise AttributeError(f"optax keeps no {field!r} ({kind.__name__}.{name}) in this configuration")
        value = getattr(found, name)
        return int(value) if field == "step" else _to_numpy(value, self.params)

    def __repr__(self) -> str:
        return f"OptaxState({self.state!r})"


class _Made(NamedTuple):
    """An object the adapter made, and the expression that makes it (computed when asked: a
    schedule's rate is the value it reads at that moment)."""

    value: Any
    text: Callable[[], str]


def _made(called: str, *args: Any, **kwargs: Any) -> _Made:
    """``called(*args, **kwargs)`` (a public name; arguments may be :class:`_Made`), with its expression."""

    def value(a: Any) -> Any:
        return a.value if isinstance(a, _Made) else a

    def text() -> str:
        def code(a: Any) -> Any:
            return ad.code(a.text()) if isinstance(a, _Made) else a

        return ad.call_text(called, *map(code, args), **{k: code(v) for k, v in kwargs.items()})

    return _Made(ad.dotted(called)(*map(value, args), **{k: value(v) for k, v in kwargs.items()}), text)


def _rate(lr: Any) -> Any:
    """impls' learning rate as Optax's: a float is a constant; a 0-d array, which impls (like a
    PyTorch scheduler setting ``param_groups[i]["lr"]``) reads at every step, becomes a schedule
    that reads it at every step (``optax.Schedule``, called with the step count)."""
    if isinstance(lr, np.ndarray) and lr.ndim == 0:
        return _Made(
            lambda count: jnp.asarray(lr[()]), lambda: f"lambda count: jnp.asarray({ad.literal(lr[()])})"
        )
    return lr


def _optax_optimizer(rule: _Made) -> impls.Optimizer:
    """An Optax transformation (made by ``rule``) as impls' pure pair (Optax is pure already: only
    NumPy <-> JAX); the state is an :class:`OptaxState`."""
    transformation: optax.GradientTransformation = rule.value

    @_x64
    def init_state(params: Any) -> OptaxState:
        return OptaxState(transformation.init(_to_jax(as_param_tree(params, "params"))), params)

    @_x64
    def step(params: Any, grads: Any, state: Any) -> tuple[Any, OptaxState]:
        if not isinstance(state, OptaxState):
            raise TypeError(f"state must be what this optimizer's init returned, got {type(state).__name__}")
        as_param_tree(params, "params")
        as_param_tree(grads, "grads")

        def same_shape(p: np.ndarray, g: np.ndarray) -> None:
            if p.shape != g.shape:
                raise ValueError(f"grads must match params' shapes, got {g.shape} for {p.shape}")

        tree_map(same_shape, params, grads, name="params")
        p, g = _to_jax(params), _to_jax(grads)
        _log(
            "params = {params}; updates, state = {rule}.update({grads}, {state}, params); "
            "optax.apply_updates(params, updates)",
            params=p,
            rule=ad.deferred(rule.text),
            grads=g,
            state=state.state,
        )
        updates, new_state = transformation.update(g, state.state, p)
        new = _to_numpy(optax.apply_updates(p, updates), params)
        return new, OptaxState(new_state, new)

    return impls.Optimizer(init_state, step)


def _coupled(weight_decay: float, rule: _Made) -> _Made:
    """PyTorch's coupled L2 (``g + wd p``) as Optax's ``add_decayed_weights`` before the rule."""
    return (
        rule
        if weight_decay == 0
        else _made("optax.chain", _made("optax.add_decayed_weights", weight_decay), rule)
    )


@ad.same_signature(impls.sgd)
def sgd(
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> impls.Optimizer:
    """``optax.sgd(lr, momentum, nesterov)``: ``trace`` is PyTorch's undampened buffer."""
    if maximize:
        raise ad.unsupported(NAME, "optax has no maximize option")
    if dampening != 0:
        raise ad.unsupported(NAME, "optax.sgd has no dampening")
    return _optax_optimizer(_coupled(weight_decay, _made("optax.sgd", _rate(lr), momentum or None, nesterov)))


@ad.same_signature(impls.adagrad)
def adagrad(
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> impls.Optimizer:
    """``optax.adagrad(lr, initial_accumulator_value, eps)``: eps is *inside* the root in Optax."""
    if maximize:
        raise ad.unsupported(NAME, "optax has no maximize option")
    if lr_decay != 0:
        raise ad.unsupported(NAME, "optax.adagrad has no lr_decay")
    rule = _made("optax.adagrad", _rate(lr), initial_accumulator_value, eps)
    return _optax_optimizer(_coupled(weight_decay, rule))


@ad.same_signature(impls.rmsprop)
def rmsprop(
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> impls.Optimizer:
    """``optax.rmsprop(lr, decay=alpha, eps, eps_in_sqrt=False, centered, momentum)``."""
    if maximize:
        raise ad.unsupported(NAME, "optax has no maximize option")
    rule = _made(
        "optax.rmsprop",
        _rate(lr),
        decay=alpha,
        eps=eps,
        eps_in_sqrt=False,
        centered=centered,
        momentum=momentum or None,
    )
    return _optax_optimizer(_coupled(weight_decay, rule))


@ad.same_signature(impls.adam)
def adam(
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    bias_correction: bool = True,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> impls.Optimizer:
    """``optax.adam(lr, b1, b2, eps, eps_root=0)`` (``amsgrad=True``: not applicable)."""
    if maximize:
        raise ad.unsupported(NAME, "optax has no maximize option")
    if decoupled_weight_decay:
        raise ad.unsupported(NAME, "optax's adam has no decoupled_weight_decay (use adamw)")
    if not bias_correction:
        raise ad.unsupported(NAME, "optax.adam always bias-corrects (bias_correction=False)")
    if amsgrad:
        raise ad.unsupported(
            NAME,
            "optax.amsgrad takes the max of the bias-corrected second moments, PyTorch's amsgrad the "
            "max of the raw ones (then corrects): a different algorithm",
        )
    b1, b2 = betas
    rule = _made("optax.adam", _rate(lr), b1, b2, eps, eps_root=0.0)
    return _optax_optimizer(_coupled(weight_decay, rule))


@ad.same_signature(impls.adamw)
def adamw(
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> impls.Optimizer:
    """``optax.adamw(lr, b1, b2, eps, weight_decay=wd)`` (decay multiplied by lr, as PyTorch)."""
    if maximize:
        raise ad.unsupported(NAME, "optax has no maximize option")
    if amsgrad:
        raise ad.unsupported(NAME, "optax.adamw has no amsgrad")
    b1, b2 = betas
    return _optax_optimizer(_made("optax.adamw", _rate(lr), b1, b2, eps, weight_decay=weight_decay))


@ad.same_signature(impls.clip_grad_norm)
@_x64
def clip_grad_norm(grads: Any, max_norm: float, norm_type: float = 2.0) -> tuple[Any, float]:
    """``optax.clip_by_global_norm(max_norm)``; the norm is ``optax.tree.norm`` (2-norm only)."""
    as_param_tree(grads, "grads")
    if as_real(norm_type, "norm_type", finite=False) != 2.0:
        raise ad.unsupported(NAME, "optax.clip_by_global_norm is the 2-norm only")
    g = _to_jax(grads)
    _log(
        "g = {grads}; clip = optax.clip_by_global_norm({max_norm}); "
        "clip.update(g, clip.init(g))[0], float(optax.tree.norm(g))",
        grads=g,
        max_norm=max_norm,
    )
    clip = optax.clip_by_global_norm(max_norm)
    updates, _ = clip.update(g, clip.init(g))
    return _to_numpy(updates, grads), float(optax.tree.norm(g))


@ad.same_signature(impls.clip_grad_value)
@_x64
def clip_grad_value(grads: Any, clip_value: float) -> Any:
    """``optax.clip(max_delta=clip_value)``."""
    as_param_tree(grads, "grads")
    g = _to_jax(grads)
    _log(
        "g = {grads}; clip = optax.clip({clip_value}); clip.update(g, clip.init(g))[0]",
        grads=g,
        clip_value=clip_value,
    )
    clip = optax.clip(clip_value)
    updates, _ = clip.update(g, clip.init(g))
    return _to_numpy(updates, grads)


# --------------------------------------------------------------------------------------------
# The target
# --------------------------------------------------------------------------------------------

_TRUNCATED_BY_DESIGN = (
    "JAX's {name} is a truncated normal (variance_scaling 'truncated_normal', cut at 2 std, "
    "variance preserved): a documented convention, not PyTorch's untruncated normal"
)

_JAX_FUNCTIONS = "https://github.com/jax-ml/jax/blob/main/jax/_src/nn/functions.py"
_OPTAX_TRANSFORM = "https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py"


def _adagrad_seed_misses(case: Mapping[str, Any]) -> bool:
    """Whether Optax's AdaGrad form (``g / sqrt(r + delta)``, eps inside the root) misses the seed's
    update (``g / (sqrt(r) + delta)``) by more than the check's tolerance on the recorded case."""
    if case.get("optimizer") != "adagrad":
        return False
    grads, lr, delta = np.asarray(case["grads"], float), case["lr"], case["delta"]
    inside, outside, r = (np.zeros(grads.shape[1]) for _ in range(3))
    for g in grads:
        r = r + g * g
        inside = inside - lr / np.sqrt(r + delta) * g
        outside = outside - lr / (np.sqrt(r) + delta) * g
    return not np.allclose(inside, outside, rtol=1e-10, atol=1e-12)


def _adagrad_steps_miss(case: Mapping[str, Any]) -> bool:
    """Whether Optax's constant-gradient AdaGrad steps, ``lr g / sqrt(tau + t g^2 + eps)``
    (eps = 1e-10 inside the root), miss theory's ``lr g / (sqrt(tau + t g^2) + eps)`` by more
    than the check's relative 1e-9 (lr_decay 0: Optax has none)."""
    if case.get("lr_decay") != 0.0 or "tau" not in case:
        return False
    t = np.arange(1, case["steps"] + 1)
    g, lr, tau = case["g"], case["lr"], case["tau"]
    optax_form = lr * g / np.sqrt(tau + t * g * g + 1e-10)
    theory = lr * g / (np.sqrt(tau + t * g * g) + 1e-10)
    return bool(np.any(np.abs(optax_form - theory) > 1e-9 * np.abs(theory)))


def _clip_coefficient_differs(case: Mapping[str, Any]) -> bool:
    """Whether Optax's coefficient ``min(1, max_norm / N)`` differs from PyTorch's
    ``min(1, max_norm / (N + 1e-6))`` by more than the check's relative tolerance (in the case)."""
    if "total" not in case or "max_norm" not in case or "rtol" not in case:
        return False
    total, max_norm = case["total"], case["max_norm"]
    optax_factor = 1.0 if total < max_norm else max_norm / total
    torch_factor = min(1.0, max_norm / (total + 1e-6))
    return abs(optax_factor - torch_factor) > case["rtol"] * torch_factor


def _redrawn(case: Mapping[str, Any]) -> np.ndarray:
    """This adapter's truncated normal for a recorded support case (it names seed and shape)."""
    dtype = np.dtype(case["dtype"]) if case["dtype"] != "bfloat16" else np.dtype(ml_dtypes.bfloat16)
    return truncated_normal(
        tuple(case["shape"]), case["mean"], case["std"], case["a"], case["b"], rng=case["seed"], dtype=dtype
    )


def _scaled_draw_on_a_bound(case: Mapping[str, Any]) -> bool:
    """Whether this adapter's truncated normal (JAX's standardized draw in the open interval,
    then ``mean + std z`` in the dtype) puts a draw on a bound for the recorded case: the
    support check's "on a bound" part, redrawn exactly (the case names seed and shape)."""
    if case.get("part") != "on a bound" or "shape" not in case or "seed" not in case:
        return False
    w = _redrawn(case)
    low, high = w.dtype.type(case["a"]), w.dtype.type(case["b"])
    return bool(np.any((w == low) | (w == high)))


def _far_tail_beyond_a_bound(case: Mapping[str, Any]) -> bool:
    """Whether the support check's "beyond a bound" part failed for the reason jax#10951 gives:
    the whole interval lies so far in one tail that ``erf(z / sqrt 2)`` at its near edge is
    within 16 ulp of 1 in the dtype (tail mass ``2 Phi(-|z|) <= 16 eps``), so the inversion
    collapses onto a clipped edge and ``mean + std z`` rounds past a bound; the draw is redone
    exactly (the case names seed and shape) to confirm it."""
    if case.get("part") != "beyond a bound" or "shape" not in case or "seed" not in case:
        return False
    if case["dtype"] not in ("float32", "float64"):
        return False
    z_low, z_high = ((case[k] - case["mean"]) / case["std"] for k in ("a", "b"))
    if z_low < 0.0 < z_high:
        return False
    near = min(abs(z_low), abs(z_high))
    eps = float(np.finfo(case["dtype"]).eps)
    if not 2.0 * float(mpmath.ncdf(-near)) <= 16.0 * eps:
        return False
    w = _redrawn(case)
    return bool(np.any((w < w.dtype.type(case["a"])) | (w > w.dtype.type(case["b"]))))


def _activation_is(*names: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda case: case.get("activation") in names


@_x64
def _tanh_jvp(x: Any) -> np.ndarray:
    """JAX's tanh derivative as its JVP rule computes it from the output ``t = tanh(x)``:
    ``(1 - t) + (1 - t) t`` (``jax.make_jaxpr(jax.grad(jnp.tanh))``), in float64."""
    t = np.asarray(jnp.tanh(jnp.asarray(np.asarray(x, float))))
    return (1.0 - t) + (1.0 - t) * t


def _tanh_misses_definition(case: Mapping[str, Any]) -> bool:
    """Whether the output-based tanh' misses the definition test's tolerance (1e-15 + 1e-12 |f'|)
    at one of the case's points, against ``sech^2`` in 50 digits."""
    if case.get("activation") != "tanh":
        return False
    x = np.asarray(case.get("x", []), float)
    with mpmath.workdps(50):
        exact = np.array([float(mpmath.sech(mpmath.mpf(v)) ** 2) for v in x])
    return bool(np.any(np.abs(_tanh_jvp(x) - exact) > 1e-15 + 1e-12 * exact))


@_x64
def _tanh_breaks_sigmoid_relation(case: Mapping[str, Any]) -> bool:
    """Whether, at one of the case's points, ``jnp.tanh`` misses ``2 sigmoid(2x) - 1`` by more than
    the relation test's 4e-16 *because* it is more than 2 ulp (2.5e-16) from the exact tanh (50
    digits): a failure of the relation that JAX's sigmoid causes is not covered."""
    x = np.asarray(case.get("x", []), float).ravel()
    if case.get("activation") is not None or x.size == 0:
        return False
    t = np.asarray(jnp.tanh(jnp.asarray(x)))
    relation = np.abs(t - (2.0 * np.asarray(jax.nn.sigmoid(jnp.asarray(2.0 * x))) - 1.0))
    with mpmath.workdps(50):
        exact = np.array([float(mpmath.tanh(mpmath.mpf(v))) for v in x])
    return bool(np.any((relation > 4e-16) & (np.abs(t - exact) > 2.5e-16)))


def _tanh_exceeds_bound(case: Mapping[str, Any]) -> bool:
    """Whether the output-based tanh' exceeds the case's bound (the saturation claim)."""
    if case.get("activation") != "tanh" or "bound" not in case:
        return False
    return bool(np.any(_tanh_jvp(case["x"]) > case["bound"]))


def _leaky_relu_at_zero(case: Mapping[str, Any]) -> bool:
    return (
        case.get("activation") == "leaky_relu" and case.get("x") == 0.0 and case.get("negative_slope") != 1.0
    )


_TANH_JVP = (
    "jnp.tanh's derivative is computed from the output, (1 - t) + (1 - t) t, and XLA's float64 tanh "
    "is a few ulp off near saturation (tanh(19.5) = 1 - 8u; the exact value rounds to 1): tanh' is "
    "accurate to ~1e-15 absolute only, e.g. 1.55e-15 at x = 19.5 (exact 4.6e-17), 8.2446147517e-9 "
    "at x = 10 (exact 8.2446144558e-9)"
)

DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "seed-rmsprop-update",
        "convention: optax.adagrad (scale_by_rss) divides by sqrt(r + eps), eps inside the root, with "
        "no option to move it; the seed's (and PyTorch's) AdaGrad divides by sqrt(r) + eps",
        f"{_OPTAX_TRANSFORM} (scale_by_rss)",
        applies=_adagrad_seed_misses,
        reproduce="optax.adagrad(1.0, 0.0, 1e-5).update(jnp.array([1.0]), optax.adagrad(1.0, 0.0, 1e-5).init("
        "jnp.array([0.0])))[0]  # -0.999995; PyTorch steps -0.99999",
    ),
    Deviation(
        "adagrad-constant-gradient",
        "convention: optax.adagrad divides by sqrt(tau + t g^2 + eps) (eps inside the root), the claim's "
        "AdaGrad by sqrt(tau + t g^2) + eps",
        f"{_OPTAX_TRANSFORM} (scale_by_rss)",
        applies=_adagrad_steps_miss,
    ),
    Deviation(
        "gradient-clipping",
        "convention: optax.clip_by_global_norm scales by max_norm / N (no 1e-6 in the denominator), "
        "PyTorch's clip_grad_norm_ by max_norm / (N + 1e-6); both keep the norm within max_norm",
        "https://github.com/google-deepmind/optax/blob/main/optax/_src/clipping.py (clip_by_global_norm)",
        applies=_clip_coefficient_differs,
        reproduce="optax.clip_by_global_norm(1.0).update([jnp.array([2.0])], None)[0]  # [1.0]; PyTorch "
        "scales by 1 / (2 + 1e-6)",
    ),
    Deviation(
        "kl-non-negative",
        "optax.kl_divergence is targets * (where(targets == 0, 0, log targets) - log_predictions): "
        "NaN (0 * inf) where p = q = 0, not 0 log(0/0) = 0; XLA on CPU flushes subnormals to zero "
        "(jax#16200), so a subnormal p_i counts as 0",
        "https://github.com/google-deepmind/optax/pull/1786",
        applies=lambda case: case.get("q") == "p" and any(abs(v) < _TINY64 for v in case.get("p", ())),
        reproduce="optax.kl_divergence(jnp.log(jnp.array([1.0, 0.0])), jnp.array([1.0, 0.0]))  # nan",
    ),
    Deviation(
        "truncated-normal-support",
        "jax.random.truncated_normal samples by inverting erf, which saturates in the dtype far in "
        "a tail: the draws collapse onto a clipped edge of the standardized interval and "
        "mean + std z rounds past the bound (an interval some 5 float32 std or 8 float64 std "
        "beyond the mean)",
        "https://github.com/jax-ml/jax/issues/10951 (open)",
        applies=_far_tail_beyond_a_bound,
        reproduce="-2.5392743 + 0.001 * jax.random.truncated_normal(jax.random.key(0), 2539.2743, 3539.2743, "
        "(64, 33), jnp.float32)  # every value 1.0000002, beyond b = 1",
    ),
    Deviation(
        "truncated-normal-support",
        "JAX has no mean or absolute bounds: jax.random.truncated_normal draws in the open standardized "
        "interval and the caller scales after (as jax.nn.initializers.truncated_normal does, which "
        "documents lower*stddev < x < upper*stddev); rounding mean + std z to the dtype can land on a "
        "bound, which is never redrawn",
        f"{_JAX_INITIALIZERS} (truncated_normal); no upstream report found",
        applies=_scaled_draw_on_a_bound,
        reproduce="u = 2.0**-23; 1 + 1.5 * u + u * jax.random.truncated_normal(jax.random.key(0), -1.5, 1.5, "
        "(64, 33), jnp.float32)  # 587 of 2112 values equal 1 or 1 + 3u",
    ),
    Deviation(
        "he-leaky-variance",
        _TRUNCATED_BY_DESIGN.format(name="he_normal"),
        _JAX_INITIALIZERS,
        applies=lambda case: case.get("scheme") == "kaiming_normal",
    ),
    Deviation(
        "low-precision-initializer-laws",
        _TRUNCATED_BY_DESIGN.format(name="he_normal"),
        _JAX_INITIALIZERS,
        applies=lambda case: case.get("scheme") == "kaiming_normal",
    ),
    ad.jax_low_precision_draws(),
    Deviation(
        "low-precision-rounding-harmless",
        _TRUNCATED_BY_DESIGN.format(name="glorot_normal"),
        _JAX_INITIALIZERS,
        applies=lambda case: case.get("initializer") == "xavier_normal",
    ),
    Deviation(
        "activation-derivatives",
        _TANH_JVP,
        "https://github.com/jax-ml/jax/issues/40343",
        applies=_tanh_misses_definition,
        reproduce="jax.grad(jnp.tanh)(19.5)  # 1.55e-15 under jax_enable_x64; exact 4.6e-17",
    ),
    Deviation(
        "tanh-sigmoid-relation",
        "XLA's float64 tanh is a few ulp off near saturation: tanh(19) = 1 - 7u where the exact value "
        "1 - 6.3e-17 rounds to 1, so tanh(x) = 2 sigmoid(2x) - 1 misses by 7.8e-16; the default-accuracy "
        "tanh of the linked report (which is about its derivative), whose errors "
        "pearu/functional_algorithms#55 charts; no report of this value found",
        "https://github.com/jax-ml/jax/issues/40343",
        applies=_tanh_breaks_sigmoid_relation,
        reproduce="jnp.tanh(19.0)  # 0.9999999999999992 under jax_enable_x64; exact rounds to 1.0",
    ),
    Deviation(
        "saturation-beyond-10",
        _TANH_JVP,
        "https://github.com/jax-ml/jax/issues/40343",
        applies=_tanh_exceeds_bound,
        reproduce="jax.grad(jnp.tanh)(10.0)  # 8.2446147517e-9 under jax_enable_x64; exact 8.2446144558e-9",
    ),
    Deviation(
        "activation-stability",
        "gelu is 0.5 x erfc(-x / sqrt 2) evaluated literally: NaN at -inf (-inf * 0), and jax.grad's "
        "gelu'(+-inf) is NaN; no upstream report found",
        f"{_JAX_FUNCTIONS} (gelu)",
        applies=lambda case: _activation_is("gelu")(case) and case.get("x") == "-inf, inf",
        reproduce="jax.nn.gelu(-jnp.inf, approximate=False)  # nan",
    ),
    Deviation(
        "activation-stability",
        "silu is x * sigmoid(x) evaluated literally: NaN at -inf (-inf * 0), and jax.grad's "
        "silu'(+-inf) is NaN; no upstream report found",
        f"{_JAX_FUNCTIONS} (silu)",
        applies=lambda case: _activation_is("silu")(case) and case.get("x") == "-inf, inf",
        reproduce="jax.nn.silu(-jnp.inf)  # nan",
    ),
    Deviation(
        "activation-stability",
        "soft_sign is x / (|x| + 1) evaluated literally: NaN at +-inf (inf / inf), its jax.grad too; "
        "no upstream report found",
        f"{_JAX_FUNCTIONS} (soft_sign)",
        applies=lambda case: _activation_is("softsign")(case) and case.get("x") == "-inf, inf",
        reproduce="jax.nn.soft_sign(jnp.inf)  # nan",
    ),
    Deviation(
        "xavier-normal-law",
        _TRUNCATED_BY_DESIGN.format(name="glorot_normal"),
        _JAX_INITIALIZERS,
    ),
    Deviation("he-normal-law", _TRUNCATED_BY_DESIGN.format(name="he_normal"), _JAX_INITIALIZERS),
    Deviation(
        "relu-kink-convention",
        "convention: jax.nn.leaky_relu is where(x >= 0, x, slope x) (documented formula): its "
        "derivative at 0 is 1, PyTorch autograd's is the slope",
        f"{_JAX_FUNCTIONS} (leaky_relu)",
        applies=_leaky_relu_at_zero,
        reproduce="jax.grad(jax.nn.leaky_relu)(0.0, 0.3)  # 1.0; PyTorch autograd gives 0.3",
    ),
    Deviation(
        "he-fan-out",
        _TRUNCATED_BY_DESIGN.format(name="he_normal"),
        _JAX_INITIALIZERS,
        applies=lambda case: case.get("scheme") == "kaiming_normal",
    ),
)

FUNCTIONS: dict[str, Any] = {
    "ACTIVATIONS": ACTIVATIONS,
    "Activation": impls.Activation,
    "Optimizer": impls.Optimizer,
    "get_activation": ad.activation_lookup(ACTIVATIONS),
    **{
        name: globals()[name]
        for name in impls.__all__
        if name in globals() and callable(globals()[name]) and name[0].islower() and name != "get_activation"
    },
    **jax_layers.FUNCTIONS,
}


def target() -> Target:
    """JAX + Optax as a :class:`Target` named ``jax``."""
    return Target(
        NAME, FUNCTIONS, versions=ad.versions("jax", "jaxlib", "optax", "numpy"), deviations=DEVIATIONS
    )


__all__ = ["target"]
