"""The suite's command line: the option ``--target`` and the default xdist distribution.

Registered as a plugin (``-p properties.options`` in ``pyproject.toml``'s ``addopts``) so that
``pytest --target X`` works from the project root: an option defined only in
``properties/conftest.py`` is unknown when pytest parses the command line before it has found that
conftest (no path given, ``testpaths`` only).
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from properties.records import DEFAULT_TARGET


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("initcheck targets").addoption(
        "--target",
        default=DEFAULT_TARGET,
        help="the implementations under test, separated by commas: impls (default), torch, jax, "
        "keras-jax, keras-torch, all (every built-in target), or package.module:object naming a "
        "properties.targets.Target or a zero-argument function returning one; Keras fixes its "
        "backend per process, so a second Keras backend runs in a pytest process of its own "
        "alongside this run, into the same report",
    )


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, object, object]:
    """``-n N`` without ``--dist`` distributes by work stealing (``--dist worksteal``), not xdist's
    ``load``: the suite's tests last from milliseconds to tens of seconds (a framework's law test,
    the Dask cluster test), and under ``load`` a worker can sit idle at the end while the other
    still holds a queue of them. A wrapper, so it runs before xdist's own hook, which would set
    ``load``; an explicit ``--dist``/``-d``/``--distload`` is left alone, as is a run without xdist."""
    option = config.option
    chosen = getattr(option, "dist", None) != "no" or getattr(option, "distload", False)
    if getattr(option, "numprocesses", None) and not chosen:
        option.dist = "worksteal"
    return (yield)
