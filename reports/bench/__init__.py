"""The benchmark: experiments that compare measurements of impls with theory's predictions.

Each module's ``run(settings)`` writes CSV + markdown tables and PNG plots into
``<out>/bench/`` and returns a :class:`~reports.bench.common.Section` for the rendered report.
"""

from reports.bench import isometry, optimizers, propagation, seeds, speed

EXPERIMENTS = {
    "propagation": propagation.run,
    "seeds": seeds.run,
    "optimizers": optimizers.run,
    "isometry": isometry.run,
    "speed": speed.run,
}
"""Every experiment by name, in the order of the report."""

__all__ = ["EXPERIMENTS"]
