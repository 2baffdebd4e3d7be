"""L2 regularization against decoupled weight decay (Loshchilov & Hutter 2019, Props. 1-2).

For plain SGD the two coincide: a step on ``f + (lambda'/2) ||p||^2``,
``p - lr (g + lambda' p) = (1 - lr lambda') p - lr g``, is the decoupled step with decay
``lr lambda'`` per step (PyTorch multiplies the decay by lr; in the paper's notation, where the
decay ``lambda`` is not multiplied by the rate, ``lambda' = lambda / lr``). For Adam they differ:
the L2 term passes through the adaptive normalization. At the first step of bias-corrected Adam
(``m^ = g``, ``v^ = g^2``):

    Adam + L2:  p_1 = p - lr (g + lambda p) / (|g + lambda p| + eps)
    AdamW:      p_1 = p (1 - lr lambda) - lr g / (|g| + eps)        (torch.optim.AdamW)

References: Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR,
arXiv:1711.05101, Props. 1 and 2, Algorithm 2; ``torch.optim.AdamW``.
"""

from __future__ import annotations

from theory._domain import non_negative, positive, real


def sgd_l2_step(p: float, g: float, lr: float, l2: float) -> float:
    """One SGD step on the L2-regularized loss: ``p - lr (g + l2 p)``."""
    return real(p, "p") - positive(lr, "lr") * (real(g, "g") + non_negative(l2, "l2") * p)


def sgd_decoupled_step(p: float, g: float, lr: float, decay: float) -> float:
    """One SGD step with decoupled decay (multiplied by lr, as PyTorch): ``p (1 - lr decay) - lr g``."""
    return real(p, "p") * (1 - positive(lr, "lr") * non_negative(decay, "decay")) - lr * real(g, "g")


def adam_l2_first_step(p: float, g: float, lr: float, l2: float, eps: float) -> float:
    """The first bias-corrected Adam step with L2: ``p - lr (g + l2 p) / (|g + l2 p| + eps)``."""
    d = real(g, "g") + non_negative(l2, "l2") * real(p, "p")
    return p - positive(lr, "lr") * d / (abs(d) + positive(eps, "eps"))


def adamw_first_step(p: float, g: float, lr: float, decay: float, eps: float) -> float:
    """The first AdamW step (PyTorch): ``p (1 - lr decay) - lr g / (|g| + eps)``."""
    lr, g = positive(lr, "lr"), real(g, "g")
    return real(p, "p") * (1 - lr * non_negative(decay, "decay")) - lr * g / (abs(g) + positive(eps, "eps"))


def adamw_decay_factor(lr: float, decay: float) -> float:
    """The factor AdamW (PyTorch) applies to the parameters at a step of rate ``lr``: ``1 - lr decay``.

    PyTorch's ``torch.optim.AdamW`` (and ``Adam(decoupled_weight_decay=True)``) computes
    ``p <- p (1 - lr_t decay)`` before the Adam update, with ``lr_t`` the step's learning rate
    (a scheduler's current value). Loshchilov & Hutter's Algorithm 2 decays by ``eta_t lambda``,
    ``eta_t`` the schedule *multiplier*, not ``alpha eta_t``: with ``lr_t = alpha eta_t``,
    PyTorch's ``decay`` equals the paper's ``lambda / alpha``, and the same ``decay`` means a
    different regularization at a different base rate ``alpha``.

    Args:
        lr: the step's learning rate, ``> 0``.
        decay: PyTorch's ``weight_decay``, ``>= 0``.

    Returns:
        ``1 - lr decay``.

    References:
        Loshchilov & Hutter (2019), arXiv:1711.05101, Algorithm 2, line 12;
        ``torch/optim/adamw.py`` (``param.mul_(1 - lr * weight_decay)``).
    """
    return 1.0 - positive(lr, "lr") * non_negative(decay, "decay")


def paper_decay_from_pytorch(base_lr: float, decay: float) -> float:
    """The paper's ``lambda`` that PyTorch's ``decay`` at base rate ``alpha`` means: ``alpha decay``."""
    return positive(base_lr, "base_lr") * non_negative(decay, "decay")
