"""Residual networks at initialization: how the squared norm of the residual stream grows.

A residual block of width N with a two-layer ReLU branch,
``x_{l+1} = x_l + alpha W2 relu(W1 x_l)``, ``W1_ij ~ N(0, sigma_1^2 / N)``,
``W2_ij ~ N(0, sigma_2^2 / N)``, fresh and independent in every block. Given ``x_l``,
``h = relu(W1 x_l)`` has ``||h||^2 = (sigma_1^2 ||x_l||^2 / N) c`` with ``c ~ chi^2_K``,
``K ~ Binomial(N, 1/2)``, and the branch ``b = alpha W2 h`` is isotropic Gaussian given ``h``, so
``r = ||x_{l+1}||^2 / ||x_l||^2 = a c chi'^2_N(1 / (a c))`` (non-central chi-square),
``a = alpha^2 sigma_1^2 sigma_2^2 / N^2``. Its law does not depend on ``x_l``: the ratios of the
blocks are i.i.d. and ``E R_L^m = (E r^m)^L``. In particular

    E ||x_L||^2 / ||x_0||^2 = (1 + alpha^2 sigma_1^2 sigma_2^2 / 2)^L

at every width: ``2^L`` for He-initialized branches (sigma_1^2 = 2, sigma_2^2 = 1, alpha = 1),
and ``(1 + 1/L)^L < e`` with the branch scale ``alpha = 1/sqrt(L)``.

References: Balduzzi et al. (2017), "The shattered gradients problem", ICML, arXiv:1702.08591;
Hanin & Rolnick (2018), arXiv:1803.01719, Sec. 4 (the sum of the branch scales); Yang &
Schoenholz (2017), "Mean field residual networks", NeurIPS, arXiv:1712.08969; Zhang, Dauphin &
Ma (2019), "Fixup initialization", ICLR, arXiv:1901.09321, Sec. 3; De & Smith (2020),
"Batch normalization biases residual blocks towards the identity function", NeurIPS,
arXiv:2002.10444 (SkipInit); Bachlechner et al. (2021), "ReZero is all you need", UAI,
arXiv:2003.04887.
"""

from __future__ import annotations

import math

from theory._domain import non_negative, positive, positive_int
from theory.finite_width import relu_layer_ratio_moment


def residual_ratio_moments(
    width: int, alpha: float, sigma_1_sq: float = 2.0, sigma_2_sq: float = 1.0
) -> tuple[float, float]:
    """``(E r, E r^2)`` for one block's ratio ``r = ||x_{l+1}||^2 / ||x_l||^2``.

    Formula: with ``a = alpha^2 sigma_1^2 sigma_2^2 / N^2``, ``E c = N/2``,
    ``E c^2 = N^2/4 + 5N/4``: ``E r = 1 + N a E c = 1 + alpha^2 sigma_1^2 sigma_2^2 / 2`` and
    ``E r^2 = (N^2 + 2N) a^2 E c^2 + (2N + 4) a E c + 1`` (the non-central chi-square's mean
    ``N + lambda`` and variance ``2 (N + 2 lambda)``, ``lambda = 1 / (a c)``).

    Args:
        width: N.
        alpha: the branch scale.
        sigma_1_sq: the first branch layer's weight variance times N.
        sigma_2_sq: the second branch layer's weight variance times N.

    Returns:
        The first two moments of one block's squared-norm ratio.
    """
    n = positive_int(width, "width")
    alpha = non_negative(alpha, "alpha")
    a = alpha**2 * positive(sigma_1_sq, "sigma_1_sq") * positive(sigma_2_sq, "sigma_2_sq") / n**2
    mean_c, second_c = n / 2, n**2 / 4 + 5 * n / 4
    return 1 + n * a * mean_c, (n**2 + 2 * n) * a**2 * second_c + (2 * n + 4) * a * mean_c + 1


