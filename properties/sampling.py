"""Samplers: callbacks that draw as many independent values as a decision rule asks for.

Hypothesis chooses the case (shape, parameters, ``seed``); these draw the sample with NumPy from
``np.random.default_rng(seed)``, calling the implementation under test as often as needed, so a
3x2 case is as powerful as a 1000x1000 one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from properties.decide import Sampler


def repeated(draw: Callable[[np.random.Generator], np.ndarray], rng: np.random.Generator) -> Sampler:
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


def pooled(draw: Callable[[np.random.Generator], np.ndarray], rng: np.random.Generator) -> Sampler:
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
            every call an independent draw of the law under test.
        rng: the generator passed to ``draw`` and used for the subsample.

    Returns:
        The sampler, ``sampler(n) -> array of n float64 values``.
    """
    chunks: list[np.ndarray] = []

    def sampler(n: int) -> np.ndarray:
        if n <= 0:
            return np.empty(0)
        total = sum(chunk.size for chunk in chunks)
        while total < n:
            values = np.asarray(draw(rng), dtype=np.float64).ravel()
            if values.size == 0:
                raise ValueError("draw returned no values")
            chunks.append(values)
            total += values.size
        if len(chunks) > 1:
            chunks[:] = [np.concatenate(chunks)]
        pool = chunks[0]
        if total == n:
            return pool.copy()
        return pool[np.sort(rng.choice(total, size=n, replace=False))]

    return sampler
