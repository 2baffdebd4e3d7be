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
    with the tail of the array.
    """

    def sampler(n: int) -> np.ndarray:
        chunks, total = [], 0
        while total < n:
            values = np.asarray(draw(rng), dtype=np.float64).ravel()
            if values.size == 0:
                raise ValueError("draw returned no values")
            chunks.append(values)
            total += values.size
        values = np.concatenate(chunks)
        if total == n:
            return values
        return values[np.sort(rng.choice(total, size=n, replace=False))]

    return sampler
