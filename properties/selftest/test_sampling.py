"""The samplers: how many calls they make, and which values they hand to a check."""

from __future__ import annotations

import numpy as np
import pytest

from properties.sampling import pooled, repeated


class Counter:
    """A draw of ``size`` consecutive integers (0, 1, 2, ... across calls), counting its calls."""

    def __init__(self, size: int) -> None:
        self.size, self.calls = size, 0

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        start = self.calls * self.size
        self.calls += 1
        return np.arange(start, start + self.size)


def test_pooled_calls_serve_the_largest_request_not_the_sum() -> None:
    draw = Counter(10)
    sampler = pooled(draw, np.random.default_rng(0))
    first = sampler(25)
    assert draw.calls == 3 and first.size == 25
    second = sampler(30)  # the pool holds 30 values already: no new call
    assert draw.calls == 3 and np.array_equal(second, np.arange(30.0))
    third = sampler(45)
    assert draw.calls == 5 and third.size == 45


def test_pooled_values_are_distinct_values_of_the_pool_in_their_order() -> None:
    sampler = pooled(Counter(7), np.random.default_rng(1))
    values = sampler(50)  # 8 calls, 56 values: 50 of them
    assert values.dtype == np.float64 and values.size == 50
    assert np.all(np.diff(values) > 0) and values.max() <= 55  # distinct, in order, from the pool
    assert sampler(0).size == 0


def test_repeated_draws_anew_for_every_request() -> None:
    draw = Counter(10)
    sampler = repeated(draw, np.random.default_rng(0))
    sampler(25)
    sampler(25)
    assert draw.calls == 6


@pytest.mark.parametrize("make", [pooled, repeated])
def test_an_empty_draw_is_an_error_not_a_hang(make) -> None:
    sampler = make(lambda rng: np.empty(0), np.random.default_rng(0))
    with pytest.raises(ValueError, match="draw returned no values"):
        sampler(3)