def residual_norm_growth(depth: int, alpha: float, sigma_1_sq: float = 2.0, sigma_2_sq: float = 1.0) -> float:
    """``E ||x_L||^2 / ||x_0||^2 = (1 + alpha^2 sigma_1^2 sigma_2^2 / 2)^L``, at every width.

    Args:
        depth: L, the number of residual blocks.
        alpha: the branch scale.
        sigma_1_sq: the first branch layer's weight variance times N.
        sigma_2_sq: the second branch layer's weight variance times N.

    Returns:
        The expected squared-norm growth of the residual stream.
    """
    depth = positive_int(depth, "depth")
    factor = (
        1
        + non_negative(alpha, "alpha") ** 2
        * positive(sigma_1_sq, "sigma_1_sq")
        * positive(sigma_2_sq, "sigma_2_sq")
        / 2
    )
    return factor**depth


def residual_norm_ratio_variance(
    width: int, depth: int, alpha: float, sigma_1_sq: float = 2.0, sigma_2_sq: float = 1.0
) -> float:
    """``Var(||x_L||^2 / ||x_0||^2) = (E r^2)^L - (E r)^(2L)`` (i.i.d. block ratios).

    Args:
        width: N.
        depth: L.
        alpha: the branch scale.
        sigma_1_sq: the first branch layer's weight variance times N.
        sigma_2_sq: the second branch layer's weight variance times N.

    Returns:
        The exact variance of the depth-L squared-norm ratio.
    """
    first, second = residual_ratio_moments(width, alpha, sigma_1_sq, sigma_2_sq)
    depth = positive_int(depth, "depth")
    return second**depth - first ** (2 * depth)


def depth_scaled_branch(depth: int) -> float:
    """The branch scale ``1 / sqrt(L)`` that keeps ``E ||x_L||^2 <= e ||x_0||^2`` for He branches.

    Formula: ``(1 + 1/L)^L`` increases to ``e`` (Hanin & Rolnick 2018, Sec. 4: the growth is
    bounded iff the sum of the squared branch scales is).
    """
    return 1 / math.sqrt(positive_int(depth, "depth"))


def fixup_branch_rescale(depth: int, branch_layers: int) -> float:
    """Fixup's rescaling of the non-zero branch layers: ``L^(-1 / (2m - 2))`` (Zhang et al. 2019).

    Args:
        depth: L, the number of residual branches.
        branch_layers: m >= 2, the layers in each branch (the last is initialized to zero).

    Returns:
        The factor that multiplies the standard (He) initialization of the first m - 1 layers.
    """
    m = positive_int(branch_layers, "branch_layers")
    if m < 2:
        raise ValueError(f"branch_layers must be >= 2, got {m}")
    return float(positive_int(depth, "depth") ** (-1 / (2 * m - 2)))


def fixup_first_update_moments(
    width: int, depth: int, branch_layers: int, rescale: bool = True
) -> tuple[float, float]:
    """``(E U, E U^2)`` of ``U = sum_l ||h_l||^2 / ||x_0||^2``, the first SGD step's size.

    With every branch's last layer at zero the stream is ``x_0`` at every block, and one SGD step
    on a batch of one with output gradient g moves it by ``-eta g U ||x_0||^2`` to first order
    (the last layers' gradients are ``g h_l^T``). ``h_l`` is the branch's penultimate output: m - 1
    He-initialized ReLU layers of width N, multiplied by ``c = L^(-1/(2m-2))`` with Fixup, so
    ``||h_l||^2 / ||x_0||^2 = c^(2m-2) prod_j rho_j`` with i.i.d. He layer ratios ``rho``
    (``E rho = 1``, ``E rho^2`` from :func:`theory.finite_width.relu_layer_ratio_moment`),
    independent across branches.

    Args:
        width: N.
        depth: L, the number of branches.
        branch_layers: m >= 2.
        rescale: Fixup's rescaling (True) or plain He branches (False).

    Returns:
        The first two moments of U: ``E U = L c^(2m-2)`` (1 with Fixup, L without).
    """
    n, layers = positive_int(width, "width"), positive_int(depth, "depth")
    m = positive_int(branch_layers, "branch_layers")
    c2 = fixup_branch_rescale(layers, m) ** 2 if rescale else 1.0
    single_mean = c2 ** (m - 1)
    single_second = c2 ** (2 * (m - 1)) * relu_layer_ratio_moment(n, 2) ** (m - 1)
    variance = layers * (single_second - single_mean**2)
    mean = layers * single_mean
    return mean, variance + mean**2
