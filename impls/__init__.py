"""Reference NumPy implementations: initializers, activations, losses, optimizers, a network.

Everything public is re-exported here; see each module for formulas and references. ``impls``
imports nothing else of the project (``theory`` derives its predictions independently).

Dtypes
------
One policy for the whole library:

- **Accepted and preserved:** the floating dtypes float16, bfloat16 (``ml_dtypes.bfloat16``,
  when ml_dtypes is installed; NumPy has none), float32 and float64. A result has the dtype asked
  for (initializers: the ``dtype`` argument, float64 by default) or the input's floating dtype.
- **Computed in float32 or wider, rounded once:** float16 and bfloat16 values are computed in
  float32 by the initializers (they draw their random numbers in float32) and in float64 by the
  activations, losses and optimizers, and rounded once to the requested dtype; float32 and
  float64 are computed natively by the initializers. Where float32 cannot hold an intermediate
  (a bound beyond its range, a truncated normal's far tail), the computation runs in float64,
  still with one rounding at the end.
- **Integers, as PyTorch:** ``sigmoid`` and ``tanh`` promote integer input to float32,
  ``relu`` and ``linear`` keep an integer dtype, ``softsign`` promotes integers and refuses bool;
  every other activation, every derivative, loss and optimizer refuses integers.
- **Refused:** any other dtype (bool, complex, float128, byte-swapped floats, strings; integers
  where the previous point does not accept them; any non-floating ``dtype`` argument of an
  initializer) is a ``TypeError`` that names the ``dtype`` argument (or the array argument whose
  dtype it is).
- **Not representable:** a value the requested dtype cannot hold (a bound, a mean, a fill value
  beyond its largest finite value) is a ``ValueError`` naming the argument, never a silent
  ``inf`` or NaN.

Contract types: :data:`RngLike` (what every ``rng`` accepts) and :class:`Initializer` (what
:func:`init_mlp` calls: ``init(shape, *, rng, dtype)``, which every initializer satisfies).
"""

from impls._types import Initializer, RngLike
from impls.activations import (
    ACTIVATIONS,
    SELU_ALPHA,
    SELU_SCALE,
    Activation,
    elu,
    gelu,
    get_activation,
    leaky_relu,
    relu,
    selu,
    sigmoid,
    silu,
    softplus,
    softsign,
    tanh,
)
from impls.attention import attention_scores, scaled_dot_product_attention
from impls.delta_orthogonal import delta_orthogonal
from impls.dropout import dropout
from impls.fans import calculate_gain, compute_fans
from impls.initializers import (
    TRUNCATED_STD_2SIGMA,
    constant,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    ones,
    orthogonal,
    pytorch_linear_default,
    sparse,
    truncated_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from impls.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    kl_divergence,
    log_softmax,
    nll_loss,
    softmax,
)
from impls.lsuv import LSUVResult, lsuv
from impls.network import Backward, Forward, backward, forward, init_mlp, input_gradient, jacobian
from impls.normalization import (
    batch_norm,
    batch_norm_backward,
    layer_norm,
    layer_norm_backward,
    rms_norm,
    rms_norm_backward,
)
from impls.optimizers import (
    Optimizer,
    adagrad,
    adam,
    adamw,
    clip_grad_norm,
    clip_grad_value,
    rmsprop,
    sgd,
)
from impls.parametrization import (
    PARAMETRIZATIONS,
    PARAMETRIZED_OPTIMIZERS,
    LayerScaling,
    init_parametrized_mlp,
    layer_learning_rates,
    layer_scalings,
    parametrized_backward,
    parametrized_forward,
    parametrized_optimizer,
)
from impls.residual import ResidualForward, init_residual_mlp, residual_backward, residual_forward
from impls.transformer import (
    StackCache,
    TransformerCache,
    init_transformer_layer,
    transformer_backward,
    transformer_forward,
    transformer_layer_backward,
    transformer_layer_forward,
)

__all__ = [
    "ACTIVATIONS",
    "PARAMETRIZATIONS",
    "PARAMETRIZED_OPTIMIZERS",
    "SELU_ALPHA",
    "SELU_SCALE",
    "TRUNCATED_STD_2SIGMA",
    "Activation",
    "Backward",
    "Forward",
    "Initializer",
    "LSUVResult",
    "LayerScaling",
    "Optimizer",
    "ResidualForward",
    "RngLike",
    "StackCache",
    "TransformerCache",
    "adagrad",
    "adam",
    "adamw",
    "attention_scores",
    "backward",
    "batch_norm",
    "batch_norm_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "calculate_gain",
    "clip_grad_norm",
    "clip_grad_value",
    "compute_fans",
    "constant",
    "cross_entropy",
    "cross_entropy_grad",
    "delta_orthogonal",
    "dirac",
    "dropout",
    "elu",
    "entropy",
    "eye",
    "forward",
    "gelu",
    "get_activation",
    "init_mlp",
    "init_parametrized_mlp",
    "init_residual_mlp",
    "init_transformer_layer",
    "input_gradient",
    "jacobian",
    "kaiming_normal",
    "kaiming_uniform",
    "kl_divergence",
    "layer_learning_rates",
    "layer_norm",
    "layer_norm_backward",
    "layer_scalings",
    "leaky_relu",
    "lecun_normal",
    "lecun_uniform",
    "log_softmax",
    "lsuv",
    "nll_loss",
    "normal",
    "ones",
    "orthogonal",
    "parametrized_backward",
    "parametrized_forward",
    "parametrized_optimizer",
    "pytorch_linear_default",
    "relu",
    "residual_backward",
    "residual_forward",
    "rms_norm",
    "rms_norm_backward",
    "rmsprop",
    "scaled_dot_product_attention",
    "selu",
    "sgd",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse",
    "tanh",
    "transformer_backward",
    "transformer_forward",
    "transformer_layer_backward",
    "transformer_layer_forward",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
