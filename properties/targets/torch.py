"""PyTorch as a target: ``torch.nn.init``, ``torch.nn.functional``, ``torch.autograd``, ``torch.optim``.

Each function has impls' signature and only translates: the shape (impls' ``layout="keras"``
``(*k, in, out)`` is drawn as PyTorch's ``(out, in, *k)`` and permuted back), the case's ``rng``
into a ``torch.Generator`` seeded with ``rng.integers(2**63)``, the dtype, NumPy in and out.
Derivatives come from ``torch.autograd.grad``; optimizers are ``torch.optim`` classes rebuilt at
every step from a copy of their ``state_dict`` (the pure ``(init, step)`` pair of impls).

Semantics assumed (PyTorch 2.13, https://github.com/pytorch/pytorch/blob/main/torch/nn/init.py):

- fans: ``_calculate_fan_in_and_fan_out`` (private, but what every initializer uses):
  ``fan_in = size(1) * prod(size[2:])``, ``fan_out = size(0) * prod(size[2:])``.
- ``trunc_normal_(mean, std, a, b)``: absolute bounds; since PR #174997 (2.13) it *resamples*
  out-of-range values (normal proposal when ``P(a < X < b) > 0.3``, else a uniform proposal with
  rejection), accepting values equal to ``a`` or ``b`` after rounding to the tensor's dtype.
  Earlier versions clamped after an inverse-CDF transform (pytorch#145498, #155588).
- ``xavier_normal_``/``kaiming_normal_`` are untruncated normals; ``kaiming_*`` take PyTorch's gain
  table (``calculate_gain``); ``nn.Linear``/``nn.ConvNd`` reset with ``kaiming_uniform_(a=sqrt 5)``
  (``torch/nn/modules/linear.py``), drawn from the *global* generator, so the module is built
  inside ``torch.random.fork_rng`` with the global CPU generator seeded (:func:`seed_global_cpu`).
- ``sparse_`` draws its zero positions with ``torch.randperm`` from the global generator whatever
  ``generator`` says; it is called inside ``fork_rng`` with the global seed set too.
- ``orthogonal_`` flattens ``(rows, prod(rest))`` and applies the sign correction ``Q diag(sign R)``.
- activations: ``torch.nn.functional``; derivatives at kinks are autograd's (relu'(0) = 0).
- losses: ``torch.nn.functional``; ``binary_cross_entropy`` clamps ``log`` at -100.
- optimizers: ``torch.optim`` single-tensor (for-loop) path on CPU tensors.

- normalization: ``F.layer_norm``, ``F.rms_norm``, ``F.batch_norm`` (training mode, no running
  statistics); their backward passes are ``torch.autograd.grad`` through them.
- transformer layers and attention logits: ``nn.TransformerEncoder(Layer)`` and the log-sum-exp
  of ``F.scaled_dot_product_attention``'s CPU kernel, in :mod:`properties.targets.torch_layers`.

Not supplied (so *not applicable*): ``variance_scaling``, ``lecun_*`` (PyTorch has neither),
impls' network helpers and constants, ``adam(bias_correction=False)``, DeepNorm's skip scale
(``alpha != 1``), the logits of more than one key.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import impls
from impls._validation import as_float_array
from impls.tree import as_param_tree, tree_leaves, tree_map
from properties.targets import _adapting as ad
from properties.targets import torch_layers
from properties.targets.base import Deviation, Target

NAME = "torch"

_DTYPES = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
}
try:  # bfloat16 exists in NumPy only through ml_dtypes
    import ml_dtypes

    _DTYPES[np.dtype(ml_dtypes.bfloat16)] = torch.bfloat16
except ImportError:  # pragma: no cover - ml_dtypes is in the test extra
    ml_dtypes = None  # type: ignore[assignment]


def _numpy_of(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as NumPy, bfloat16 reinterpreted bit for bit (NumPy has no bfloat16)."""
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def _tensor_of(x: Any, name: str) -> torch.Tensor:
    """``x`` as a tensor sharing a C-contiguous copy (torch refuses negative strides).

    ``np.require``, not ``np.ascontiguousarray``: the latter turns a 0-d array into shape (1,).
    """
    return torch.from_numpy(np.require(as_float_array(x, name), requirements="C"))


_log = ad.log_array_call


def _autograd(call: str, summed: bool) -> str:
    """``torch.autograd.grad`` through ``call`` as the adapter takes it: of a summed loss, or with
    ``grad_outputs`` of ones for an elementwise function (:func:`ad.autodiff`)."""
    return ad.autodiff(call, "torch-sum" if summed else "torch-ones")


def _fill(
    init_: Callable[..., Any],
    shape: Any,
    dtype: Any,
    layout: str = "torch",
    *,
    rng: Any = None,
    global_seed: bool = False,
    **params: Any,
) -> np.ndarray:
    """Run ``init_(tensor, **params)`` on a new tensor of PyTorch's shape; NumPy in impls' layout."""
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    layout = ad.layout_of(layout)
    if layout == "keras" and len(dims) < 2:
        ad.check_dims(dims, 2, f"shape {dims}")
    torch_dims = dims if layout == "torch" else ad.torch_shape_of_keras(dims)
    if ad.rendering():
        ad.render(_fill_call(init_, torch_dims, np_dtype, layout, rng, global_seed, params))
    if rng is None and not global_seed:  # a deterministic fill: its line, as a random draw renders it
        ad.log_rendered(
            functools.partial(_fill_call, init_, torch_dims, np_dtype, layout, None, False, params)
        )
    tensor = torch.empty(torch_dims, dtype=_DTYPES[np_dtype])
    if rng is not None or global_seed:
        seed = ad.framework_seed(rng)
        generator = torch.Generator()
        generator.manual_seed(seed)
        if global_seed:
            with torch.random.fork_rng(devices=[]):
                seed_global_cpu(seed)
                init_(tensor, **params, generator=generator)
        else:
            init_(tensor, **params, generator=generator)
    else:
        init_(tensor, **params)
    out = _numpy_of(tensor)
    return out if layout == "torch" else ad.torch_to_keras(out)


