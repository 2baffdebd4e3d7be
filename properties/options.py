"""The suite's command-line option ``--target``, registered as a plugin (``-p properties.options``
in ``pyproject.toml``'s ``addopts``) so that ``pytest --target X`` works from the project root:
an option defined only in ``properties/conftest.py`` is unknown when pytest parses the command
line before it has found that conftest (no path given, ``testpaths`` only)."""

from __future__ import annotations

import pytest

from properties.records import DEFAULT_TARGET


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("initcheck targets").addoption(
        "--target",
        default=DEFAULT_TARGET,
        help="the implementations under test, separated by commas: impls (default), torch, jax, "
        "keras-jax, keras-torch, all (every built-in target), or package.module:object naming a "
        "properties.targets.Target or a zero-argument function returning one; Keras fixes its "
        "backend per process, so a second Keras backend runs in a pytest process of its own after "
        "this run's tests, into the same report",
    )
