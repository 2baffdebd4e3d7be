"""Implementations under test: the :class:`Target` seam, impls' own target, framework adapters.

An adapter may note each framework call it makes with :func:`log_call` (its inputs written by
:func:`array_literal`): a failed exact check then shows the last calls of its failing example, in
the framework's own API, in the report.
"""

from properties.targets._adapting import array_literal, log_call
from properties.targets.base import Deviation, NotApplicable, Target

__all__ = ["Deviation", "NotApplicable", "Target", "array_literal", "log_call"]
