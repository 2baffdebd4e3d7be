"""Fans of grouped and transposed convolutions, computed on PyTorch's weight layouts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory import fans


@pytest.mark.claim("grouped-and-transposed-conv-fans")
@given(
    groups=st.integers(1, 4),
    in_per_group=st.integers(1, 8),
    out_per_group=st.integers(1, 8),
    kernel=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    transposed=st.booleans(),
)
def test_grouped_and_transposed_conv_fans(
    impl, groups: int, in_per_group: int, out_per_group: int, kernel: list[int], transposed: bool
) -> None:
    in_channels, out_channels = groups * in_per_group, groups * out_per_group
    weight = (in_channels, out_per_group, *kernel) if transposed else (out_channels, in_per_group, *kernel)
    expected = fans.conv_weight_fans(in_channels, out_channels, kernel, groups, transposed)
    assert tuple(impl.compute_fans(weight)) == expected
