"""Power: every mutant in the catalogue is caught by the same check the suite runs on impls.

Each row names the mutant, the check that catches it, and a case that exposes the bug; the same
check on the real implementation passes (so the check does not simply always fail).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import impls
from properties import mutants
from properties.checks import (
    verify_bce_with_logits,
    verify_constant_gradient_steps,
    verify_gains,
    verify_orthogonal_haar,
    verify_scheme,
    verify_sparse,
)
from properties.decide import CheckFailed
from properties.records import collecting
from theory import optimizers as theory_opt

SEED = 12345


def scheme(init, name, shape, params, claim):
    return lambda f: verify_scheme(f, name, shape, params, claim=claim, seed=SEED)


def adam_steps(g: float, eps: float = 1e-8):
    return lambda make: verify_constant_gradient_steps(
        lambda: make(1e-3, eps=eps),
        lambda _: theory_opt.adam_constant_gradient_step(1e-3, g, eps),
        g,
        claim="adam-constant-gradient",
    )


CATALOGUE: dict[str, tuple[Callable, Callable, str, Callable[[Callable], None]]] = {
    # mutant: (mutant, real implementation, check that catches it, how the check is run)
    "fans swapped": (
        mutants.kaiming_normal_fans_swapped,
        impls.kaiming_normal,
        "verify_scheme (chi-square)",
        scheme(None, "kaiming_normal", (64, 8), {"layout": "torch"}, "he-normal-law"),
    ),
    "xavier without factor 2": (
        mutants.xavier_normal_without_factor_2,
        impls.xavier_normal,
        "verify_scheme (chi-square)",
        scheme(None, "xavier_normal", (30, 20), {"gain": 1.0}, "xavier-normal-law"),
    ),
    "uniform bound sigma instead of sqrt(3) sigma": (
        mutants.xavier_uniform_bound_is_std,
        impls.xavier_uniform,
        "verify_scheme (Bernstein variance)",
        scheme(None, "xavier_uniform", (30, 20), {"gain": 1.0}, "xavier-uniform-law"),
    ),
    "he without factor 2": (
        mutants.kaiming_normal_without_factor_2,
        impls.kaiming_normal,
        "verify_scheme (chi-square)",
        scheme(None, "kaiming_normal", (16, 16), {}, "he-normal-law"),
    ),
    "leaky slope ignored": (
        mutants.kaiming_normal_slope_ignored,
        impls.kaiming_normal,
        "verify_scheme (chi-square)",
        scheme(None, "kaiming_normal", (16, 16), {"a": 0.5}, "he-leaky-variance"),
    ),
    "kaiming mode ignored": (
        mutants.kaiming_uniform_mode_ignored,
        impls.kaiming_uniform,
        "verify_scheme (Bernstein variance)",
        scheme(None, "kaiming_uniform", (8, 32), {"mode": "fan_out"}, "he-fan-out"),
    ),
    "truncated normal without std correction": (
        mutants.variance_scaling_uncorrected,
        impls.variance_scaling,
        "verify_scheme (Bernstein variance)",
        scheme(None, "variance_scaling", (20, 10), {}, "variance-scaling-truncated-correction"),
    ),
    "truncated normal clamped instead of resampled": (
        mutants.truncated_normal_clamped,
        impls.truncated_normal,
        "verify_scheme (Bernstein variance, DKW)",
        scheme(None, "truncated_normal", (50,), {}, "truncated-normal-law"),
    ),
    "conv fan without receptive field": (
        mutants.kaiming_uniform_without_receptive_field,
        impls.kaiming_uniform,
        "verify_scheme (Bernstein variance)",
        scheme(None, "kaiming_uniform", (8, 4, 3, 3), {}, "he-uniform-law"),
    ),
    "nn.Linear default without a = sqrt 5": (
        mutants.pytorch_linear_default_as_he,
        impls.pytorch_linear_default,
        "verify_scheme (Bernstein variance)",
        scheme(None, "pytorch_linear_default", (10, 10), {}, "pytorch-linear-default"),
    ),
    "orthogonal without sign correction": (
        mutants.orthogonal_without_sign_correction,
        impls.orthogonal,
        "verify_orthogonal_haar (exact binomial on det)",
        lambda f: verify_orthogonal_haar(f, 3, seed=SEED),
    ),
    "sparse with floor instead of ceil": (
        mutants.sparse_with_floor,
        impls.sparse,
        "verify_sparse (exact zero count)",
        lambda f: verify_sparse(f, (10, 6), 0.25, 0.1, seed=SEED),
    ),
    "adam without bias correction": (
        mutants.adam_without_bias_correction,
        impls.adam,
        "verify_constant_gradient_steps",
        adam_steps(0.5),
    ),
    "adam with eps inside the square root": (
        mutants.adam_eps_inside_sqrt,
        impls.adam,
        "verify_constant_gradient_steps",
        adam_steps(1e-4),
    ),
    "rmsprop with eps inside the square root": (
        mutants.rmsprop_eps_inside_sqrt,
        impls.rmsprop,
        "verify_constant_gradient_steps",
        lambda make: verify_constant_gradient_steps(
            lambda: make(1e-2, alpha=0.99, eps=1e-8),
            lambda t: theory_opt.rmsprop_constant_gradient_step(1e-2, 1e-4, 0.99, t, 1e-8),
            1e-4,
            claim="rmsprop-constant-gradient",
        ),
    ),
    "adagrad ignoring lr_decay": (
        mutants.adagrad_ignoring_lr_decay,
        impls.adagrad,
        "verify_constant_gradient_steps",
        lambda make: verify_constant_gradient_steps(
            lambda: make(0.1, lr_decay=0.5),
            lambda t: theory_opt.adagrad_constant_gradient_step(0.1, 1.0, t, 1e-10, 0.5),
            1.0,
            claim="adagrad-constant-gradient",
        ),
    ),
    "naive bce-with-logits": (
        mutants.bce_with_logits_naive,
        impls.binary_cross_entropy_with_logits,
        "verify_bce_with_logits",
        lambda f: verify_bce_with_logits(f, np.array([3.0, 40.0, -800.0]), np.array([0.3, 0.0, 0.3])),
    ),
    "gelu tanh approximation where exact is claimed": (
        (mutants.gelu_tanh_as_exact, mutants.gelu_tanh_as_exact_derivative),
        (impls.gelu, impls.ACTIVATIONS["gelu"].derivative),
        "verify_gains (quadrature)",
        lambda fs: verify_gains(fs[0], fs[1], "gelu"),
    ),
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_mutant_is_caught(name: str) -> None:
    mutant, real, _check, run = CATALOGUE[name]
    # The checks' records stay in this test's own collector: they are about the mutants, not
    # evidence for the claims, so they must not reach the claims report.
    with collecting() as records:
        with pytest.raises(CheckFailed):
            run(mutant)
        run(real)  # the same check passes on impls
    assert records[-1].passed


def test_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) >= 15
