"""The loss at initialization, and the logits that label smoothing drives towards.

With all logits equal (e.g. a zero-initialized classifier) the softmax is uniform and the
cross-entropy is exactly ``ln K`` for K classes. Label smoothing with ``epsilon`` replaces the
one-hot target by ``q_y = 1 - epsilon + epsilon / K`` and ``q_c = epsilon / K``; the cross-entropy
is minimized where the softmax equals ``q``, i.e. at the logit gap
``z_y - z_c = log(q_y / q_c) = log(1 + K (1 - epsilon) / epsilon)``.

References: Zhang, Dauphin & Ma (2019), arXiv:1901.09321, Sec. 3 (zero classifier, loss ln K);
Szegedy et al. (2016), "Rethinking the inception architecture", CVPR, arXiv:1512.00567, Sec. 7;
Müller, Kornblith & Hinton (2019), "When does label smoothing help?", NeurIPS, arXiv:1906.02629.
"""

from __future__ import annotations

import math

from theory._domain import positive_int, real


def uniform_logits_cross_entropy(classes: int) -> float:
    """Cross-entropy of equal logits: ``ln K``."""
    return math.log(positive_int(classes, "classes"))


def label_smoothing_optimal_gap(classes: int, epsilon: float) -> float:
    """The minimizing gap between the target's logit and every other: ``log(1 + K (1 - e) / e)``.

    Args:
        classes: K >= 2.
        epsilon: the smoothing in (0, 1].

    Returns:
        ``z_y - z_c`` at the optimum (0 at ``epsilon = 1``: uniform targets).
    """
    k = positive_int(classes, "classes")
    if k < 2:
        raise ValueError(f"classes must be >= 2, got {k}")
    e = real(epsilon, "epsilon")
    if not 0 < e <= 1:
        raise ValueError(f"epsilon must be in (0, 1], got {e}")
    return math.log1p(k * (1 - e) / e)
