"""Width scaling of an MLP's first update under the SP, NTK and μP parametrizations.

An abc-parametrization of the MLP with widths ``(d, n, ..., n, k)`` (``d``, ``k`` fixed, ``n``
growing) stores ``w_l`` with entries of size ``n^-b_l``, uses ``W_l = n^-a_l w_l`` and updates
``w_l`` with the learning rate ``eta n^-c_l`` (Yang & Hu 2021, Sec. 3). The exponents of SP, NTK
and μP follow from the module :mod:`impls`-independent table of Yang et al. (2022), Table 3 (fans
``n`` or a constant; gains are constants and do not enter).

The first step, on one input ``x`` with a linear loss ``u . f`` (so ``dLoss/df = u`` is
``Theta(1)``), changes every pre-activation ``h_l``. Sizes are RMS over coordinates, written
``n^e``. The calculus below gives the exponent of the step's *first-order* effect on ``h_l``
(the derivative of ``h_l`` along the update):

- forward sizes: ``s_0 = 0``, ``s_l = -(a_l + b_l) + phi_l / 2 + s_{l-1}`` (``phi_l = 1`` when the
  fan-in is ``n``: a sum of ``n`` independent terms);
- backward sizes of ``dLoss/dh_l``: ``t_L = 0``, ``t_l = -(a_{l+1} + b_{l+1}) + psi_{l+1} / 2 +
  t_{l+1}`` (``psi = 1`` unless the layer above is the readout, whose fan-out ``k`` is fixed);
- the layer's own update on the same input: SGD ``dW_l a_{l-1} = -eta n^(-c_l - 2 a_l)
  delta_l ||a_{l-1}||^2``, size ``u_l = -c_l - 2 a_l + t_l + phi_l + 2 s_{l-1}``; Adam's first
  step is ``-eta n^-c_l sign(delta_l) sign(a_{l-1})^T``, size ``u_l = -c_l - a_l + phi_l + s_{l-1}``;
- the change arriving from below, ``W_l delta a_{l-1}``: the update of the layers below is
  aligned with ``W_l``'s rows (it came back through ``W_l^T``), so a hidden layer multiplies its
  size by ``n^(-(a_l + b_l) + 1/2)`` and the readout, whose ``k`` outputs each sum ``n`` aligned
  terms, by ``n^(-(a_L + b_L) + 1)``.

The change of ``h_l`` is the sum of these terms; its exponent is the largest, and the *gap* to the
next-largest sets the finite-width correction: a term smaller by ``n^-gap`` biases a log-log slope
by ``O(n_min^-gap)``. Second-order effects (products of two updates, ReLU's rectification of large
changes) are outside the calculus: under μP every term is ``Theta(1)`` and so is the whole change
(the μ-limit; Yang & Hu 2021, Thm. 6.1), but under SP a fixed learning rate makes them dominate
the readout eventually.

References: Yang & Hu (2021), "Feature learning in infinite-width neural networks", ICML,
arXiv:2011.14522, Sec. 3, 5 and Table 1; Yang et al. (2022), "Tensor Programs V", arXiv:2203.03466,
Table 3 and Fig. 5 (the coordinate check); Jacot, Gabriel & Hongler (2018), arXiv:1806.07572.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from theory._domain import positive, positive_int

PARAMETRIZATIONS = ("sp", "ntk", "mup")
OPTIMIZERS = ("sgd", "adam")


class Exponents(NamedTuple):
    """A layer's abc exponents: multiplier ``n^-a``, init std ``n^-b``, learning rates ``n^-c``."""

    a: float
    b: float
    c_sgd: float
    c_adam: float


def abc_exponents(parametrization: str, layers: int = 3) -> list[Exponents]:
    """The exponents of each layer of a ``layers``-layer MLP ``(d, n, ..., n, k)``.

    Formula (fans ``n`` or constant; Yang et al. 2022, Table 3; NTK: Jacot et al. 2018):
    SP ``b = 0, 1/2, ..., 1/2`` (input, hidden, output), ``a = c = 0``; NTK ``b = 0``,
    ``a = 0, 1/2, ..., 1/2``, ``c = 0``; μP ``b = 0, 1/2, ..., 1/2, 1``, ``a = 0``,
    SGD ``c = -1, 0, ..., 0, 1``, Adam ``c = 0, 1, ..., 1, 1``.

    Args:
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        layers: the number of weight layers ``L >= 2`` (input layer, ``L - 2`` hidden, readout).

    Returns:
        One :class:`Exponents` per layer, input first.
    """
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(f"parametrization must be one of {PARAMETRIZATIONS}, got {parametrization!r}")
    count = positive_int(layers, "layers")
    if count < 2:
        raise ValueError(f"layers must be >= 2, got {count}")
    table = []
    for layer in range(1, count + 1):
        role = "input" if layer == 1 else "output" if layer == count else "hidden"
        fan_in = 0.0 if role == "input" else 1.0
        if parametrization == "sp":
            table.append(Exponents(0.0, fan_in / 2, 0.0, 0.0))
        elif parametrization == "ntk":
            table.append(Exponents(fan_in / 2, 0.0, 0.0, 0.0))
        elif role == "input":
            table.append(Exponents(0.0, 0.0, -1.0, 0.0))
        elif role == "hidden":
            table.append(Exponents(0.0, 0.5, 0.0, 1.0))
        else:
            table.append(Exponents(0.0, 1.0, 1.0, 1.0))
    return table


