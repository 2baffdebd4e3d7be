"""The seed documents' numerical experiments: seed 000's neuron, seed 004's chains, seed 001's
ten layers of 500 units (theory_claims.md S11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from properties import compare, decide
from properties import strategies as cs
from properties.decide import Context
from properties.simulation import forward_contributions, log_tolerances, simulate
from theory import experiments, meanfield, seeds


@pytest.mark.claim("seed-000-neuron-std")
@pytest.mark.parametrize("law", ["normal(0, 1)", "normal(0, 1/sqrt(n))"])
@given(seed=cs.seeds())
@cs.scaled(1)
def test_seed_000_neuron(impl, law: str, seed: int) -> None:
    """a = w . x, n = 10,000, x ~ U(-1, 1), w normal: a sqrt(n/3) / |x| ~ N(0, (std of a)^2)."""
    n = seeds.SEED000_INPUTS
    std_w = 1.0 if law == "normal(0, 1)" else 1 / math.sqrt(n)
    rng = np.random.default_rng(seed)

    def sampler(count: int) -> np.ndarray:
        x = impl.uniform((count, n), -1, 1, rng=rng)
        w = impl.normal((count, n), 0, std_w, rng=rng)
        return np.einsum("ij,ij->i", w, x) * math.sqrt(n / 3) / np.linalg.norm(x, axis=1)

    expected = seeds.seed000_preactivation_std(law)
    decide.check_normal_variance(
        Context("seed-000-neuron-std", {"law": law, "n": n}, seed), sampler, expected**2, relative_std=0.1
    )
    # The seed's four laws (theory_claims.md S11.1; catalogue claim seed-000-neuron-std).
    assert {k: round(seeds.seed000_preactivation_std(k), 3) for k in seeds.SEED000_WEIGHT_VARIANCES} == {
        "uniform(-1, 1)": 33.333,
        "normal(0, 1)": 57.735,
        "truncated_normal(0, 1, +-2)": 50.785,
        "normal(0, 1/sqrt(n))": 0.577,
    }
    assert seeds.seed000_probability_outside_unit("normal(0, 1/sqrt(n))") == pytest.approx(0.0833, abs=1e-4)


@pytest.mark.claim("seed-004-growth")
@given(seed=cs.seeds())
@cs.scaled(2)
def test_seed_004_std_grows_twenty_fold_per_layer(impl, seed: int) -> None:
    """Width 400, W ~ N(0, 1): given layer l, h_{l+1, i} sqrt(n) / |h_l| ~ N(0, 400) exactly."""
    rng, width = np.random.default_rng(seed), experiments.SEED004_WIDTH
    growth = experiments.SEED004_GROWTH

    def sampler(count: int) -> np.ndarray:
        chunks, h = [], rng.standard_normal(width)
        while sum(c.size for c in chunks) < count:
            nxt = impl.normal((width, width), rng=rng) @ h
            chunks.append(nxt * math.sqrt(width) / np.linalg.norm(h))
            h = nxt / np.linalg.norm(nxt)  # renormalise so the chain never overflows
        return np.concatenate(chunks)

    decide.check_normal_variance(Context("seed-004-growth", {"width": width}, seed), sampler, growth**2)
    assert growth == 20.0  # the seed's "sqrt(400) = 20, about 20 times per layer" (004, l. 47)


SEED001_CLAIMS = {
    "tanh-normal-std-0.01": "seed-001-tanh-small-init",
    "tanh-normal-std-1": "seed-001-tanh-large-init",
    "tanh-xavier": "seed-001-xavier-tanh",
    "relu-xavier": "seed-001-xavier-relu",
    "relu-he": "seed-001-he-relu",
}


@pytest.mark.parametrize(
    "experiment",
    [pytest.param(e, marks=pytest.mark.claim(SEED001_CLAIMS[e])) for e in sorted(SEED001_CLAIMS)],
)
def test_seed_001_experiments(impl, experiment: str) -> None:
    """10 layers of 500 units, inputs N(0, 1), as seed 001 (mean field predicts every layer)."""
    claim = SEED001_CLAIMS[experiment]
    e = seeds.SEED001_EXPERIMENTS[experiment]
    widths = [seeds.SEED001_WIDTH] * (seeds.SEED001_DEPTH + 1)
    sim = simulate(widths, e.sigma_w2, e.activation, batch=100, seeds=4, seed=1, implementation=impl)
    predicted = np.array(seeds.seed001_preactivation_stds(experiment)) ** 2
    tol = log_tolerances(forward_contributions(widths, list(predicted), e.activation, 100), 4, comparisons=10)
    compare.check_close(
        Context(claim, {"experiment": experiment}),
        np.log(sim.pre.mean(0)),
        np.log(predicted),
        rtol=0,
        atol=tol,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )
    if experiment == "tanh-normal-std-1":
        _, second = meanfield.post_activation_moments(predicted[-1], "tanh")
        # saturated activations: post-tanh std 0.9817 (theory_claims.md S11.3)
        assert math.sqrt(second) == pytest.approx(0.9817, abs=1e-4)
        assert np.mean(sim.post_var[:, -1]) == pytest.approx(second, rel=float(tol[-1]))
    if experiment == "tanh-xavier":
        # not constant: 4x smaller, 0.241 at layer 10 (theory_claims.md S11.3)
        assert math.sqrt(predicted[-1]) == pytest.approx(0.2409, abs=1e-4)


@pytest.mark.claim("seed-004-lecun-preserves")
def test_seed_004_lecun_chain_keeps_unit_std(impl) -> None:
    widths = [experiments.SEED004_WIDTH] * 11
    sim = simulate(widths, 1.0, "linear", batch=50, seeds=4, implementation=impl)
    tol = log_tolerances(forward_contributions(widths, [1.0] * 10, "linear", 50), 4, comparisons=10)
    compare.check_close(
        Context("seed-004-lecun-preserves", {"width": experiments.SEED004_WIDTH}),
        np.log(sim.pre.mean(0)),
        np.zeros(10),
        rtol=0,
        atol=tol,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )
