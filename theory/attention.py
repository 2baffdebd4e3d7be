"""Attention logits at initialization: why the dot product is scaled by ``1 / sqrt(d_k)``.

For independent ``q, k`` with i.i.d. entries of mean 0 and variance ``v_q``, ``v_k``,
``q . k = sum_{i<=d_k} q_i k_i`` has mean 0 and variance ``d_k v_q v_k``; the scaled logit
``q . k / sqrt(d_k)`` of unit-variance entries has variance 1 whatever ``d_k``. For Gaussian
entries its fourth moment is ``3 + 6 / d_k`` (so ``Var(s^2) = 2 + 6 / d_k``), which sizes the
statistical check.

References: Vaswani et al. (2017), "Attention is all you need", arXiv:1706.03762, Sec. 3.2.1,
footnote 4.
"""

from __future__ import annotations

from theory._domain import positive, positive_int


def dot_product_variance(d_k: int, var_q: float = 1.0, var_k: float = 1.0) -> float:
    """``Var(q . k) = d_k var_q var_k`` for independent zero-mean i.i.d. entries.

    Args:
        d_k: the key dimension.
        var_q: the variance of a query entry.
        var_k: the variance of a key entry.

    Returns:
        The variance of the unscaled logit.
    """
    return positive_int(d_k, "d_k") * positive(var_q, "var_q") * positive(var_k, "var_k")


def scaled_logit_variance(d_k: int) -> float:
    """``Var(q . k / sqrt(d_k)) = 1`` for unit-variance entries (Vaswani et al. 2017, fn. 4)."""
    return dot_product_variance(d_k) / positive_int(d_k, "d_k")


def gaussian_scaled_logit_fourth_moment(d_k: int) -> float:
    """``E s^4 = 3 + 6 / d_k`` for ``s = q . k / sqrt(d_k)`` with standard normal entries.

    Formula: ``E (sum q_i k_i)^4 = d_k E q^4 E k^4 + 3 d_k (d_k - 1) (E q^2 E k^2)^2
    = 9 d_k + 3 d_k (d_k - 1)``, divided by ``d_k^2``.
    """
    d = positive_int(d_k, "d_k")
    return (9 * d + 3 * d * (d - 1)) / d**2
