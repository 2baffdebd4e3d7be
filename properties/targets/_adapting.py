"""What every framework adapter shares: arguments, seeds, layouts and the pure-optimizer shell.

Only translation lives here. Arguments are normalised with impls' own validators (so a bad
argument gets the same message from every target), the case's ``rng`` becomes one integer seed for
the framework, and shapes move between impls' two layouts and the framework's.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

import impls
from impls._validation import as_choice, as_float_dtype, as_real, as_rng, as_shape
from properties.targets.base import Deviation, NotApplicable

LAYOUTS = ("torch", "keras")

SEED_BOUND = 2**63
"""Framework seeds are drawn from ``[0, 2**63)``: one ``rng.integers`` call per framework call."""


def framework_seed(rng: Any, bound: int = SEED_BOUND) -> int:
    """One framework seed from the case's ``rng``: ``int(default_rng(rng).integers(bound))``.

    The same Generator state gives the same seed, so a target is exactly as deterministic as
    impls; successive calls on one Generator give independent seeds (the sampler's repeated
    draws). Torch accepts seeds below 2**64, ``jax.random.key`` any int64 (here < 2**63),
    Keras an int.

    Args:
        rng: a numpy Generator, an int seed or None (impls' convention, SPEC 7).
        bound: the framework's seed range (Keras converts an int seed to uint32: 2**32).

    Returns:
        A non-negative int below ``bound``.
    """
    return int(as_rng(rng).integers(bound))


def framework_seeds(rng: Any, count: int, bound: int = SEED_BOUND) -> np.ndarray:
    """The seeds ``count`` successive :func:`framework_seed` calls give, as one int64 array.

    A Generator draws them in one ``integers(bound, size=count)``, which yields the same values as
    ``count`` scalar draws for the bounds used here (2**63 and 2**32; checked by
    ``test_framework_seeds_are_successive_framework_seed_calls``); an int or ``None`` ``rng``
    repeats :func:`framework_seed`'s own conversion for every call, as successive calls would.

    Raises:
        ValueError: ``count`` is not a positive int.
    """
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    if isinstance(rng, np.random.Generator):
        return rng.integers(bound, size=int(count), dtype=np.int64)
    return np.array([framework_seed(rng, bound) for _ in range(int(count))], dtype=np.int64)


_MANY_CALLS: ContextVar[int | None] = ContextVar("initcheck_many_calls", default=None)


def many_calls(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Give an adapter function its many-calls form, ``function.many(count, *args, **kwargs)``.

    ``many`` runs ``function`` once with :func:`calls_wanted` returning ``count``: the adapter's
    draw primitive then draws ``count`` framework seeds at once (:func:`framework_seeds`) and calls
    the framework's own initializer on all of them in one batched call (``jax.vmap`` of the
    initializer, jitted where the single call is); the rest of the function (argument checks,
    ``mean +``, the layout's permutation) acts on the trailing axes. The result has a new first axis of
    length ``count`` and is, bitwise, what ``count`` calls of ``function`` on the same ``rng`` would
    return: :class:`properties.sampling.Calls` checks each batch's first result against a plain
    call, and ``test_many_calls_are_the_calls_bit_for_bit`` every result of small batches on the
    suite's smallest and largest shapes, so the batch is a faster way to make the same calls, never
    another law. Only a function whose every random draw goes through a batch-aware primitive may be
    given this form.

    Returns:
        ``function`` itself, with the attribute ``many``.
    """

    def many(count: int, /, *args: Any, **kwargs: Any) -> np.ndarray:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ValueError(f"count must be a positive int, got {count!r}")
        with _calls(int(count)):
            return function(*args, **kwargs)

    function.many = many  # type: ignore[attr-defined]
    return function


@contextmanager
def _calls(count: int) -> Iterator[None]:
    token = _MANY_CALLS.set(count)
    try:
        yield
    finally:
        _MANY_CALLS.reset(token)


def calls_wanted() -> int | None:
    """Inside a many-calls form (:func:`many_calls`): how many calls to make at once; else ``None``."""
    return _MANY_CALLS.get()


class FrameworkCall(Exception):
    """Raised by an adapter's draw primitive when :func:`rendering`: the framework call it would make."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


_RENDERING: ContextVar[bool] = ContextVar("initcheck_rendering", default=False)


def rendering() -> bool:
    """Inside :func:`rendered`'s ``framework_call``: the primitive renders its call instead of drawing."""
    return _RENDERING.get()


def render(line: str) -> NoReturn:
    """Stop the adapter function here, handing ``line`` (its framework call) to ``framework_call``."""
    raise FrameworkCall(line)


def rendered(function: Callable[..., Any]) -> Callable[..., Any]:
    r"""Give an adapter function ``function.framework_call(*args, **kwargs) -> str``.

    ``framework_call`` runs the adapter's own translation of the arguments (validation, fans,
    layout, the seed from ``rng``) up to its draw primitive, which, seeing :func:`rendering`,
    :func:`render`\ s the framework call it would make, in the framework's own API with the seed
    it would pass, instead of making it. So the line is the call the same arguments make, not a
    second translation that could drift from it (a selftest runs each line and compares). It
    consumes ``rng`` as the call would: pass a copy to keep the caller's.

    Each call with a seed (``rng`` a Generator or an int) is also logged (:func:`log_call`): the
    call keeps a copy of ``rng`` as it was, about a microsecond, and its line is rendered from
    that copy only if a failure asks for it. A call with ``rng=None`` (fresh entropy, or PyTorch's
    global generator) has no line to log; nor has a many-calls batch (``f.many``).

    Returns:
        ``function`` wrapped, with the attributes ``framework_call`` and ``many`` (if it has one).

    Raises (from ``framework_call``):
        RuntimeError: the function reached no rendering primitive.
        Whatever the function raises for these arguments (``ValueError``, ``NotApplicable``).
    """

    def framework_call(*args: Any, **kwargs: Any) -> str:
        token = _RENDERING.set(True)
        try:
            function(*args, **kwargs)
        except FrameworkCall as call:
            return call.line
        finally:
            _RENDERING.reset(token)
        raise RuntimeError(f"{function.__name__} made no framework call that renders")

    @functools.wraps(function)
    def logged(*args: Any, **kwargs: Any) -> Any:
        rng = kwargs.get("rng")
        if isinstance(rng, np.random.Generator):  # its state dict: a copy, in under a microsecond
            before: Any = (type(rng.bit_generator), rng.bit_generator.state)
        elif isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            before = rng
        else:
            return function(*args, **kwargs)
        result = function(*args, **kwargs)
        log_rendered(functools.partial(_rendered_from, framework_call, args, kwargs, before))
        return result

    logged.framework_call = framework_call  # type: ignore[attr-defined]
    if hasattr(function, "many"):
        logged.many = function.many  # type: ignore[attr-defined]
    return logged


LOGGED_CALLS = 4
"""How many of an example's last framework calls a failure shows (:func:`logged_calls`)."""

LITERAL_VALUES = 64
"""The largest array a logged call writes out. A larger input (a statistical test's sample) is
named in its line instead and described in a comment, e.g. ``F.dropout(x, 0.3, training=True)  #
x: a torch.float64 tensor of shape (65536,), not written out``: a line of thousands of numbers
reproduces nothing a reader can use. Hypothesis shrinks a failing exact test's arrays to a few
values, so its calls are written out whole."""


class _Elided:
    """An input too large to write out (:data:`LITERAL_VALUES`), kept as its description."""

    def __init__(self, value: Any) -> None:
        kind = type(value).__module__.split(".")[0]
        dtype = str(value.dtype)
        what = {"torch": f"a {dtype} tensor", "jax": f"a JAX {dtype} array", "jaxlib": f"a JAX {dtype} array"}
        shape = tuple(int(n) for n in value.shape)
        self.description = f"{what.get(kind, f'a {dtype} {kind} array')} of shape {shape}"


def _size(value: Any) -> int:
    shape = getattr(value, "shape", ())
    return math.prod(int(n) for n in shape)


def _snapshot(value: Any) -> Any:
    """``value`` as it is now, for a line rendered later: arrays and tensors copied (a caller may
    reuse its buffer; ``torch.from_numpy`` shares it), containers walked, others kept."""
    if isinstance(value, _Deferred):
        return value.text()
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_snapshot(v) for v in value)
    if isinstance(value, tuple):  # a NamedTuple state (Optax): its own type, fields copied
        return type(value)(*(_snapshot(v) for v in value))
    if hasattr(value, "shape") and not isinstance(value, np.generic):
        if _size(value) > LITERAL_VALUES:
            return _Elided(value)
        if isinstance(value, np.ndarray):
            return value.copy()
        if type(value).__module__.split(".")[0] == "torch":
            return value.detach().clone()
        return value  # a JAX array: immutable
    return value


