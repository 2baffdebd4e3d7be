"""Verifications shared by the suite and by the mutant catalogue (``test_power.py``).

Each function verifies one implementation function against theory for one case, with the
decision rules of :mod:`properties.decide`; the suite calls them on ``impls``, the power tests
on realistic bugs, so every mutant is caught by exactly the checks the suite runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from properties import compare, decide
from properties.decide import Context
from properties.sampling import Calls, pooled
from theory import distributions, haar
from theory.gaussian import expectation

Initializer = Callable[..., np.ndarray]


def verify_scheme(
    init: Initializer,
    scheme: str,
    shape: tuple[int, ...],
    params: dict[str, Any],
    *,
    claim: str,
    seed: int,
    dtype: Any = np.float64,
    relative_std: float = 0.05,
    cdf_effect: float = 0.02,
    variance_claim: str | None = None,
) -> None:
    """Verify that ``init(shape, **params)`` has ``scheme``'s law: its variance and its CDF.

    The variance check is the exact chi-square test for normal laws, Bernstein's inequality for
    bounded ones (uniform, truncated normal), with the law's kurtosis; the CDF check is DKW.
    The variance check is recorded under ``variance_claim`` (default ``claim``). The two checks
    share one pool of draws (:func:`properties.sampling.pooled`).
    """
    law = distributions.scheme(scheme, shape, **params)
    rng = np.random.default_rng(seed)
    case = {"scheme": scheme, "shape": shape, "dtype": np.dtype(dtype).name, **params}
    calls = Calls(init, shape, **params, dtype=dtype)
    call = calls.framework_call(rng)
    context = Context(claim, case, seed, call)
    variance_context = Context(variance_claim or claim, case, seed, call)
    sampler = pooled(calls, rng)
    mean, variance = law.mean, law.variance
    if law.family == "normal":
        decide.check_normal_variance(
            variance_context, sampler, variance, mean=mean, relative_std=relative_std
        )
    else:
        low, high = law.support
        bound = max(abs(low - mean), abs(high - mean)) if law.bounded else None
        decide.check_variance(
            variance_context,
            sampler,
            variance,
            law.kurtosis,
            mean=mean,
            bound=bound,
            relative_std=relative_std,
        )
    decide.check_cdf(context, sampler, law.frozen, effect=cdf_effect)


def verify_orthogonal_haar(orthogonal: Initializer, n: int, *, seed: int, claim_prefix: str = "haar") -> None:
    """Verify that ``orthogonal((n, n))`` is Haar: det sign, entry sign and law, trace moments.

    The five checks share one sequence of independent matrices, each taking its first ``k``
    (see :func:`properties.sampling.pooled` for why sharing leaves every rate as declared); the
    matrices are drawn in batches of calls (:class:`properties.sampling.Calls`).
    """
    rng = np.random.default_rng(seed)
    case = {"shape": (n, n)}
    calls = Calls(orthogonal, (n, n))
    call = calls.framework_call(rng)
    drawn: list[np.ndarray] = []

    def matrices(count: int) -> np.ndarray:
        if count > len(drawn):
            drawn.extend(calls.at_least(count - len(drawn), rng, n * n))
        return np.stack(drawn[:count])

    decide.check_proportion(
        Context("haar-determinant", case, seed, call),
        lambda k: np.linalg.det(matrices(k)) > 0,
        haar.DET_PLUS_PROBABILITY,
        effect=0.05,
    )
    decide.check_proportion(
        Context("haar-entry-law", case, seed, call),
        lambda k: matrices(k)[:, 0, 0] < 0,
        haar.NEGATIVE_ENTRY_PROBABILITY,
        effect=0.05,
    )
    decide.check_cdf(
        Context("haar-entry-law", case, seed, call),
        lambda k: matrices(k)[:, 0, 0] ** 2,
        haar.entry_square_law(n),
        effect=0.05,
    )
    decide.check_mean(
        Context("haar-trace-moments", case, seed, call),
        lambda k: np.trace(matrices(k), axis1=1, axis2=2),
        haar.TRACE_MEAN,
        haar.TRACE_VARIANCE,
        effect=0.5,
    )
    decide.check_mean(
        Context("haar-trace-moments", case, seed, call),
        lambda k: np.trace(matrices(k), axis1=1, axis2=2) ** 2,
        haar.TRACE_VARIANCE,
        haar.trace_fourth_moment_bound() - haar.TRACE_VARIANCE**2,
        effect=0.5,
    )


def orthogonality_bound(n: int, dtype: Any = np.float64) -> float:
    """The ``||Q^T Q - I||`` (entrywise or 2-norm) allowed for an orthogonal matrix with ``n``
    rows or columns from Householder QR, in ``dtype``: ``50 n eps``.

    Higham, *Accuracy and Stability of Numerical Algorithms* (2002), Thm 19.4, bounds it by
    O(n^{3/2} u) in the worst case; ~n u is typical. A bound fixed in advance, never the deviation
    measured on the implementation's own output (that would let a non-orthogonal or wrongly
    scaled matrix set its own tolerance). Shared by the ``orthogonal-identity``,
    delta-orthogonal and orthogonal-recurrence checks.
    """
    return 50 * float(np.finfo(dtype).eps) * n


def verify_truncated_support(
    w: np.ndarray, low: float, high: float, case: dict[str, Any], *, on_a_bound: bool = True
) -> None:
    """Every draw of a truncated normal lies strictly inside ``(low, high)`` (bounds in ``w``'s dtype).

    Two exact checks, in this order: no draw beyond a bound (the law's support is ``[a, b]``),
    then, unless ``on_a_bound`` is false, no draw *on* a bound (a continuous law puts probability
    0 there, so a draw that rounding put on a bound must be redrawn; a target may declare that it
    keeps them, see :class:`properties.targets.Deviation`).
    """
    low_, high_ = w.dtype.type(low), w.dtype.type(high)
    parts = [("beyond a bound", np.count_nonzero((w < low_) | (w > high_) | np.isnan(w)))]
    if on_a_bound:
        parts.append(("on a bound", np.count_nonzero((w == low_) | (w == high_))))
    for part, count in parts:
        compare.check_close(
            Context("truncated-normal-support", {**case, "part": part}),
            count,
            0,
            rtol=0.0,
            derivation=f"draws {part}: the support is the open interval (a, b)",
        )


def verify_sparse(
    sparse: Initializer, shape: tuple[int, int], sparsity: float, std: float, *, seed: int
) -> None:
    """Verify sparse's structure (exact zero count per column) and its non-zeros' N(0, std^2)."""
    rng = np.random.default_rng(seed)
    case = {"shape": shape, "sparsity": sparsity, "std": std}
    expected_zeros = math.ceil(sparsity * shape[0])
    context = Context("sparse-structure", case, seed)

    counts: list[np.ndarray] = []

    def nonzeros(r: np.random.Generator) -> np.ndarray:
        w = sparse(shape, sparsity, std, rng=r)
        counts.append(np.count_nonzero(w == 0, axis=0))
        return w[w != 0]

    if expected_zeros < shape[0]:
        sampler = pooled(nonzeros, rng)
        decide.check_normal_variance(context, sampler, std**2)
        decide.check_cdf(context, sampler, distributions.scheme("normal", shape, std=std).frozen)
    else:
        nonzeros(rng)
    zeros = np.concatenate(counts)
    compare.check_close(context, zeros, np.full(zeros.shape, expected_zeros), rtol=0.0)


def verify_constant_gradient_steps(
    make_optimizer: Callable[[], Any],
    predicted_step: Callable[[int], float],
    g: float,
    *,
    claim: str,
    steps: int = 5,
    case: dict[str, Any] | None = None,
) -> None:
    """Run an optimizer on a constant gradient ``g`` and compare every step with theory's."""
    opt = make_optimizer()
    p, state, measured = np.zeros(1), opt.init(np.zeros(1)), []
    for _ in range(steps):
        new, state = opt.step(p, np.array([g]), state)
        measured.append(float((p - new)[0]))
        p = new
    compare.check_close(
        Context(claim, {"g": g, "steps": steps, **(case or {})}),
        measured,
        [predicted_step(t) for t in range(1, steps + 1)],
        rtol=1e-9,
    )


def verify_bce_with_logits(bce: Callable[..., np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
    """Compare ``bce(x, y, reduction="none")`` with the exact stable form, elementwise."""
    from theory import losses

    expected = [losses.bce_with_logits(float(a), float(b)) for a, b in zip(x, y, strict=True)]
    with np.errstate(all="ignore"):
        measured = bce(x, y, reduction="none")
    compare.check_close(
        Context("bce-with-logits-stable", {"x": list(x), "y": list(y), "dtype": np.asarray(x).dtype.name}),
        measured,
        expected,
        rtol=1e-12,
        atol=1e-300,
    )


def gaussian_expectation(f: Callable[[np.ndarray], np.ndarray], q: float = 1.0) -> float:
    """``E f(sqrt(q) z)`` for an elementwise array function ``f`` (e.g. an impls activation).

    Uses theory's quadrature (:func:`theory.gaussian.expectation`): the integrator is a numerical
    tool shared by both sides; the function integrated is the implementation under test.
    """
    return expectation(lambda x: float(f(np.array([x]))[0]), q)


def verify_gains(
    f: Callable[..., np.ndarray], df: Callable[..., np.ndarray], name: str, **params: Any
) -> None:
    """The forward, backward and variance gains of ``f`` (by quadrature) against theory's ``name``."""
    from theory import activations

    second, first = gaussian_expectation(lambda v: f(v) ** 2), gaussian_expectation(f)
    slope = gaussian_expectation(lambda v: df(v) ** 2)
    expected = activations.gains(name, **params)
    compare.check_close(
        Context("activation-gains", {"activation": name, **params}),
        [1 / math.sqrt(second), 1 / math.sqrt(slope), 1 / math.sqrt(second - first**2)],
        [expected.forward, expected.backward, expected.variance],
        rtol=1e-8,
    )