class UpdateSize(NamedTuple):
    """The exponent of a layer's first-order change and the gap to its next-largest term."""

    exponent: float
    gap: float


def first_update_exponents(parametrization: str, optimizer: str, layers: int = 3) -> list[UpdateSize]:
    """Exponents ``e_l`` with ``RMS(first-order change of h_l) = Theta(n^e_l)`` after one step.

    Formula: the calculus of the module docstring; each layer's change is a sum of terms whose
    exponents form the set ``T_l = {u_l} + (T_{l-1} + factor_l)``; ``e_l = max T_l`` and the gap is
    ``e_l`` minus the next-largest element (``inf`` when every term has exponent ``e_l``).

    Args:
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        optimizer: ``"sgd"`` or ``"adam"`` (Adam's first step: ``sign`` of the gradient).
        layers: the number of weight layers.

    Returns:
        One :class:`UpdateSize` per layer: input layer's pre-activation first, readout ``f`` last.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    table = abc_exponents(parametrization, layers)
    count = len(table)
    fan_in = [0.0] + [1.0] * (count - 1)
    forward = [0.0]
    for layer in range(count):
        forward.append(-(table[layer].a + table[layer].b) + fan_in[layer] / 2 + forward[-1])
    backward = [0.0] * count
    for layer in range(count - 2, -1, -1):
        above = table[layer + 1]
        fan_out_above = 0.0 if layer + 1 == count - 1 else 1.0
        backward[layer] = -(above.a + above.b) + fan_out_above / 2 + backward[layer + 1]
    sizes, terms = [], set[float]()
    for layer, e in enumerate(table):
        if optimizer == "sgd":
            own = -e.c_sgd - 2 * e.a + backward[layer] + fan_in[layer] + 2 * forward[layer]
        else:
            own = -e.c_adam - e.a + fan_in[layer] + forward[layer]
        factor = -(e.a + e.b) + (1.0 if layer == count - 1 else 0.5)
        terms = {own} | {t + factor for t in terms}
        ordered = sorted(terms, reverse=True)
        sizes.append(UpdateSize(ordered[0], ordered[0] - ordered[1] if len(ordered) > 1 else math.inf))
    return sizes


def forward_exponents(parametrization: str, layers: int = 3) -> list[float]:
    """Exponents of the pre-activations' RMS at initialization: ``s_l`` of the module docstring.

    SP and NTK keep every layer ``Theta(1)``; μP's readout is ``Theta(n^-1/2)`` (init std
    ``1/fan_in``), so its output variance is ``Theta(1/n)``.
    """
    table = abc_exponents(parametrization, layers)
    sizes, size = [], 0.0
    for layer, e in enumerate(table):
        size = -(e.a + e.b) + (0.0 if layer == 0 else 0.5) + size
        sizes.append(size)
    return sizes


def slope_bias_bound(widths: tuple[int, ...], gap: float, constant: float) -> float:
    """Bound on the OLS slope bias of ``log size`` on ``log n`` from a relative correction.

    Formula: a size ``A n^e (1 + r(n))`` with ``|r(n)| <= constant n^-gap`` has
    ``|log(1 + r)| <= 2 |r|`` for ``|r| <= 1/2``; the slope is ``sum_i w_i log size_i`` with
    OLS weights ``w_i = (x_i - mean x) / sum (x - mean x)^2``, ``x = log n``, so its bias is at most
    ``2 constant sum_i |w_i| n_i^-gap``.

    Args:
        widths: the widths ``n_i`` of the fit (at least two distinct).
        gap: the exponent gap of the correction, ``> 0``.
        constant: the correction's constant.

    Returns:
        The bound (``inf`` if some ``|r(n_i)|`` may exceed 1/2).
    """
    x = [math.log(positive_int(n, "widths")) for n in widths]
    mean = sum(x) / len(x)
    spread = sum((v - mean) ** 2 for v in x)
    if spread == 0:
        raise ValueError(f"widths must hold at least two distinct widths, got {widths}")
    corrections = [constant * n**-gap for n in widths]
    if max(corrections) > 0.5:
        return math.inf
    return 2 * sum(abs(v - mean) / spread * r for v, r in zip(x, corrections, strict=True))


def readout_second_moment(parametrization: str, width: int, input_norm2: float, input_dim: int) -> float:
    """``E f^2`` at initialization for widths ``(d, n, k)``, He-initialized ReLU input layer.

    Formula: ``f = sum_j w_j x_j`` with ``x = relu(W x_0)``, ``E ||x||^2 / n = ||x_0||^2 / d``
    (gain ``sqrt(2)``) and readout variance ``1/n`` (SP, NTK) or ``1/n^2`` (μP, Table 3):
    ``E f^2 = ||x_0||^2 / d`` or ``||x_0||^2 / (d n)``.

    Args:
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        width: n.
        input_norm2: ``||x_0||^2 > 0``.
        input_dim: d.

    Returns:
        ``E f^2``.
    """
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(f"parametrization must be one of {PARAMETRIZATIONS}, got {parametrization!r}")
    n, d = positive_int(width, "width"), positive_int(input_dim, "input_dim")
    q = positive(input_norm2, "input_norm2") / d
    return q / n if parametrization == "mup" else q