def _number(value: Any) -> str:
    """A Python scalar as source text that reads back to the same value (``repr`` rounds trip;
    non-finite floats have no literal)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def nested_numbers(array: np.ndarray) -> str:
    """``array``'s values as nested Python lists of exact literals (``float('nan')`` where needed).

    Floats of every width are written as the shortest repr of their float64 value, which is exact
    (a float32, float16 or bfloat16 value is a float64 value) and reads back to the same value in
    the narrower dtype.
    """
    values = array if array.dtype.kind in "biu" else array.astype(np.float64)
    listed = values.tolist()

    def text(item: Any) -> str:
        if isinstance(item, list):
            return "[" + ", ".join(text(v) for v in item) + "]"
        return _number(item)

    return text(listed)


X64 = 'jax.config.update("jax_enable_x64", True); '
"""The statement a JAX line starts with: the adapters run JAX with 64-bit types enabled."""


def array_literal(value: Any) -> str:
    """An array as the constructor of its own kind, with its dtype: ``torch.tensor([...],
    dtype=torch.float32)`` for a tensor, ``jnp.array([...], dtype='float64')`` for a JAX array,
    ``np.array([...], dtype='float64')`` for NumPy (the value a logged call passed)."""
    kind = type(value).__module__.split(".")[0]
    if kind == "torch":
        tensor = value.detach()
        if tensor.dtype.is_floating_point:  # NumPy has no bfloat16: every float is exact in float64
            return f"torch.tensor({nested_numbers(tensor.double().numpy())}, dtype={tensor.dtype})"
        return f"torch.tensor({nested_numbers(tensor.numpy())}, dtype={tensor.dtype})"
    array = np.asarray(value)
    constructor = "jnp.array" if kind in ("jax", "jaxlib") else "np.array"
    return f"{constructor}({nested_numbers(array)}, dtype={array.dtype.name!r})"


def log_array_call(template: str, /, **values: Any) -> None:
    """:func:`log_call` with arrays and tensors written by :func:`array_literal` (the PyTorch adapters)."""
    log_call(array_literal, template, **values)


def log_jax_call(template: str, /, **values: Any) -> None:
    """:func:`log_array_call` after JAX's x64 switch (:data:`X64`): the JAX adapters' calls."""
    log_call(array_literal, template, prefix=X64, **values)


AUTODIFF_FORMS: dict[str, Callable[[str, str, tuple[int, ...]], str]] = {
    "torch-sum": lambda leaf, body, shape: f"torch.autograd.grad({leaf}.sum(), x)[0]",
    "torch-ones": lambda leaf, body, shape: f"torch.autograd.grad((y := {leaf}), x, torch.ones_like(y))[0]",
    "jax": lambda leaf, body, shape: f"jax.grad(lambda v: {body})({{x}})",
    "jax-vmap": lambda leaf, body, shape: f"jax.vmap(jax.grad(lambda v: {body}))({{x}}).reshape({shape})",
}
"""How an adapter differentiates (:func:`autodiff`): PyTorch's autograd of a summed loss or with
``grad_outputs`` of ones, ``jax.grad`` of a scalar, or ``jax.vmap(jax.grad)`` of an elementwise
function over the flattened input (reshaped back)."""


def autodiff(call: str, form: str, shape: tuple[int, ...] = ()) -> str:
    """The template of the gradient of ``call`` (a template with ``{x}``, the differentiated input)
    at ``{x}``, taken as ``form`` (:data:`AUTODIFF_FORMS`) takes it."""
    leaf = call.replace("{x}", "(x := {x}.requires_grad_())", 1)
    return AUTODIFF_FORMS[form](leaf, call.replace("{x}", "v", 1), tuple(shape))


def literal(value: Any, array_literal: Callable[[Any], str] = array_literal) -> str:
    """Source text for ``value``: containers and scalars as Python literals, every array or tensor
    through ``array_literal`` (the target's own constructor, ``torch.tensor([...], dtype=...)``).

    Raises:
        ValueError: ``value`` holds an input too large to write out (:data:`LITERAL_VALUES`); the
            message describes it.
    """
    if isinstance(value, _Elided):
        raise ValueError(value.description)
    if isinstance(value, _Code):
        return str(value)
    if isinstance(value, dict):
        items = (f"{literal(k, array_literal)}: {literal(v, array_literal)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, array_literal) for v in value) + "]"
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        kind = type(value)
        fields = ", ".join(
            f"{k}={literal(v, array_literal)}" for k, v in zip(value._fields, value, strict=True)
        )
        return f"{_public_name(kind)}({fields})"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, array_literal) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        return f"np.{np.dtype(type(value)).name}({_number(value.item())})"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return array_literal(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return _number(value)
    raise TypeError(f"no literal for a {type(value).__name__} in a logged framework call")


def _public_name(kind: type) -> str:
    """``optax.ScaleByAdamState`` for Optax's state records (their public name), else the full path."""
    package = kind.__module__.split(".")[0]
    module = importlib.import_module(package)
    if getattr(module, kind.__name__, None) is kind:
        return f"{package}.{kind.__name__}"
    return f"{kind.__module__}.{kind.__qualname__}"


class _Code(str):
    """Source text among a logged call's values: written as it is, not as a string literal."""

    __slots__ = ()


def code(text: str) -> str:
    """``text`` as a value of a logged call that is written as it is (an expression, not a literal)."""
    return _Code(text)


class _Deferred:
    """A value of a logged call whose text is computed when the call is logged (:func:`deferred`)."""

    def __init__(self, text: Callable[[], str]) -> None:
        self.text = lambda: code(text())


def deferred(text: Callable[[], str]) -> Any:
    """A logged value written as the expression ``text()`` returns when the call is logged (a
    learning rate that a schedule reads at every step: its value at that step)."""
    return _Deferred(text)


@dataclass(frozen=True)
class LoggedCall:
    """A framework call an adapter made: ``template`` with its ``values`` written in (see
    :func:`log_call`), after ``prefix`` (JAX's x64 switch)."""

    template: str
    values: Mapping[str, Any]
    array_literal: Callable[[Any], str]
    prefix: str = ""

    def line(self) -> str:
        """The call as one line of source; a value holding an input too large to write out is
        written as its name, and described in a comment at the end."""
        texts, named = {}, []
        for name, value in self.values.items():
            try:
                texts[name] = literal(value, self.array_literal)
            except ValueError as large:
                texts[name] = name
                named.append(f"{name}: {'' if isinstance(value, _Elided) else 'holds '}{large}")
        line = self.prefix + self.template.format(**texts)
        return f"{line}  # {'; '.join(named)}, not written out" if named else line


@dataclass(frozen=True)
class _LazyCall:
    """A framework call whose line ``render()`` writes, only when a failure asks (:func:`log_rendered`)."""

    render: Callable[[], str]

    def line(self) -> str:
        """The rendered line; if rendering fails (an adapter's bug: the call itself succeeded), a
        line that says so, so that a failure's report is never lost to it."""
        try:
            return self.render()
        except Exception as error:
            return f"# the call's line could not be rendered: {type(error).__name__}: {error}"


def _rendered_from(
    framework_call: Callable[..., str], args: tuple[Any, ...], kwargs: dict[str, Any], rng: Any
) -> str:
    """``framework_call`` on a call's arguments, with ``rng`` as the call started from: the int seed
    it was given, or its Generator's bit-generator type and state (a new Generator in that state)."""
    if isinstance(rng, tuple):
        kind, state = rng
        bit_generator = kind()
        bit_generator.state = state
        rng = np.random.Generator(bit_generator)
    return framework_call(*args, **{**kwargs, "rng": rng})


_CALL_LOG: deque[LoggedCall | _LazyCall] = deque(maxlen=LOGGED_CALLS)


def log_call(array_literal: Callable[[Any], str], template: str, /, prefix: str = "", **values: Any) -> None:
    """Note a framework call the adapter is making, for a failure's reproduction (:func:`logged_calls`).

    ``template`` is the call in the framework's own API, with ``{name}`` where each of ``values``
    goes (an array or tensor written by ``array_literal``, containers and scalars as literals;
    a literal brace is doubled). Statements are joined by ``"; "``, the last one the expression
    whose value the adapter returns (converted to NumPy). The values are copied now and written out
    only if a failure asks, so a passing run pays one copy of each small input; the selftest
    ``test_logged_calls_compute_what_the_adapter_returns`` runs every template's lines and compares
    them with the adapter's results, bit for bit.
    """
    _CALL_LOG.append(
        LoggedCall(template, {k: _snapshot(v) for k, v in values.items()}, array_literal, prefix)
    )


def log_rendered(render: Callable[[], str]) -> None:
    """Note a framework call whose line ``render()`` writes, called only if a failure asks: for a
    line that costs more to write than the call to make (a draw's rendered call). ``render`` must
    close over values that do not change after the call."""
    _CALL_LOG.append(_LazyCall(render))


def clear_logged_calls() -> None:
    """Forget the calls logged so far (at the start of each example)."""
    _CALL_LOG.clear()


def logged_calls() -> list[str]:
    """The last :data:`LOGGED_CALLS` framework calls logged since :func:`clear_logged_calls`, oldest
    first, each one line of the framework's own API (an input too large to write out named, and
    described in a comment: :data:`LITERAL_VALUES`)."""
    return [call.line() for call in _CALL_LOG]


def dotted(name: str) -> Any:
    """The object a dotted public name (``torch.nn.functional.gelu``, ``optax.adam``) names.

    Adapters name a framework function once, by this name, so that the function they call and
    the name a logged line shows cannot differ.
    """
    module_name, _, attribute = name.rpartition(".")
    parts = module_name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in [*parts[cut:], attribute]:
            found = getattr(found, part)
        return found
    raise ValueError(f"no module in {name!r}")


def call_text(called: str, *args: Any, **kwargs: Any) -> str:
    """``called(args..., k=v...)`` with every argument written by :func:`literal` (an array by
    :func:`array_literal`)."""
    listed = [*(literal(a) for a in args), *(f"{k}={literal(v)}" for k, v in kwargs.items())]
    return f"{called}({', '.join(listed)})"


def _no_arrays(value: Any) -> str:
    raise TypeError(f"a keyword of a template must be a scalar, got a {type(value).__name__}")


def keywords(**kwargs: Any) -> str:
    """``, k=v`` for each keyword, values as literals (for a template: braces doubled)."""
    text = "".join(f", {k}={literal(v, _no_arrays)}" for k, v in kwargs.items())
    return text.replace("{", "{{").replace("}", "}}")


def arguments(*args: Any, **kwargs: Any) -> str:
    """``args`` and ``kwargs`` as a call's argument list: ``repr`` of each value, a float (NumPy's
    too) as a literal that reads back (``float('inf')``: ``inf`` is no Python literal)."""

    def text(value: Any) -> str:
        return _number(float(value)) if isinstance(value, float) else repr(value)

    return ", ".join([*(text(a) for a in args), *(f"{k}={text(v)}" for k, v in kwargs.items())])


def shape_and_dtype(shape: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    """impls' normalisation of ``shape`` and ``dtype`` (float32 or float64)."""
    return as_shape(shape), as_float_dtype(dtype)


def layout_of(layout: Any) -> str:
    """``layout`` checked against impls' layouts (``"torch"`` or ``"keras"``)."""
    return as_choice(layout, "layout", LAYOUTS)


def torch_shape_of_keras(dims: tuple[int, ...]) -> tuple[int, ...]:
    """The ``(out, in, *k)`` shape holding the same weight as Keras's ``(*k, in, out)``."""
    return (dims[-1], dims[-2], *dims[:-2])


def keras_shape_of_torch(dims: tuple[int, ...]) -> tuple[int, ...]:
    """The ``(*k, in, out)`` shape holding the same weight as PyTorch's ``(out, in, *k)``."""
    return (*dims[2:], dims[1], dims[0])


def torch_to_keras(array: np.ndarray) -> np.ndarray:
    """Permute an ``(out, in, *k)`` array into ``(*k, in, out)`` (a view: no arithmetic)."""
    return np.ascontiguousarray(np.transpose(array, (*range(2, array.ndim), 1, 0)))


def keras_to_torch(array: np.ndarray, leading: int = 0) -> np.ndarray:
    """Permute a ``(*k, in, out)`` array into ``(out, in, *k)``; ``leading`` first axes (a batch
    of calls, :func:`many_calls`) stay in front."""
    n = array.ndim
    kernel = (n - 1, n - 2, *range(leading, n - 2))
    return np.ascontiguousarray(np.transpose(array, (*range(leading), *kernel)))


def check_dims(dims: tuple[int, ...], minimum: int, what: str) -> None:
    """The fan-based initializers need at least ``minimum`` dims (impls' message)."""
    if len(dims) < minimum:
        raise ValueError(
            f"Fan in and fan out can not be computed for tensor with fewer than {minimum} dimensions ({what})"
        )


def activation(
    name: str,
    function: Callable[..., np.ndarray],
    derivative: Callable[..., np.ndarray],
    defaults: Mapping[str, Any] | None = None,
) -> impls.Activation:
    """An :class:`impls.Activation` record (a container: name, function, derivative, defaults)."""
    return impls.Activation(name, function, derivative, dict(defaults or {}))


def activation_lookup(table: Mapping[str, impls.Activation]) -> Callable[[str], impls.Activation]:
    """``get_activation`` over a target's own ``ACTIVATIONS`` (impls' error message)."""

    def get_activation(name: str) -> impls.Activation:
        if name not in table:
            raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
        return table[name]

    return get_activation


def same_signature(reference: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give an adapter function impls' signature and name (for ``inspect`` and error messages).

    The adapter must already accept exactly these parameters; this only copies the metadata and
    checks, once at import, that the parameter names and defaults agree.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        ours, theirs = inspect.signature(function), inspect.signature(reference)
        if [(p.name, p.kind, p.default) for p in ours.parameters.values()] != [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ]:
            raise TypeError(f"adapter {function.__qualname__} does not have impls' signature {theirs}")
        return functools.wraps(reference, assigned=("__name__", "__qualname__"), updated=())(function)

    return decorate


def unsupported(target: str, what: str) -> NotApplicable:
    """The exception an adapter raises for an argument value its framework cannot express."""
    return NotApplicable(f"target {target!r}: {what}")


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages`` (distribution names), for the report header."""
    found = {}
    for package in packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - partial installs
            continue
    return found


JAX_CACHE_ENV = "INITCHECK_JAX_CACHE"
"""Where JAX's persistent compilation cache goes (``off`` disables it)."""


def persistent_jax_compilation_cache() -> None:
    """Turn on JAX's persistent compilation cache, unless the user configured one or turned it off.

    Shared by the ``jax`` and ``keras-jax`` targets. JAX compiles every primitive anew for each new
    shape (about 0.3-0.6 s on this machine's CPU for a ``glorot_normal`` call), and Hypothesis draws
    many shapes: with the cache (every entry kept, however quick its compilation) a second run of
    the same cases loads them instead, 5x faster on 20 fresh ``glorot_normal`` shapes (7.7 s ->
    1.5 s). The directory is ``$INITCHECK_JAX_CACHE``, else ``$XDG_CACHE_HOME/initcheck/jax``
    (``~/.cache/...``); JAX's own ``JAX_COMPILATION_CACHE_DIR`` takes precedence.
    """
    import jax

    choice = os.environ.get(JAX_CACHE_ENV, "")
    if choice.lower() == "off" or getattr(jax.config, "jax_compilation_cache_dir", None):
        return
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    jax.config.update("jax_compilation_cache_dir", choice or os.path.join(home, "initcheck", "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def query_key_batch(query: Any, key: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``query`` ``(..., L, E)`` and ``key`` ``(..., S, E)`` (checked as impls checks them) broadcast
    to one batch shape, in their common dtype: ``(q, k, batch)``."""
    from impls.attention import _query_and_key

    q, k = _query_and_key(query, key)
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2])
    dtype = np.result_type(q, k)
    q = np.broadcast_to(q, (*batch, *q.shape[-2:])).astype(dtype)
    k = np.broadcast_to(k, (*batch, *k.shape[-2:])).astype(dtype)
    return q, k, batch


def positive_scale(scale: Any) -> float | None:
    """An attention ``scale``: None (the framework's ``1 / sqrt(E)``) or a positive real."""
    if scale is None:
        return None
    value = as_real(scale, "scale")
    if value <= 0:
        raise ValueError(f"scale must be > 0, got {value}")
    return value


def jax_low_precision_draws() -> Deviation:
    """JAX draws in the requested dtype: a bfloat16 (float16) uniform takes one of 2^7 (2^10)
    values in [0, 1), so every initializer's law is coarser than a float32 draw rounded once.

    Measured with 1.2-1.3 million draws (fan 100 and 3409, ``jax`` and ``keras-jax``): Kolmogorov
    distance 0.009-0.011 in bfloat16 and 0.0015 in float16, against 0.001-0.002 and 0.0001-0.0002
    for a float32 draw rounded once (``theory.low_precision.law_rounding_kolmogorov_bound``). That
    is below the 0.02 the check is designed to catch, so the check rejects it only now and then:
    declared sporadic. Shared by the ``jax`` and ``keras-jax`` targets.
    """
    return Deviation(
        "low-precision-initializer-laws",
        "jax.random draws in the requested dtype (a bfloat16 uniform is one of 2^7 values in [0, 1)): "
        "Kolmogorov distance ~0.01 from the law in bfloat16, ~0.0015 in float16, where a float32 draw "
        "rounded once stays within 0.002",
        "https://github.com/jax-ml/jax/pull/26974 (open: 'jax.random.uniform produces one of "
        "2 ** n_mant values')",
        applies=lambda case: case.get("dtype") in ("bfloat16", "float16"),
        sporadic=True,
    )