def _fill_call(
    init_: Callable[..., Any],
    torch_dims: tuple[int, ...],
    np_dtype: np.dtype,
    layout: str,
    rng: Any,
    global_seed: bool,
    params: dict[str, Any],
) -> str:
    """The line :func:`_fill` runs, in PyTorch's API (the seed drawn from ``rng`` as it would be)."""
    tensor = f"torch.empty({ad.arguments(*torch_dims)}, dtype={_DTYPES[np_dtype]})"
    generator = ""
    prefix = ""
    if rng is not None or global_seed:
        seed = ad.framework_seed(rng)
        generator = f", generator=torch.Generator().manual_seed({seed})"
        prefix = f"torch.manual_seed({seed}); " if global_seed else ""
    parameters = f", {ad.arguments(**params)}" if params else ""
    permuted = _PERMUTED if layout == "keras" else ""
    return f"{prefix}torch.nn.init.{init_.__name__}({tensor}{parameters}{generator}){permuted}"


# --------------------------------------------------------------------------------------------
# Initializers
# --------------------------------------------------------------------------------------------


@ad.same_signature(impls.zeros)
def zeros(shape: Any, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.zeros_, shape, dtype)


@ad.same_signature(impls.ones)
def ones(shape: Any, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.ones_, shape, dtype)


@ad.same_signature(impls.constant)
def constant(shape: Any, value: float, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.constant_, shape, dtype, val=value)


@ad.same_signature(impls.eye)
def eye(shape: Any, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.eye_, shape, dtype)


@ad.same_signature(impls.dirac)
def dirac(shape: Any, groups: int = 1, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.dirac_, shape, dtype, groups=groups)


