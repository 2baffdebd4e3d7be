"""Types of the public API of :mod:`impls`: what ``rng`` accepts and what an initializer is."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

RngLike = np.random.Generator | np.random.BitGenerator | np.random.SeedSequence | int | None
"""What every ``rng`` keyword accepts (Scientific Python SPEC 7): a Generator, a BitGenerator or
SeedSequence, a non-negative int seed, or None (fresh OS entropy)."""

DTypeLike = Any
"""What every ``dtype`` keyword accepts: anything :class:`numpy.dtype` resolves to one of the
floating dtypes of the dtype policy (see :mod:`impls`, "Dtypes")."""


class Initializer(Protocol):
    """An initializer as :func:`impls.init_mlp` calls it: ``init(shape, *, rng=..., dtype=...)``.

    Every initializer of :mod:`impls.initializers` conforms (the deterministic ones accept and
    ignore ``rng``); bind other arguments with :func:`functools.partial`, e.g.
    ``partial(impls.orthogonal, gain=2.0)``.
    """

    def __call__(self, shape: tuple[int, ...], *, rng: RngLike, dtype: DTypeLike) -> np.ndarray: ...
