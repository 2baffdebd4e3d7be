"""Pre-LN vs Post-LN at initialization: the last layer's gradient by depth (Xiong et al. 2020, Thm. 1).

The check lives in :mod:`properties.layer_checks`: an exact binomial test of ``P(X_1 > X_L) = 1/2``
for independent one-token networks of depths 1 and L (declared effect 0.2), where X is
``||dl/dW_2||`` for Post-LN and ``||dl/dW_2|| sigma(x_L)`` for Pre-LN (whose stream variance grows
linearly: ``test_transformer.py``'s GPT-2 check without scaling).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import layer_checks
from properties import strategies as cs


@pytest.mark.claim("pre-post-ln-gradient-depth")
@pytest.mark.parametrize("norm_first", [False, True])
@given(deeper=st.integers(2, 3), seed=cs.seeds())
@cs.scaled(1)
def test_last_layer_gradient_law_is_depth_free(impl, norm_first: bool, deeper: int, seed: int) -> None:
    """Post-LN: ||dl/dW_2|| has one law at depths 1 and ``deeper``; Pre-LN: ||dl/dW_2|| sigma(x_L) has."""
    layer_checks.verify_depth_free_gradient(impl, norm_first=norm_first, deeper=deeper, seed=seed)
