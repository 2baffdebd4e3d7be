"""Samplers: callbacks that draw as many independent values as a decision rule asks for.

Hypothesis chooses the case (shape, parameters, ``seed``); these draw the sample with NumPy from
``np.random.default_rng(seed)``, calling the implementation under test as often as needed, so a
3x2 case is as powerful as a 1000x1000 one. A draw given as :class:`Calls` is made many calls at a
time where the target supplies a many-calls form (a framework's batched initializer).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from properties.decide import Sampler
from properties.targets.base import NotApplicable

MANY_VALUES = 2**20
"""The most values one many-calls batch holds (8 MB in float64): a batch of calls of a 1 x 1
initializer is at most 2**20 calls, of a 512 x 512 one 4 calls."""


class Calls:
    """Successive calls ``function(*args, rng=rng, **kwargs)`` of the implementation under test.

    Called as ``calls(rng)`` it is one call (a ``draw`` for :func:`pooled`); :meth:`take` makes
    ``count`` calls and stacks them. Where the target supplies a many-calls form
    (``function.many``, :func:`properties.targets._adapting.many_calls`), :meth:`take` makes them
    in one call of the framework (about 1.5 ms for 4096 calls of a 3 x 3 ``jax`` initializer,
    against 0.085 ms each one at a time); else it loops. Either way the result is what ``count``
    successive calls on ``rng`` return: the first call of every batch is compared, bit for bit,
    with a plain call on a copy of ``rng`` made before the batch (and the whole contract is a
    selftest, ``test_many_calls_are_the_calls_bit_for_bit``).

    Args:
        function: the implementation's function; it takes ``rng=`` and returns an array.
        *args, **kwargs: its other arguments, the same for every call.
    """

    def __init__(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if "rng" in kwargs:
            raise TypeError("Calls: rng is given to each call, not to Calls")
        self.function, self.args, self.kwargs = function, args, kwargs

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.function(*self.args, rng=rng, **self.kwargs))

    def framework_call(self, rng: np.random.Generator) -> str:
        """The framework call the next call on ``rng`` makes, in the framework's own API with its seed
        (the function's ``framework_call``, :func:`properties.targets._adapting.rendered`), or
        ``""`` where the target renders none or refuses these arguments (the call itself then
        raises). ``rng`` is not advanced."""
        render = getattr(self.function, "framework_call", None)
        if render is None:
            return ""
        try:
            return str(render(*self.args, rng=copy.deepcopy(rng), **self.kwargs))
        except (ValueError, TypeError, NotApplicable):  # the real call that follows raises it
            return ""

    def take(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` successive calls on ``rng``, stacked on a new first axis.

        Raises:
            RuntimeError: the target's many-calls form returned something other than the calls
                (a defect of the adapter, not of the claim under test).
        """
        many = getattr(self.function, "many", None)
        if many is None or count == 1 or not isinstance(rng, np.random.Generator):
            # (an int or None rng: no copy of it can replay the batch's first call)
            return np.stack([self(rng) for _ in range(count)])
        expected = self(copy.deepcopy(rng))
        batch = np.asarray(many(count, *self.args, rng=rng, **self.kwargs))
        if (
            batch.shape != (count, *expected.shape)
            or batch.dtype != expected.dtype
            or batch[0].tobytes() != expected.tobytes()
        ):
            name = getattr(self.function, "__name__", repr(self.function))
            raise RuntimeError(
                f"{name}.many({count}) is not {count} calls of {name}: its first result "
                f"({batch.dtype}{list(batch.shape[1:])}) differs from a plain call's "
                f"({expected.dtype}{list(expected.shape)})"
            )
        return batch

    def at_least(self, count: int, rng: np.random.Generator, values_per_call: int) -> np.ndarray:
        """At least ``count`` calls, stacked. With a many-calls form, batches of a power of two
        calls, at most :data:`MANY_VALUES` values (or one call) each, so that a framework compiles
        few batch sizes; without one, exactly ``count`` calls."""
        if getattr(self.function, "many", None) is None:
            return self.take(count, rng)
        per_batch = max(1, MANY_VALUES // max(1, values_per_call))
        batches = []
        while count > 0:
            size = min(1 << max(0, count - 1).bit_length(), 1 << (per_batch.bit_length() - 1))
            batches.append(self.take(size, rng))
            count -= size
        return np.concatenate(batches)


def repeated(draw: Callable[[np.random.Generator], np.ndarray] | Calls, rng: np.random.Generator) -> Sampler:
    """A sampler that concatenates independent calls ``draw(rng)`` until it has n values.

    When the calls give more than n values (one big tensor can hold many times n), it returns n
    of them chosen uniformly at random without replacement from the whole draw, in their order:
    the n values stay independent draws of the law, and a defect confined to part of a tensor
    (its later blocks, some columns) is seen in proportion to its size instead of being cut off
    with the tail of the array. Each call draws afresh (a :func:`pooled` sampler of its own).
    """

    def sampler(n: int) -> np.ndarray:
        return pooled(draw, rng)(n)

    return sampler


def pooled(draw: Callable[[np.random.Generator], np.ndarray] | Calls, rng: np.random.Generator) -> Sampler:
    """A sampler for several checks of one law that draws once for all of them.

    Like :func:`repeated`, but the whole draws are kept in one pool: a call asking for n values
    draws more only if the pool holds fewer than n, then returns n values chosen uniformly at
    random without replacement from the whole pool, in their order. A variance check and a CDF
    check of the same initializer then cost the larger of their two sample sizes in calls to the
    implementation, not their sum (on a framework, where one call costs ~0.1-1 ms, that is most of
    the test's time).

    Each check still sees n independent draws of the law, so its own false-fail and false-pass
    rates are unchanged. The checks' statistics are no longer independent of one another, which
    no rate of the suite assumes: the family-wise false-fail probability the report states is a
    union bound, which holds for dependent checks too.

    Args:
        draw: one call of the implementation under test, ``draw(rng) -> array``; every value of
            every call an independent draw of the law under test. A :class:`Calls` draw makes,
            after its first call, all the calls a request still needs in one batch
            (:meth:`Calls.at_least`).
        rng: the generator passed to ``draw`` and used for the subsample.

    Returns:
        The sampler, ``sampler(n) -> array of n float64 values``.
    """
    chunks: list[np.ndarray] = []
    per_call: list[int] = []  # the size of the first call's result

    def sampler(n: int) -> np.ndarray:
        if n <= 0:
            return np.empty(0)
        total = sum(chunk.size for chunk in chunks)
        while total < n:
            if isinstance(draw, Calls) and per_call:
                drawn = draw.at_least(-(-(n - total) // per_call[0]), rng, per_call[0])
            else:
                drawn = draw(rng)
            values = np.asarray(drawn, dtype=np.float64).ravel()
            if values.size == 0:
                raise ValueError("draw returned no values")
            per_call[:] = per_call or [values.size]
            chunks.append(values)
            total += values.size
        if len(chunks) > 1:
            chunks[:] = [np.concatenate(chunks)]
        pool = chunks[0]
        if total == n:
            return pool.copy()
        return pool[np.sort(rng.choice(total, size=n, replace=False))]

    return sampler
