"""The samplers: how many calls they make, and which values they hand to a check."""

from __future__ import annotations

import numpy as np
import pytest

from properties.sampling import MANY_VALUES, Calls, pooled, repeated


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


class Batched:
    """``draw(size, rng=)``: ``size`` draws of one Generator; ``draw.many`` the same calls at once
    (or, ``wrong``, one value off), counting both kinds of call."""

    def __init__(self, wrong: bool = False) -> None:
        self.wrong, self.calls, self.batches = wrong, 0, []

    def __call__(self, size: int, *, rng: np.random.Generator) -> np.ndarray:
        self.calls += 1
        return rng.random(size)

    def many(self, count: int, size: int, *, rng: np.random.Generator) -> np.ndarray:
        self.batches.append(count)
        out = rng.random((count, size))
        out[0, 0] += self.wrong
        return out


def test_calls_take_a_batch_that_is_the_calls() -> None:
    function = Batched()
    batch = Calls(function, 3).take(4, np.random.default_rng(0))
    generator = np.random.default_rng(0)
    assert np.array_equal(batch, np.stack([generator.random(3) for _ in range(4)]))
    assert function.batches == [4] and function.calls == 1  # one plain call checks the batch


def test_a_batch_that_is_not_the_calls_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"many\(4\) is not 4 calls"):
        Calls(Batched(wrong=True), 3).take(4, np.random.default_rng(0))


def test_at_least_makes_powers_of_two_within_the_batch_cap() -> None:
    function = Batched()
    out = Calls(function, 2).at_least(5, np.random.default_rng(0), values_per_call=2)
    assert out.shape == (8, 2) and function.batches == [8]
    function = Batched()
    out = Calls(function, 3).at_least(5, np.random.default_rng(0), values_per_call=MANY_VALUES // 2)
    assert out.shape == (5, 3) and function.batches == [2, 2]  # and one plain call for the fifth


def test_pooled_calls_make_one_call_then_batches() -> None:
    function = Batched()
    sampler = pooled(Calls(function, 10), np.random.default_rng(0))
    assert sampler(95).size == 95
    assert function.batches == [16]  # 1 plain call, then the 9 more it needs rounded up to 16
    assert function.calls == 2  # the first call, and the plain call that checks the batch


def test_calls_refuse_an_rng_of_their_own() -> None:
    with pytest.raises(TypeError, match="rng is given to each call"):
        Calls(Batched(), 3, rng=0)
