"""Power: every mutant in the catalogue is caught by the same check the suite runs on impls.

A mutant is a target: impls with one public function replaced (``Target.derive``), run through
the same path as any implementation under test. Each row names the functions it replaces, the
check that catches it, and how the check is run on a target; the same check on impls passes (so
the check does not simply always fail).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import impls
from properties import layer_checks, mutants
from properties.checks import (
    verify_bce_with_logits,
    verify_constant_gradient_steps,
    verify_gains,
    verify_orthogonal_haar,
    verify_scheme,
    verify_sparse,
    verify_truncated_support,
)
from properties.decide import CheckFailed
from properties.records import collecting
from properties.targets import Target
from properties.targets.reference import target as reference_target
from theory import optimizers as theory_opt

SEED = 12345
REFERENCE = reference_target()
BCE_LOGITS, BCE_TARGETS = np.array([3.0, 40.0, -800.0]), np.array([0.3, 0.0, 0.3])


def scheme(public_name, name, shape, params, claim):
    return lambda t: verify_scheme(getattr(t, public_name), name, shape, params, claim=claim, seed=SEED)


def adam_steps(g: float, eps: float = 1e-8):
    return lambda t: verify_constant_gradient_steps(
        lambda: t.adam(1e-3, eps=eps),
        lambda _: theory_opt.adam_constant_gradient_step(1e-3, g, eps),
        g,
        claim="adam-constant-gradient",
    )


CATALOGUE: dict[str, tuple[dict[str, Any], str, Callable[[Target], None]]] = {
    # mutant: (the public names it replaces in impls, the check that catches it, how it is run on a target)
    "fans swapped": (
        {"kaiming_normal": mutants.kaiming_normal_fans_swapped},
        "verify_scheme (chi-square)",
        scheme("kaiming_normal", "kaiming_normal", (64, 8), {"layout": "torch"}, "he-normal-law"),
    ),
    "xavier without factor 2": (
        {"xavier_normal": mutants.xavier_normal_without_factor_2},
        "verify_scheme (chi-square)",
        scheme("xavier_normal", "xavier_normal", (30, 20), {"gain": 1.0}, "xavier-normal-law"),
    ),
    "uniform bound sigma instead of sqrt(3) sigma": (
        {"xavier_uniform": mutants.xavier_uniform_bound_is_std},
        "verify_scheme (Bernstein variance)",
        scheme("xavier_uniform", "xavier_uniform", (30, 20), {"gain": 1.0}, "xavier-uniform-law"),
    ),
    "he without factor 2": (
        {"kaiming_normal": mutants.kaiming_normal_without_factor_2},
        "verify_scheme (chi-square)",
        scheme("kaiming_normal", "kaiming_normal", (16, 16), {}, "he-normal-law"),
    ),
    "leaky slope ignored": (
        {"kaiming_normal": mutants.kaiming_normal_slope_ignored},
        "verify_scheme (chi-square)",
        scheme("kaiming_normal", "kaiming_normal", (16, 16), {"a": 0.5}, "he-leaky-variance"),
    ),
    "kaiming mode ignored": (
        {"kaiming_uniform": mutants.kaiming_uniform_mode_ignored},
        "verify_scheme (Bernstein variance)",
        scheme("kaiming_uniform", "kaiming_uniform", (8, 32), {"mode": "fan_out"}, "he-fan-out"),
    ),
    "truncated normal without std correction": (
        {"variance_scaling": mutants.variance_scaling_uncorrected},
        "verify_scheme (Bernstein variance)",
        scheme("variance_scaling", "variance_scaling", (20, 10), {}, "variance-scaling-truncated-correction"),
    ),
    "truncated normal clamped instead of resampled": (
        {"truncated_normal": mutants.truncated_normal_clamped},
        "verify_scheme (Bernstein variance, DKW)",
        scheme("truncated_normal", "truncated_normal", (50,), {}, "truncated-normal-law"),
    ),
    "conv fan without receptive field": (
        {"kaiming_uniform": mutants.kaiming_uniform_without_receptive_field},
        "verify_scheme (Bernstein variance)",
        scheme("kaiming_uniform", "kaiming_uniform", (8, 4, 3, 3), {}, "he-uniform-law"),
    ),
    "nn.Linear default without a = sqrt 5": (
        {"pytorch_linear_default": mutants.pytorch_linear_default_as_he},
        "verify_scheme (Bernstein variance)",
        scheme("pytorch_linear_default", "pytorch_linear_default", (10, 10), {}, "pytorch-linear-default"),
    ),
    "orthogonal without sign correction": (
        {"orthogonal": mutants.orthogonal_without_sign_correction},
        "verify_orthogonal_haar (exact binomial on det)",
        lambda t: verify_orthogonal_haar(t.orthogonal, 3, seed=SEED),
    ),
    "sparse with floor instead of ceil": (
        {"sparse": mutants.sparse_with_floor},
        "verify_sparse (exact zero count)",
        lambda t: verify_sparse(t.sparse, (10, 6), 0.25, 0.1, seed=SEED),
    ),
    "adam without bias correction": (
        {"adam": mutants.adam_without_bias_correction},
        "verify_constant_gradient_steps",
        adam_steps(0.5),
    ),
    "adam with eps inside the square root": (
        {"adam": mutants.adam_eps_inside_sqrt},
        "verify_constant_gradient_steps",
        adam_steps(1e-4),
    ),
    "rmsprop with eps inside the square root": (
        {"rmsprop": mutants.rmsprop_eps_inside_sqrt},
        "verify_constant_gradient_steps",
        lambda t: verify_constant_gradient_steps(
            lambda: t.rmsprop(1e-2, alpha=0.99, eps=1e-8),
            lambda t: theory_opt.rmsprop_constant_gradient_step(1e-2, 1e-4, 0.99, t, 1e-8),
            1e-4,
            claim="rmsprop-constant-gradient",
        ),
    ),
    "adagrad ignoring lr_decay": (
        {"adagrad": mutants.adagrad_ignoring_lr_decay},
        "verify_constant_gradient_steps",
        lambda t: verify_constant_gradient_steps(
            lambda: t.adagrad(0.1, lr_decay=0.5),
            lambda t: theory_opt.adagrad_constant_gradient_step(0.1, 1.0, t, 1e-10, 0.5),
            1.0,
            claim="adagrad-constant-gradient",
        ),
    ),
    "naive bce-with-logits": (
        {"binary_cross_entropy_with_logits": mutants.bce_with_logits_naive},
        "verify_bce_with_logits",
        lambda t: verify_bce_with_logits(t.binary_cross_entropy_with_logits, BCE_LOGITS, BCE_TARGETS),
    ),
    "gelu tanh approximation where exact is claimed": (
        {
            "gelu": mutants.gelu_tanh_as_exact,
            "ACTIVATIONS": {**impls.ACTIVATIONS, "gelu": mutants.GELU_TANH_AS_EXACT},
        },
        "verify_gains (quadrature)",
        lambda t: verify_gains(t.gelu, t.ACTIVATIONS["gelu"].derivative, "gelu"),
    ),
    "pre-ln stack built as post-ln": (
        {"transformer_forward": mutants.transformer_forward_norm_first_ignored},
        "verify_prenorm_stream (median of means)",
        lambda t: layer_checks.verify_prenorm_stream(
            t,
            claim="gpt2-prenorm-residual-scaling",
            blocks=1,
            std=0.125,
            output_std=0.125 / 2**0.5,
            seed=SEED,
        ),
    ),
    "pre-ln final layernorm forgotten": (
        {"transformer_forward": mutants.transformer_forward_final_norm_ignored},
        "verify_depth_free_gradient (exact binomial)",
        lambda t: layer_checks.verify_depth_free_gradient(t, norm_first=True, deeper=2, seed=SEED),
    ),
    "batchnorm backward with constant statistics": (
        {"batch_norm_backward": mutants.batch_norm_backward_constant_statistics},
        "verify_batchnorm_gradient_factor (median of means)",
        lambda t: layer_checks.verify_batchnorm_gradient_factor(t, batch=6, width=16, seed=SEED),
    ),
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_mutant_is_caught(name: str) -> None:
    replacements, _check, run = CATALOGUE[name]
    mutant = REFERENCE.derive(f"mutant: {name}", replacements)
    # The checks' records stay in this test's own collector: they are about the mutants, not
    # evidence for the claims, so they must not reach the claims report.
    with collecting() as records:
        with pytest.raises(CheckFailed):
            run(mutant)
        run(REFERENCE)  # the same check passes on impls
    assert records[-1].passed


def test_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) >= 15


# --------------------------------------------------------------------------------------------
# Broken adapters: the target path itself has power
# --------------------------------------------------------------------------------------------


def _torch_target() -> Target:
    pytest.importorskip("torch")
    from properties.targets import torch as torch_adapter

    return torch_adapter.target()


def _jax_target() -> Target:
    pytest.importorskip("optax")
    from properties.targets import jax as jax_adapter

    return jax_adapter.target()


def _keras_jax_target() -> Target:
    """keras-jax, unless Keras is already loaded on another backend in this process (importing
    Keras fixes its backend, so it is looked up, not imported, here)."""
    import importlib.util
    import sys

    for module in ("keras", "jax"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"keras-jax needs {module}, which is not installed")

    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != "jax":
            pytest.skip("keras is loaded with another backend in this process")
    from properties.targets import loading

    return loading.load("keras-jax")


def _fan_swapped(name: str) -> Callable[[Target], dict[str, Any]]:
    """``name`` (a kaiming initializer) translated with fan_in and fan_out exchanged."""

    def breaking(target: Target) -> dict[str, Any]:
        original = getattr(target, name)

        def swapped(shape: Any, a: float = 0.0, mode: str = "fan_in", *args: Any, **kwargs: Any) -> Any:
            return original(shape, a, "fan_out" if mode.lower() == "fan_in" else "fan_in", *args, **kwargs)

        return {name: swapped}

    return breaking


def _truncation_clamped(target: Target) -> dict[str, Any]:
    """truncated_normal as a normal draw clamped into [a, b] (pytorch#155588's bug, in an adapter)."""
    import torch

    def truncated_normal(
        shape: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, **kwargs: Any
    ) -> np.ndarray:
        w = target.normal(shape, mean, std, **kwargs)
        return torch.clamp(torch.from_numpy(w), a, b).numpy()

    return {"truncated_normal": truncated_normal}


def _adam_eps_in_root(target: Target) -> dict[str, Any]:
    """adam translated onto Optax with eps inside the root (``eps_root``) instead of outside."""
    from properties.targets import jax as jax_adapter

    def adam(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, **_: Any) -> Any:
        rule = jax_adapter._made("optax.adam", lr, betas[0], betas[1], eps=0.0, eps_root=eps)
        return jax_adapter._optax_optimizer(rule)

    return {"adam": adam}


def _norm_first_flipped(target: Target) -> dict[str, Any]:
    """transformer_forward translated onto nn.TransformerEncoderLayer with norm_first inverted
    (Post-LN built where Pre-LN is asked, and the reverse)."""
    from properties.targets import torch_layers

    def transformer_forward(
        layers: Any, x: Any, *, nhead: int, norm_first: bool = False, **kwargs: Any
    ) -> Any:
        return torch_layers.transformer_forward(layers, x, nhead=nhead, norm_first=not norm_first, **kwargs)

    return {"transformer_forward": transformer_forward}


def _support(t: Target) -> None:
    w = t.truncated_normal((64, 64), 0.0, 1.0, -0.5, 0.5, rng=SEED)
    verify_truncated_support(w, -0.5, 0.5, {"a": -0.5, "b": 0.5})


BROKEN_ADAPTERS: dict[
    str, tuple[Callable[[], Target], Callable[[Target], dict[str, Any]], Callable[[Target], None]]
] = {
    # broken adapter: (the framework target, the broken translation, the check that catches it)
    "torch: fans swapped": (
        _torch_target,
        _fan_swapped("kaiming_normal"),
        scheme("kaiming_normal", "kaiming_normal", (64, 8), {"layout": "torch"}, "he-normal-law"),
    ),
    "jax: fans swapped": (  # JAX's he_normal is truncated (a declared convention): its uniform
        _jax_target,
        _fan_swapped("kaiming_uniform"),
        scheme("kaiming_uniform", "kaiming_uniform", (64, 8), {"layout": "torch"}, "he-uniform-law"),
    ),
    "keras-jax: fans swapped": (  # Keras's HeNormal is truncated (declared): its HeUniform
        _keras_jax_target,
        _fan_swapped("kaiming_uniform"),
        scheme("kaiming_uniform", "kaiming_uniform", (64, 8), {"layout": "torch"}, "he-uniform-law"),
    ),
    "torch: truncation by clamping": (_torch_target, _truncation_clamped, _support),
    "jax: adam epsilon inside the root": (_jax_target, _adam_eps_in_root, adam_steps(1e-4, eps=1e-6)),
    "torch: encoder layer built with norm_first inverted": (
        _torch_target,
        _norm_first_flipped,
        CATALOGUE["pre-ln stack built as post-ln"][2],  # verify_prenorm_stream, Pre-LN asked
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_ADAPTERS))
def test_broken_adapter_is_caught(name: str) -> None:
    load, breaking, run = BROKEN_ADAPTERS[name]
    target = load()
    broken = target.derive(f"broken adapter: {name}", breaking(target))
    with collecting() as records:
        with pytest.raises(CheckFailed):
            run(broken)
        run(target)  # the same check passes through the correct adapter
    assert records[-1].passed
