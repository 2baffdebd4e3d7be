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
