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
    """A sampler that concatenates independent calls ``draw(rng)`` until it has n values."""

    def sampler(n: int) -> np.ndarray:
        chunks, total = [], 0
        while total < n:
            values = np.asarray(draw(rng), dtype=np.float64).ravel()
            if values.size == 0:
                raise ValueError("draw returned no values")
            chunks.append(values)
            total += values.size
        return np.concatenate(chunks)

    return sampler