@ad.same_signature(impls.uniform)
@ad.rendered
def uniform(
    shape: Any, low: float = 0.0, high: float = 1.0, *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _fill(torch.nn.init.uniform_, shape, dtype, rng=ad.as_rng(rng), a=low, b=high)


@ad.same_signature(impls.normal)
@ad.rendered
def normal(
    shape: Any, mean: float = 0.0, std: float = 1.0, *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _fill(torch.nn.init.normal_, shape, dtype, rng=ad.as_rng(rng), mean=mean, std=std)


@ad.same_signature(impls.truncated_normal)
@ad.rendered
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
    """``trunc_normal_(mean, std, a, b)``: resampling since 2.13; may return ``a`` or ``b`` exactly.

    Refused (not applicable) where PyTorch's sampler would run for longer than
    :data:`MAX_PROPOSAL_ROUNDS` rounds (see :func:`expected_proposal_rounds`): there it does not hang
    the suite, and the note reports it as a defect of its own.
    """
    rounds = expected_proposal_rounds(float(mean), float(std), float(a), float(b), int(np.prod(shape)))
    if rounds > MAX_PROPOSAL_ROUNDS:
        raise ad.unsupported(
            NAME,
            f"trunc_normal_'s uniform-proposal rejection sampler needs ~{rounds:.3g} rounds for "
            f"mean={mean}, std={std}, [a, b]=[{a}, {b}] (acceptance ~ std^2 / (distance x width)); not run",
        )
    return _fill(torch.nn.init.trunc_normal_, shape, dtype, rng=ad.as_rng(rng), mean=mean, std=std, a=a, b=b)


MAX_PROPOSAL_ROUNDS = 1_000
"""The longest run of ``trunc_normal_``'s sampler the suite waits for (each round costs about
1-10 ms at 2,000 draws: up to seconds); longer ones are refused rather than left to run for minutes
or hours."""


def expected_proposal_rounds(mean: float, std: float, a: float, b: float, count: int) -> float:
    """About how many rounds PyTorch 2.13's ``trunc_normal_`` loops before all ``count`` draws land.

    Formula: with ``Z = P(a < X < b)``, X ~ N(mean, std^2): a normal proposal (``Z > 0.3``) is
    accepted with probability ``Z``; otherwise a uniform proposal on ``[a, b]`` is accepted with
    probability ``alpha = Z std sqrt(2 pi) / ((b - a) exp(-(m - mean)^2 / (2 std^2)))``, ``m`` the
    point of ``[a, b]`` nearest the mean. The last of ``count`` geometric waits is about
    ``(1 + ln count) / -ln(1 - p)`` rounds for acceptance ``p``. Far in a tail ``alpha`` is about
    ``std^2 / ((m - mean)(b - a))``: 2.5e-6 for mean 3, std 0.01, [-4, -3.5], so hours.

    Args:
        mean, std, a, b: ``trunc_normal_``'s arguments.
        count: the number of draws.

    Returns:
        The expected number of rounds (``inf`` when an acceptance underflows); 0 for no draw and
        before PyTorch 2.13 (inverse CDF, no loop).

    References:
        ``torch/nn/init.py::_no_grad_trunc_normal_`` (PR #174997).
    """
    from scipy.special import log_ndtr

    if count <= 0 or not _RESAMPLES or not (std > 0 and a < b):
        return 0.0
    za, zb = (a - mean) / std, (b - mean) / std
    if za > 0:  # the upper tail, by symmetry
        za, zb = -zb, -za
    log_upper, log_lower = float(log_ndtr(zb)), float(log_ndtr(za))  # log P(X < b) > log P(X < a)
    difference = log_lower - log_upper
    log_z = log_upper + math.log1p(-math.exp(difference)) if difference < 0 else -math.inf
    if np.exp(log_z) > 0.3:
        log_accept = log_z
    else:
        nearest = min(max(0.0, za), zb)  # in units of std from the mean
        log_accept = log_z + 0.5 * np.log(2 * np.pi) - np.log(zb - za) + 0.5 * nearest**2
    accept = float(np.exp(min(log_accept, 0.0)))
    if accept <= 0.0:
        return float("inf")
    return (1 + np.log(count)) / -np.log1p(-accept) if accept < 1 else 1.0


_RESAMPLES = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 13)


@ad.same_signature(impls.xavier_uniform)
@ad.rendered
def xavier_uniform(
    shape: Any, gain: float = 1.0, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _fill(torch.nn.init.xavier_uniform_, shape, dtype, layout, rng=ad.as_rng(rng), gain=gain)


@ad.same_signature(impls.xavier_normal)
@ad.rendered
def xavier_normal(
    shape: Any, gain: float = 1.0, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    return _fill(torch.nn.init.xavier_normal_, shape, dtype, layout, rng=ad.as_rng(rng), gain=gain)


@ad.same_signature(impls.kaiming_uniform)
@ad.rendered
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
    return _fill(
        torch.nn.init.kaiming_uniform_,
        shape,
        dtype,
        layout,
        rng=ad.as_rng(rng),
        a=a,
        mode=mode,
        nonlinearity=nonlinearity,
    )


@ad.same_signature(impls.kaiming_normal)
@ad.rendered
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
    return _fill(
        torch.nn.init.kaiming_normal_,
        shape,
        dtype,
        layout,
        rng=ad.as_rng(rng),
        a=a,
        mode=mode,
        nonlinearity=nonlinearity,
    )


_MODULES: dict[int, Callable[..., torch.nn.Module]] = {
    2: torch.nn.Linear,
    3: torch.nn.Conv1d,
    4: torch.nn.Conv2d,
    5: torch.nn.Conv3d,
}
"""The module whose weight has a given number of dimensions: ``(in, out)`` for ``Linear``, ``(in,
out, kernel)`` for a convolution."""

_PERMUTED = "  # permuted to Keras's (*k, in, out)"
"""What a rendered call (:func:`properties.targets._adapting.rendered`) adds for the Keras layout."""


def seed_global_cpu(seed: int) -> None:
    """Seed PyTorch's global CPU generator, the one ``nn.Linear``, ``sparse_`` and ``F.dropout``
    draw from here (callers hold a ``torch.random.fork_rng(devices=[])``).

    ``torch.manual_seed`` seeds the same generator and also queues the seed for CUDA, MTIA and
    XPU, formatting a stack trace for each (``torch/cuda/__init__.py::_lazy_call``): about
    0.2 ms a call, most of the time of drawing a small tensor on CPU.
    """
    torch.default_generator.manual_seed(seed)


@ad.same_signature(impls.pytorch_linear_default)
@ad.rendered
def pytorch_linear_default(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """The weight of a freshly built ``nn.Linear`` (2-D) or ``nn.Conv{1,2,3}d`` (3- to 5-D).

    The module draws from PyTorch's global generator in ``reset_parameters``; it is built inside
    ``torch.random.fork_rng`` after seeding it (:func:`seed_global_cpu`), so the caller's global state is
    untouched.
    """
    dims, np_dtype = ad.shape_and_dtype(shape, dtype)
    layout = ad.layout_of(layout)
    ad.check_dims(dims, 2, f"shape {dims}")
    if len(dims) not in _MODULES:
        raise ad.unsupported(NAME, f"no nn module has a {len(dims)}-D weight")
    torch_dims = dims if layout == "torch" else ad.torch_shape_of_keras(dims)
    seed = ad.framework_seed(rng)
    module_class = _MODULES[len(dims)]
    arguments = (torch_dims[1], torch_dims[0], *([torch_dims[2:]] if len(dims) > 2 else []))
    if ad.rendering():
        ad.render(
            f"torch.manual_seed({seed}); torch.nn.{module_class.__name__}({ad.arguments(*arguments)}, "
            f"dtype={_DTYPES[np_dtype]}).weight" + (_PERMUTED if layout == "keras" else "")
        )
    with torch.random.fork_rng(devices=[]):
        seed_global_cpu(seed)
        module = module_class(*arguments, dtype=_DTYPES[np_dtype])
    weight: torch.Tensor = module.weight  # type: ignore[assignment]
    out = _numpy_of(weight.detach()).copy()
    return out if layout == "torch" else ad.torch_to_keras(out)


@ad.same_signature(impls.orthogonal)
@ad.rendered
def orthogonal(shape: Any, gain: float = 1.0, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    return _fill(torch.nn.init.orthogonal_, shape, dtype, rng=ad.as_rng(rng), gain=gain)


@ad.same_signature(impls.sparse)
@ad.rendered
def sparse(
    shape: Any, sparsity: float, std: float = 0.01, *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """``sparse_``; its zero positions come from the global generator, seeded here in a fork."""
    return _fill(
        torch.nn.init.sparse_,
        shape,
        dtype,
        rng=ad.as_rng(rng),
        global_seed=True,
        sparsity=sparsity,
        std=std,
    )


@ad.same_signature(impls.calculate_gain)
def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    _log("torch.nn.init.calculate_gain({nonlinearity}, {param})", nonlinearity=nonlinearity, param=param)
    return float(torch.nn.init.calculate_gain(nonlinearity, param))  # type: ignore[arg-type]


@ad.same_signature(impls.compute_fans)
def compute_fans(shape: Any, layout: str = "torch") -> tuple[int, int]:
    """``torch.nn.init._calculate_fan_in_and_fan_out`` on a meta tensor of PyTorch's shape."""
    layout = ad.layout_of(layout)
    dims = ad.as_shape(shape)
    ad.check_dims(dims, 2, f"shape {dims}")
    torch_dims = dims if layout == "torch" else ad.torch_shape_of_keras(dims)
    _log(
        "torch.nn.init._calculate_fan_in_and_fan_out(torch.empty({dims}, device='meta'))",
        dims=tuple(int(n) for n in torch_dims),
    )
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(torch_dims, device="meta"))
    return int(fan_in), int(fan_out)


# --------------------------------------------------------------------------------------------
# Activations, with autograd derivatives
# --------------------------------------------------------------------------------------------


def _elementwise(
    called: str, function: Callable[..., torch.Tensor]
) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """``function`` (``called`` in a logged line) on NumPy arrays, and its derivative from
    ``torch.autograd.grad``."""

    def value(x: Any, **params: Any) -> np.ndarray:
        t = _tensor_of(x, "x")
        _log(f"{called}({{x}}{ad.keywords(**params)})", x=t)
        with torch.no_grad():
            return function(t, **params).numpy().copy()

    def derivative(x: Any, **params: Any) -> np.ndarray:
        t = torch.tensor(as_float_array(x, "x"), requires_grad=True)
        _log(_autograd(f"{called}({{x}}{ad.keywords(**params)})", summed=False), x=t)
        y = function(t, **params)
        (grad,) = torch.autograd.grad(y, t, grad_outputs=torch.ones_like(y))
        return grad.numpy()

    return value, derivative


_IDENTITY = torch.nn.Identity()

_TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "sigmoid": ("torch.sigmoid", {}),
    "tanh": ("torch.tanh", {}),
    "relu": ("torch.nn.functional.relu", {}),
    "leaky_relu": ("torch.nn.functional.leaky_relu", {"negative_slope": 0.01}),
    "softsign": ("torch.nn.functional.softsign", {}),
    "elu": ("torch.nn.functional.elu", {"alpha": 1.0}),
    "selu": ("torch.nn.functional.selu", {}),
    "gelu": ("torch.nn.functional.gelu", {"approximate": "none"}),
    "silu": ("torch.nn.functional.silu", {}),
    "softplus": ("torch.nn.functional.softplus", {"beta": 1.0, "threshold": 20.0}),
}
"""impls' activation name -> PyTorch's function, by its public name, and impls' defaults."""


def _activations() -> dict[str, impls.Activation]:
    table = {"linear": ad.activation("linear", *_elementwise("torch.nn.Identity()", _IDENTITY))}
    for name, (called, defaults) in _TORCH_ACTIVATIONS.items():
        value, derivative = _elementwise(called, ad.dotted(called))
        table[name] = ad.activation(name, value, derivative, defaults)
    return table


ACTIVATIONS = _activations()


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


@ad.same_signature(impls.dropout)
def dropout(x: Any, p: float = 0.5, *, rng: Any = None) -> np.ndarray:
    """``F.dropout(x, p, training=True)`` under a seed from ``rng`` (it takes no generator)."""
    tensor = _tensor_of(x, "x")
    seed = ad.framework_seed(rng)
    _log(
        "torch.manual_seed({seed}); torch.nn.functional.dropout({x}, {p}, training=True)",
        seed=seed,
        x=tensor,
        p=p,
    )
    with torch.random.fork_rng(devices=[]):
        seed_global_cpu(seed)
        return _numpy_of(F.dropout(tensor, p, training=True)).copy()


@ad.same_signature(impls.softplus)
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return ACTIVATIONS["softplus"].function(x, beta=beta, threshold=threshold)


# --------------------------------------------------------------------------------------------
# Losses (torch.nn.functional), gradients from autograd
# --------------------------------------------------------------------------------------------


def _tensor(x: Any) -> torch.Tensor | None:
    """NumPy to torch: integer arrays become int64 (class indices), floats keep their dtype."""
    if x is None:
        return None
    array = np.asarray(x)
    if array.dtype.kind in "iu":
        return torch.from_numpy(array.astype(np.int64))
    return torch.from_numpy(np.array(array, dtype=array.dtype if array.dtype.kind == "f" else np.float64))


def _out(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().copy()


@ad.same_signature(impls.softmax)
def softmax(x: Any, axis: int = -1) -> np.ndarray:
    t = _tensor_of(x, "x")
    _log(f"torch.nn.functional.softmax({{x}}{ad.keywords(dim=axis)})", x=t)
    return _out(F.softmax(t, dim=axis))


@ad.same_signature(impls.log_softmax)
def log_softmax(x: Any, axis: int = -1) -> np.ndarray:
    t = _tensor_of(x, "x")
    _log(f"torch.nn.functional.log_softmax({{x}}{ad.keywords(dim=axis)})", x=t)
    return _out(F.log_softmax(t, dim=axis))


def _cross_entropy(
    logits: torch.Tensor,
    target: Any,
    weight: Any,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    grad: bool = False,
) -> torch.Tensor:
    options = {"ignore_index": ignore_index, "reduction": reduction, "label_smoothing": label_smoothing}
    target_t, weight_t = _tensor(target), _tensor(weight)
    call = f"torch.nn.functional.cross_entropy({{x}}, {{target}}, weight={{weight}}{ad.keywords(**options)})"
    _log(_autograd(call, summed=True) if grad else call, x=logits, target=target_t, weight=weight_t)
    return F.cross_entropy(logits, target_t, weight=weight_t, **options)  # type: ignore[arg-type]


@ad.same_signature(impls.cross_entropy)
def cross_entropy(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    x = _tensor_of(logits, "logits")
    return _out(_cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing))


def _grad(loss: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray) -> np.ndarray:
    """``d loss / d x`` by autograd; a ``"none"`` loss is summed (impls' convention)."""
    t = torch.tensor(x, requires_grad=True)
    value = loss(t)
    (grad,) = torch.autograd.grad(value.sum(), t)
    return grad.numpy()


@ad.same_signature(impls.cross_entropy_grad)
def cross_entropy_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _grad(
        lambda t: _cross_entropy(t, target, weight, ignore_index, reduction, label_smoothing, True), x
    )


@ad.same_signature(impls.nll_loss)
def nll_loss(
    log_probs: Any, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> np.ndarray:
    x, target_t, weight_t = _tensor_of(log_probs, "log_probs"), _tensor(target), _tensor(weight)
    options = {"ignore_index": ignore_index, "reduction": reduction}
    _log(
        f"torch.nn.functional.nll_loss({{x}}, {{target}}, weight={{weight}}{ad.keywords(**options)})",
        x=x,
        target=target_t,
        weight=weight_t,
    )
    return _out(F.nll_loss(x, target_t, weight=weight_t, **options))  # type: ignore[arg-type]


@ad.same_signature(impls.binary_cross_entropy)
def binary_cross_entropy(probs: Any, target: Any, weight: Any = None, reduction: str = "mean") -> np.ndarray:
    x = _tensor_of(probs, "probs")
    t, weight_t = torch.from_numpy(np.asarray(target, dtype=x.numpy().dtype)), _tensor(weight)
    _log(
        f"torch.nn.functional.binary_cross_entropy({{x}}, {{target}}, weight={{weight}}"
        f"{ad.keywords(reduction=reduction)})",
        x=x,
        target=t,
        weight=weight_t,
    )
    return _out(F.binary_cross_entropy(x, t, weight=weight_t, reduction=reduction))


def _bce_logits(
    x: torch.Tensor, target: Any, weight: Any, pos_weight: Any, reduction: str, grad: bool = False
) -> torch.Tensor:
    t = torch.from_numpy(np.asarray(target, dtype=x.detach().numpy().dtype))
    weight_t, pos_weight_t = _tensor(weight), _tensor(pos_weight)
    call = (
        "torch.nn.functional.binary_cross_entropy_with_logits({x}, {target}, weight={weight}, "
        f"pos_weight={{pos_weight}}{ad.keywords(reduction=reduction)})"
    )
    _log(
        _autograd(call, summed=True) if grad else call,
        x=x,
        target=t,
        weight=weight_t,
        pos_weight=pos_weight_t,
    )
    return F.binary_cross_entropy_with_logits(
        x, t, weight=weight_t, pos_weight=pos_weight_t, reduction=reduction
    )


@ad.same_signature(impls.binary_cross_entropy_with_logits)
def binary_cross_entropy_with_logits(
    logits: Any, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> np.ndarray:
    x = _tensor_of(logits, "logits")
    return _out(_bce_logits(x, target, weight, pos_weight, reduction))


@ad.same_signature(impls.binary_cross_entropy_with_logits_grad)
def binary_cross_entropy_with_logits_grad(
    logits: Any, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> np.ndarray:
    x = as_float_array(logits, "logits")
    return _grad(lambda t: _bce_logits(t, target, weight, pos_weight, reduction, True), x)


@ad.same_signature(impls.entropy)
def entropy(p: Any, axis: int = -1) -> np.ndarray:
    """``torch.special.entr`` (``-p log p``, 0 at 0) summed over ``axis``."""
    t = _tensor_of(p, "p")
    _log(f"torch.special.entr({{p}}).sum({ad.keywords(dim=axis).removeprefix(', ')})", p=t)
    return _out(torch.special.entr(t).sum(dim=axis))


@ad.same_signature(impls.kl_divergence)
def kl_divergence(p: Any, q: Any, axis: int = -1) -> np.ndarray:
    """``F.kl_div(log q, p, reduction="none")`` summed over ``axis`` (PyTorch takes ``log q``)."""
    p_t = _tensor_of(p, "p")
    q_arr = as_float_array(q, "q")
    if p_t.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {tuple(p_t.shape)} and {q_arr.shape}")
    with np.errstate(divide="ignore"):
        log_q = torch.from_numpy(np.log(q_arr))
    _log(
        "torch.nn.functional.kl_div({log_q}, {p}, reduction='none')"
        f".sum({ad.keywords(dim=axis).removeprefix(', ')})  # log_q: np.log(q), as the adapter takes it",
        log_q=log_q,
        p=p_t,
    )
    return _out(F.kl_div(log_q, p_t, reduction="none").sum(dim=axis))


# --------------------------------------------------------------------------------------------
# Normalization: torch.nn.functional, gradients from torch.autograd
# --------------------------------------------------------------------------------------------


_LAYER_NORM = "torch.nn.functional.layer_norm({x}, {shape}, {w}, {b}, {eps})"
_RMS_NORM = "torch.nn.functional.rms_norm({x}, {shape}, {w}, {eps})"
_BATCH_NORM = "torch.nn.functional.batch_norm({x}, None, None, {w}, {b}, training=True, eps={eps})"
"""The normalization calls as logged templates (:func:`properties.targets._adapting.log_call`):
``{x}`` the input, ``{w}`` and ``{b}`` the affine parameters (``None`` without)."""


def _shape_list(normalized_shape: Any) -> list[int]:
    """impls' ``normalized_shape`` (an int or a sequence of ints) as PyTorch's list of ints."""
    if isinstance(normalized_shape, int | np.integer) and not isinstance(normalized_shape, bool):
        return [int(normalized_shape)]
    if isinstance(normalized_shape, list | tuple):
        return [int(n) for n in normalized_shape]
    raise TypeError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}")


def _optional(value: Any, name: str, like: torch.Tensor) -> torch.Tensor | None:
    """An optional affine parameter as a tensor of ``like``'s dtype (None stays None)."""
    return None if value is None else _tensor_of(value, name).to(like.dtype)


def _leaf(value: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(as_float_array(value, name), dtype=like.dtype, requires_grad=True)


def _normalization_grads(
    forward: Callable[..., torch.Tensor],
    x: Any,
    grad_y: Any,
    weight: Any,
    with_bias: bool,
    call: str,
    **values: Any,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``torch.autograd.grad`` of ``forward(x, weight, bias)`` for the upstream ``grad_y``; the
    bias is a zero leaf (its gradient does not depend on its value). ``call`` is ``forward`` as a
    logged template, ``{x}``, ``{w}`` and ``{b}`` its three inputs, ``values`` its other values."""
    t = torch.tensor(as_float_array(x, "x"), requires_grad=True)
    g = _tensor_of(grad_y, "grad_y").to(t.dtype)
    if g.shape != t.shape:
        raise ValueError(f"grad_y must have x's shape {tuple(t.shape)}, got {tuple(g.shape)}")
    leaf = call.replace("{x}", "(x := {x}.requires_grad_())")
    if weight is None:
        _log(
            f"torch.autograd.grad({leaf.replace('{w}', 'None').replace('{b}', 'None')}, x, {{g}})",
            x=t,
            g=g,
            **values,
        )
        (grad_x,) = torch.autograd.grad(forward(t, None, None), t, g)
        return grad_x.numpy().copy(), None, None
    w = _leaf(weight, "weight", t)
    b = torch.zeros_like(w, requires_grad=True) if with_bias else None
    inputs = (t, w) if b is None else (t, w, b)
    leaf = leaf.replace("{w}", "(w := {w}.requires_grad_())")
    leaf = leaf.replace("{b}", "(b := torch.zeros_like(w, requires_grad=True))" if with_bias else "None")
    _log(
        f"torch.autograd.grad({leaf}, {'(x, w, b)' if with_bias else '(x, w)'}, {{g}})",
        x=t,
        w=w,
        g=g,
        **values,
    )
    grads = torch.autograd.grad(forward(t, w, b), inputs, g)
    arrays = [grad.numpy().copy() for grad in grads]
    return arrays[0], arrays[1], arrays[2] if b is not None else None


@ad.same_signature(impls.layer_norm)
def layer_norm(
    x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> np.ndarray:
    """``F.layer_norm(x, normalized_shape, weight, bias, eps)``."""
    t = _tensor_of(x, "x")
    w, b = _optional(weight, "weight", t), _optional(bias, "bias", t)
    shape = _shape_list(normalized_shape)
    _log(_LAYER_NORM, x=t, w=w, b=b, shape=shape, eps=float(eps))
    with torch.no_grad():
        return F.layer_norm(t, shape, w, b, float(eps)).numpy().copy()


@ad.same_signature(impls.layer_norm_backward)
def layer_norm_backward(
    x: Any, grad_y: Any, normalized_shape: Any, weight: Any = None, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``torch.autograd.grad`` through ``F.layer_norm``: ``(grad_x, grad_weight, grad_bias)``."""
    shape = _shape_list(normalized_shape)
    return _normalization_grads(
        lambda t, w, b: F.layer_norm(t, shape, w, b, float(eps)),
        x,
        grad_y,
        weight,
        with_bias=True,
        call=_LAYER_NORM,
        shape=shape,
        eps=float(eps),
    )


@ad.same_signature(impls.rms_norm)
def rms_norm(x: Any, normalized_shape: Any, weight: Any = None, eps: float | None = None) -> np.ndarray:
    """``F.rms_norm(x, normalized_shape, weight, eps)`` (eps None: the dtype's machine epsilon)."""
    t = _tensor_of(x, "x")
    w = _optional(weight, "weight", t)
    shape = _shape_list(normalized_shape)
    _log(_RMS_NORM, x=t, w=w, shape=shape, eps=eps)
    with torch.no_grad():
        return F.rms_norm(t, shape, w, eps).numpy().copy()


@ad.same_signature(impls.rms_norm_backward)
def rms_norm_backward(
    x: Any, grad_y: Any, normalized_shape: Any, weight: Any = None, eps: float | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``torch.autograd.grad`` through ``F.rms_norm``: ``(grad_x, grad_weight)``."""
    shape = _shape_list(normalized_shape)
    grad_x, grad_w, _ = _normalization_grads(
        lambda t, w, b: F.rms_norm(t, shape, w, eps),
        x,
        grad_y,
        weight,
        with_bias=False,
        call=_RMS_NORM,
        shape=shape,
        eps=eps,
    )
    return grad_x, grad_w


def _batch_norm_eps(eps: float) -> float:
    """``eps`` as ``F.batch_norm`` takes it; PyTorch refuses ``eps = 0`` in training mode
    (``ValueError``), so such a case is not applicable."""
    if float(eps) <= 0:
        raise ad.unsupported(NAME, "F.batch_norm refuses eps = 0 in training mode")
    return float(eps)


def _batch_norm(t: torch.Tensor, w: torch.Tensor | None, b: torch.Tensor | None, eps: float) -> torch.Tensor:
    """``F.batch_norm`` in training mode without running statistics (batch statistics only)."""
    return F.batch_norm(t, None, None, w, b, training=True, eps=eps)


@ad.same_signature(impls.batch_norm)
def batch_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> np.ndarray:
    """``F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)``."""
    t = _tensor_of(x, "x")
    w, b = _optional(weight, "weight", t), _optional(bias, "bias", t)
    epsilon = _batch_norm_eps(eps)
    _log(_BATCH_NORM, x=t, w=w, b=b, eps=epsilon)
    with torch.no_grad():
        return _batch_norm(t, w, b, epsilon).numpy().copy()


@ad.same_signature(impls.batch_norm_backward)
def batch_norm_backward(
    x: Any, grad_y: Any, weight: Any = None, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``torch.autograd.grad`` through training-mode ``F.batch_norm``: ``(grad_x, grad_w, grad_b)``."""
    epsilon = _batch_norm_eps(eps)
    return _normalization_grads(
        lambda t, w, b: _batch_norm(t, w, b, epsilon),
        x,
        grad_y,
        weight,
        with_bias=True,
        call=_BATCH_NORM,
        eps=epsilon,
    )


# --------------------------------------------------------------------------------------------
# Optimizers: torch.optim as a pure (init, step) pair
# --------------------------------------------------------------------------------------------


def _unflatten(tree: Any, leaves: list[np.ndarray]) -> Any:
    it: Iterator[np.ndarray] = iter(leaves)
    return tree_map(lambda _: next(it), tree)


class TorchOptimizerState:
    """``torch.optim``'s ``state_dict()`` read through impls' state fields.

    ``state.exp_avg``, ``state.momentum_buffer``, ``state.sum``, ... are PyTorch's own per-parameter
    buffers of the same names (impls took its field names from ``torch.optim``), as NumPy arrays
    in the parameters' tree; ``state.step`` is PyTorch's step count. A buffer PyTorch does not keep
    in this configuration (``max_exp_avg_sq`` without AMSGrad, ``momentum_buffer`` before the first
    step, ``step`` for SGD) is an ``AttributeError``: the view never makes up a value.

    Args:
        state_dict: a deep copy of the optimizer's ``state_dict()``.
        params: the parameter tree the buffers belong to (for the structure only).
    """

    def __init__(self, state_dict: dict[str, Any], params: Any) -> None:
        self.state_dict = state_dict
        self.params = params

    def __getattr__(self, field: str) -> Any:
        if field.startswith("_") or field in ("state_dict", "params"):
            raise AttributeError(field)
        per_parameter = self.state_dict["state"]
        count = len(tree_leaves(as_param_tree(self.params, "params")))
        values = [per_parameter.get(i, {}).get(field) for i in range(count)]
        if any(v is None for v in values):
            raise AttributeError(f"torch.optim keeps no {field!r} buffer in this configuration")
        if field == "step":
            return int(values[0])
        return _unflatten(self.params, [v.detach().numpy().copy() for v in values])

    def __repr__(self) -> str:
        return f"TorchOptimizerState({self.state_dict['state']!r})"


def _torch_optimizer(called: str, lr: Any, **options: Any) -> impls.Optimizer:
    """``torch.optim``'s class ``called`` (its public name) as impls' pure pair: the state is a
    :class:`TorchOptimizerState`.

    ``step`` copies the parameters into fresh tensors, gives them the gradients, rebuilds the
    optimizer, loads the state, calls ``optimizer.step()`` and returns copies: nothing the caller
    holds is mutated. The learning rate is the one the rebuilt optimizer reads now (impls reads a
    0-d array ``lr`` at every step), as a scheduler sets ``param_groups[i]["lr"]``: loading the
    state would otherwise restore the rate saved at the first step.
    """
    kind = ad.dotted(called)

    def factory(ps: list[torch.Tensor]) -> torch.optim.Optimizer:
        return kind(ps, lr=float(lr), **options)

    factory([torch.zeros(1, dtype=torch.float64)])  # hyper-parameter errors at construction, as impls

    def init(params: Any) -> TorchOptimizerState:
        leaves = tree_leaves(as_param_tree(params, "params"))
        fresh = factory([torch.tensor(p) for p in leaves])
        return TorchOptimizerState(copy.deepcopy(fresh.state_dict()), params)

    def step(params: Any, grads: Any, state: Any) -> tuple[Any, TorchOptimizerState]:
        if not isinstance(state, TorchOptimizerState):
            raise TypeError(f"state must be what this optimizer's init returned, got {type(state).__name__}")
        leaves = tree_leaves(as_param_tree(params, "params"))
        grad_leaves = tree_leaves(as_param_tree(grads, "grads"))
        tree_map(lambda p, g: None, params, grads, name="params")  # same structure
        tensors = []
        for p, g in zip(leaves, grad_leaves, strict=True):
            if p.shape != g.shape:
                raise ValueError(f"grads must match params' shapes, got {g.shape} for {p.shape}")
            tensor = torch.tensor(p)
            tensor.grad = torch.tensor(g, dtype=tensor.dtype)
            tensors.append(tensor)
        optimizer = factory(tensors)
        current = [group["lr"] for group in optimizer.param_groups]
        rates = "".join(f"opt.param_groups[{i}]['lr'] = {rate!r}; " for i, rate in enumerate(current))
        _log(
            "ps = {params}; [setattr(p, 'grad', g) for p, g in zip(ps, {grads})]; "
            f"opt = {called}(ps{ad.keywords(lr=current[0], **options)}); opt.load_state_dict({{state}}); "
            f"{rates}opt.step(); ps",
            params=[t.detach() for t in tensors],
            grads=[t.grad for t in tensors],
            state=state.state_dict,
        )
        optimizer.load_state_dict(copy.deepcopy(state.state_dict))
        for group, rate in zip(optimizer.param_groups, current, strict=True):
            group["lr"] = rate
        optimizer.step()
        new = _unflatten(params, [t.detach().numpy().copy() for t in tensors])
        return new, TorchOptimizerState(copy.deepcopy(optimizer.state_dict()), new)

    return impls.Optimizer(init, step)


@ad.same_signature(impls.sgd)
def sgd(
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> impls.Optimizer:
    return _torch_optimizer(
        "torch.optim.SGD",
        lr,
        maximize=maximize,
        momentum=momentum,
        dampening=dampening,
        nesterov=nesterov,
        weight_decay=weight_decay,
    )


@ad.same_signature(impls.adagrad)
def adagrad(
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> impls.Optimizer:
    return _torch_optimizer(
        "torch.optim.Adagrad",
        lr,
        maximize=maximize,
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        initial_accumulator_value=initial_accumulator_value,
        eps=eps,
    )


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
    return _torch_optimizer(
        "torch.optim.RMSprop",
        lr,
        maximize=maximize,
        alpha=alpha,
        eps=eps,
        weight_decay=weight_decay,
        momentum=momentum,
        centered=centered,
    )


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
    if not bias_correction:
        raise ad.unsupported(NAME, "torch.optim.Adam always bias-corrects (bias_correction=False)")
    return _torch_optimizer(
        "torch.optim.Adam",
        lr,
        maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
    )


@ad.same_signature(impls.adamw)
def adamw(
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> impls.Optimizer:
    return _torch_optimizer(
        "torch.optim.AdamW",
        lr,
        maximize=maximize,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
    )


_GRADS = (
    "gs = {grads}; ps = [torch.zeros_like(g) for g in gs]; [setattr(p, 'grad', g) for p, g in zip(ps, gs)]"
)
"""A clipping call's first statements (logged): zero parameters carrying the gradients ``{grads}``."""


def _grad_tensors(grads: Any) -> tuple[list[np.ndarray], list[torch.Tensor]]:
    leaves = tree_leaves(as_param_tree(grads, "grads"))
    tensors = []
    for g in leaves:
        tensor = torch.zeros(g.shape, dtype=_DTYPES.get(g.dtype, torch.float64))
        tensor.grad = torch.tensor(g)
        tensors.append(tensor)
    return leaves, tensors


@ad.same_signature(impls.clip_grad_norm)
def clip_grad_norm(grads: Any, max_norm: float, norm_type: float = 2.0) -> tuple[Any, float]:
    """``torch.nn.utils.clip_grad_norm_`` on parameters carrying ``grads``; returns the total norm."""
    _, tensors = _grad_tensors(grads)
    _log(
        f"{_GRADS}; total = torch.nn.utils.clip_grad_norm_(ps, {{max_norm}}, {{norm_type}}); "
        "[p.grad for p in ps], float(total)",
        grads=[t.grad for t in tensors],
        max_norm=max_norm,
        norm_type=norm_type,
    )
    total = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type)
    clipped = [t.grad.numpy().copy() for t in tensors]  # type: ignore[union-attr]
    return _unflatten(grads, clipped), float(total)


@ad.same_signature(impls.clip_grad_value)
def clip_grad_value(grads: Any, clip_value: float) -> Any:
    """``torch.nn.utils.clip_grad_value_`` on parameters carrying ``grads``."""
    _, tensors = _grad_tensors(grads)
    _log(
        f"{_GRADS}; torch.nn.utils.clip_grad_value_(ps, {{clip_value}}); [p.grad for p in ps]",
        grads=[t.grad for t in tensors],
        clip_value=clip_value,
    )
    torch.nn.utils.clip_grad_value_(tensors, clip_value)
    return _unflatten(grads, [t.grad.numpy().copy() for t in tensors])  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# The target
# --------------------------------------------------------------------------------------------

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
    **torch_layers.FUNCTIONS,
}

_CLAMPED = (
    "before 2.13 trunc_normal_ drew by inverse CDF (erfinv) and clamped to [a, b]: values at the "
    "bounds and, in float32/bfloat16 with a small std, outliers thousands of std from the mean"
)


def _activation_is(*names: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda case: case.get("activation") in names


def _bce_cancels(case: Mapping[str, Any]) -> bool:
    """Whether PyTorch's form of the loss misses the claim's relative 1e-12 on this case.

    PyTorch 2.13 computes ``w [(1 - y) x - (1 + (pw - 1) y) log_sigmoid(x)]`` (checked bit for bit
    on 10^5 random cases for ``pw = w = 1``): the two terms cancel when ``x << 0`` and ``y ~ 0``
    (or ``x >> 0``, ``y ~ 1``), leaving an absolute error near ``u |x|``; at ``x = -40, y = 0`` the
    exact loss 4.2e-18 comes out 0. The predicate evaluates that form in float64 (``log_sigmoid``
    as ``-logaddexp(0, -x)``) against the cancellation-free ``w [(1 - y) softplus(x) +
    pw y softplus(-x)]``: a loss check (not a gradient check) is covered when the form misses,
    elementwise for ``reduction="none"``, on the total otherwise.
    """
    if case.get("of", "loss") != "loss" or "x" not in case:
        return False
    x, y = np.asarray(case["x"], float), np.asarray(case["y"], float)
    w = np.broadcast_to(np.asarray(case.get("weight", 1.0), float), x.shape)
    pw = np.broadcast_to(np.asarray(case.get("pos_weight", 1.0), float), x.shape)
    torch_form = w * ((1 - y) * x + (1 + (pw - 1) * y) * np.logaddexp(0.0, -x))
    exact = w * ((1 - y) * np.logaddexp(0.0, x) + pw * y * np.logaddexp(0.0, -x))
    if case.get("reduction", "none") != "none":
        torch_form, exact = np.array([torch_form.sum()]), np.array([exact.sum()])
    return bool(np.any(np.abs(torch_form - exact) > 1e-12 * exact + 1e-300))


def _self_divergence_with_zeros(case: Mapping[str, Any]) -> bool:
    return case.get("q") == "p" and 0.0 in case.get("p", ())


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "truncated-normal-support",
        _CLAMPED,
        "https://github.com/pytorch/pytorch/issues/155588",
        versions="<2.13",
    ),
    Deviation(
        "truncated-normal-law", _CLAMPED, "https://github.com/pytorch/pytorch/issues/145498", versions="<2.13"
    ),
    Deviation(
        "truncated-normal-support",
        "convention: trunc_normal_ redraws values outside [a, b] and keeps a draw that rounding to the "
        "tensor's dtype put exactly on a bound (the documented interval is closed)",
        "https://github.com/pytorch/pytorch/blob/main/torch/nn/init.py (trunc_normal_: "
        "'values outside [a, b] redrawn')",
        applies=lambda case: case.get("part") == "on a bound",
        reproduce="w = torch.nn.init.trunc_normal_(torch.empty(64, 33), 1.0000001788, 2**-23, 1.0, "
        "1.0000003576, generator=torch.Generator().manual_seed(0)); "
        "((w <= 1.0) | (w >= 1.0000003576)).sum()  # 632 of 2112 draws on a bound",
    ),
    Deviation(
        "activation-stability",
        "gelu(-inf) is NaN (x Phi(x) evaluated literally: -inf * 0) and autograd's gelu'(+-inf) is NaN; "
        "#187293 fixed gelu(+inf) only",
        "https://github.com/pytorch/pytorch/issues/187293",
        applies=_activation_is("gelu"),
        reproduce="torch.nn.functional.gelu(torch.tensor([-float('inf')]))  # tensor([nan])",
    ),
    Deviation(
        "activation-stability",
        "silu(-inf) is NaN (-inf / (1 + e^inf)) and autograd's silu'(+-inf) is NaN; "
        "fix proposed in PR #195197",
        "https://github.com/pytorch/pytorch/issues/160876",
        applies=_activation_is("silu"),
        reproduce="torch.nn.functional.silu(torch.tensor([-float('inf')]))  # tensor([nan])",
    ),
    Deviation(
        "activation-stability",
        "softsign(+-inf) and its autograd derivative are NaN: x / (1 + |x|) evaluated literally "
        "(inf / inf); no upstream report found",
        "https://github.com/pytorch/pytorch/blob/main/torch/nn/functional.py (softsign)",
        applies=_activation_is("softsign"),
        reproduce="torch.nn.functional.softsign(torch.tensor([float('inf')]))  # tensor([nan])",
    ),
    Deviation(
        "bce-with-logits-stable",
        "binary_cross_entropy_with_logits computes (1 - y) x - log_sigmoid(x), which cancels for "
        "x << 0, y ~ 0: absolute error ~u|x|, e.g. 0 at x = -40, y = 0 (exact 4.2e-18)",
        "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/Loss.cpp "
        "(binary_cross_entropy_with_logits)",
        applies=_bce_cancels,
        reproduce="torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([-40.0], "
        "dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))  # 0, exact 4.25e-18",
    ),
    Deviation(
        "kl-non-negative",
        "kl_div(log q, p) is xlogy(p, p) - p log q: NaN (0 * -inf) where p = q = 0, not 0 log(0/0) = 0",
        "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/Loss.cpp (kl_div)",
        applies=_self_divergence_with_zeros,
        reproduce="torch.nn.functional.kl_div(torch.tensor([0.0, -float('inf')]), torch.tensor([1.0, 0.0]), "
        "reduction='sum')  # nan, exact 0",
    ),
)
"""Known deviations: only documented upstream bugs, each with its link and version range."""


def target() -> Target:
    """PyTorch as a :class:`Target` named ``torch``.

    Sets one intra-op thread (``torch.set_num_threads(1)``): the suite's tensors are small, and
    two threads per pytest-xdist worker on a 2-core machine made a 15 us call take ~10 ms.
    """
    torch.set_num_threads(1)
    return Target(NAME, FUNCTIONS, versions=ad.versions("torch", "numpy"), deviations=DEVIATIONS)


__all__ = ["target"]
