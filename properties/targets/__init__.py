"""Implementations under test: the :class:`Target` seam, impls' own target, framework adapters."""

from properties.targets.base import Deviation, NotApplicable, Target

__all__ = ["Deviation", "NotApplicable", "Target"]
