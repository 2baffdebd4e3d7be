"""The benchmark: experiments that compare measurements of impls with theory's predictions.

Each module defines its cells, ``measure(settings) -> DataFrame`` (pure), ``plot(frame)`` and
``section(frame)``, gathered in an :class:`~reports.bench.experiment.Experiment`;
:data:`EXPERIMENTS` is the one list of them, in the order of the report.
"""

from types import MappingProxyType

from reports.bench import (
    attention_layers,
    coordinate_check,
    finite_width,
    isometry,
    low_precision,
    optimizers,
    propagation,
    residual_depth,
    seeds,
    speed,
)
from reports.bench.experiment import Experiment

EXPERIMENTS: MappingProxyType[str, Experiment] = MappingProxyType(
    {
        e.name: e
        for e in (
            propagation.EXPERIMENT,
            seeds.EXPERIMENT,
            optimizers.EXPERIMENT,
            isometry.EXPERIMENT,
            residual_depth.EXPERIMENT,
            attention_layers.EXPERIMENT,
            coordinate_check.EXPERIMENT,
            finite_width.EXPERIMENT,
            low_precision.EXPERIMENT,
            speed.EXPERIMENT,
        )
    }
)
"""Every experiment by name, in the order of the report; ``EXPERIMENTS[name](settings)`` runs one."""

__all__ = ["EXPERIMENTS", "Experiment"]
