"""Suite configuration: Hypothesis profiles, claim markers, and per-test check records.

Profiles (``HYPOTHESIS_PROFILE``; ``ci`` when ``CI`` is set, else ``dev``):
- ``dev``: random, 10 examples per test;
- ``ci``: derandomized (the same cases every run), no database, no deadline, 10 examples;
- ``thorough``: random, 100 examples per test;
- ``quick``: derandomized, 2 examples per test (``python -m reports --quick``).
Expensive statistical tests ask for ``strategies.scaled(n)`` examples: n under ``dev``/``ci``,
scaled in proportion under the other profiles.
Statistical tests draw their samples with NumPy from a Hypothesis-chosen ``seed``; no deadline
applies anywhere because a check's time is its sample size, not a bug.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

from properties.records import CHECKS_KEY, CLAIMS_KEY, COLLECTED, COLLECTED_KEY, collecting, marked_claims
from properties.targets import Target
from properties.targets.reference import target as reference_target
from theory import CLAIMS

settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "ci", max_examples=10, derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("thorough", max_examples=100, deadline=None)
settings.register_profile("quick", max_examples=2, derandomize=True, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

# Each xdist worker owns one core: multithreaded BLAS in every worker oversubscribes the machine
# (a 0.15 s spectrum test took 27 s under -n 2 with two busy-waiting OpenBLAS threads each).
_BLAS_LIMIT = threadpool_limits(1, user_api="blas") if os.environ.get("PYTEST_XDIST_WORKER") else None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("initcheck targets").addoption(
        "--target",
        default="impls",
        help="the implementation under test: impls (default), or package.module:object "
        "naming a properties.targets.Target or a zero-argument function returning one; "
        "several separated by commas",
    )


def _target_specs(config: pytest.Config) -> list[str]:
    specs = [s.strip() for s in str(config.getoption("--target")).split(",")]
    if not all(specs):
        raise pytest.UsageError(f"--target: empty target name in {config.getoption('--target')!r}")
    return specs


_LOADED: dict[str, Target] = {}


def load_target(spec: str) -> Target:
    """The :class:`Target` named by ``spec`` (loaded once per process)."""
    if spec not in _LOADED:
        if spec == "impls":
            _LOADED[spec] = reference_target()
        elif ":" in spec:
            module_name, _, attribute = spec.partition(":")
            try:
                value = getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError) as error:
                raise pytest.UsageError(f"--target {spec}: cannot load it: {error}") from None
            loaded = value() if callable(value) and not isinstance(value, Target) else value
            if not isinstance(loaded, Target):
                raise pytest.UsageError(f"--target {spec}: expected a Target, got {type(loaded).__name__}")
            _LOADED[spec] = loaded
        else:
            raise pytest.UsageError(f"--target: unknown target {spec!r} (impls or package.module:object)")
    return _LOADED[spec]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that asks for ``impl`` once per target named by ``--target``."""
    if "impl" in metafunc.fixturenames:
        specs = _target_specs(metafunc.config)
        for spec in specs:
            load_target(spec)  # a bad target is a usage error at collection, not a failing test
        metafunc.parametrize("impl", specs, indirect=True, scope="session", ids=specs)


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Target:
    """The implementation under test (a :class:`properties.targets.Target`)."""
    return load_target(request.param)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a run in which a ``claim`` marker names a claim that theory does not hold, and
    count each claim's collected tests before ``-k``/``-m`` deselect any (``tryfirst``), so the
    report can say which claims ran only in part."""
    for item in items:
        for marker in item.iter_markers("claim"):
            if len(marker.args) != 1 or marker.args[0] not in CLAIMS:
                raise pytest.UsageError(f"{item.nodeid}: unknown claim marker {marker.args!r}")
    tests = claim_tests(items)
    config.stash[COLLECTED] = tests
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller reads it at node down
        config.workeroutput[COLLECTED_KEY] = tests


def claim_tests(items: list[pytest.Item]) -> dict[str, int]:
    """Per claim id, the number of ``items`` marked with it."""
    counts: dict[str, int] = {}
    for item in items:
        for claim in marked_claims(item):
            counts[claim] = counts.get(claim, 0) + 1
    return counts


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Name the test's claims on its setup report too: it reaches the controller even if the
    worker then crashes, so a crash counts against the claims instead of being lost."""
    item.user_properties.append((CLAIMS_KEY, marked_claims(item)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Collect the records of every check the test runs and attach them to its report.

    A check naming a claim the test does not mark raises ``ClaimError``. The records travel as
    ``user_properties`` (plain builtins), so they reach the xdist controller with the test
    report; ``reports.plugin`` turns them into files there.
    """
    with collecting(lambda: marked_claims(item)) as records:
        try:
            return (yield)
        finally:
            # Read after the call, so markers a test adds at run time (add_marker) count too.
            item.user_properties.append((CLAIMS_KEY, marked_claims(item)))
            item.user_properties.append((CHECKS_KEY, [record.to_dict() for record in records]))
