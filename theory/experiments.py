"""The settings of the benchmark's experiments that are facts of theory or of the seeds.

Seed 004's width, and ``sigma_w^2 = n Var(W)`` of every initializer the propagation benchmark
compares (for square layers of width n), derived from :mod:`theory.distributions`' scheme table.
"""

from __future__ import annotations

from theory import distributions, haar
from theory._domain import positive, positive_int
from theory.seeds import seed004_growth_per_layer

SEED004_WIDTH = 400
"""Seed 004's example: every hidden layer of the fully connected net has 400 units, and
``sqrt(400) = 20`` is the growth of the std per layer (``004_076787204e450158.txt``, l. 45-47)."""

SEED004_GROWTH = seed004_growth_per_layer(SEED004_WIDTH)
"""``sqrt(400) std(W) = 20`` for W ~ N(0, 1)."""


def plain_normal_sigma_w2(width: int, std: float) -> float:
    """``n std^2`` for ``W ~ N(0, std^2)``: a fixed std does not adapt to the width."""
    return positive_int(width, "width") * positive(std, "std") ** 2


def scheme_sigma_w2(scheme: str, width: int, **params: object) -> float:
    """``n Var(W)`` of a variance-scaling scheme for a square ``(n, n)`` weight.

    Formula: ``n scale / fan`` with the scheme's row of :data:`theory.distributions.SCALING`
    (Xavier 1, LeCun 1, He 2, PyTorch's ``nn.Linear`` default 1/3).
    """
    n = positive_int(width, "width")
    return n * distributions.scheme_variance(scheme, (n, n), **params)


def orthogonal_sigma_w2(width: int, gain: float = 1.0) -> float:
    """``n Var(W_ij) = gain^2`` for a Haar-orthogonal ``(n, n)`` weight (``E Q_ij^2 = 1/n``)."""
    n = positive_int(width, "width")
    return n * gain**2 * haar.entry_square_moments(n)[0]
