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

Targets (``--target``, defined in :mod:`properties.options`, loaded by
:mod:`properties.targets.loading`): every test that asks for ``impl`` runs once per target, and
every record it emits is stamped with that target; a target that cannot share this process (a second
Keras backend) runs alongside in a process of its own (:mod:`properties.own_process`). A test the
target cannot express is *not applicable*: a :class:`~properties.targets.NotApplicable` raised by
the test is a skip; inside a Hypothesis test it rejects that one example instead (the adapter
refuses one argument value, the other examples still check the claim; the rejected example's records
are dropped), and the test is not applicable only when no example was applicable (Hypothesis then
gives up with ``Unsatisfiable`` or the ``filter_too_much`` health check). A test whose target
refuses most, but not all, examples can still fail that health check: too few cases to decide. A
check that fails as the target declares (:class:`~properties.targets.Deviation`) makes the test a
*known deviation* (an xfail with the upstream link); a declared deviation that a test checked on
matching cases without any failure *no longer reproduces* and fails the test (strict). Any other
failure fails.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import reject, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from threadpoolctl import threadpool_limits

from properties import own_process
from properties.decide import CheckFailed
from properties.records import (
    CALL_LINES,
    CALLS_KEY,
    CHECKS_KEY,
    CLAIMS_KEY,
    COLLECTED,
    COLLECTED_KEY,
    DEFAULT_TARGET,
    DEVIATIONS_KEY,
    NOT_APPLICABLE_KEY,
    TARGET_KEY,
    TARGETS,
    CheckRecord,
    RunTargets,
    Verdict,
    collecting,
    marked_claims,
)
from properties.targets import Deviation, NotApplicable, Target, loading
from properties.targets._adapting import clear_logged_calls, logged_calls
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


_LOADED: dict[str, Target] = {}


def load_target(spec: str) -> Target:
    """The :class:`Target` named by ``spec`` (loaded once per process).

    Raises:
        pytest.UsageError: the target cannot be loaded (unknown, framework not installed, ...).
    """
    if spec not in _LOADED:
        try:
            _LOADED[spec] = loading.load(spec)
        except loading.TargetError as error:
            raise pytest.UsageError(f"--target: {error}") from None
        except Exception as error:  # a broken adapter: one line naming it, not an internal error
            raise pytest.UsageError(
                f"--target: target {spec!r} failed to load: {type(error).__name__}: {error}"
            ) from None
    return _LOADED[spec]


def _split_targets(config: pytest.Config) -> tuple[list[str], list[str]]:
    """``--target``'s names: those this process runs, and those left for a process of their own
    (a bad spec is a usage error)."""
    spec = str(config.getoption("--target", DEFAULT_TARGET))
    try:
        here, left_out = loading.split_for_this_process(spec)
    except loading.TargetError as error:
        raise pytest.UsageError(f"--target: {error}") from None
    if left_out and os.environ.get(own_process.CHILD_ENVIRONMENT):
        raise pytest.UsageError(
            f"--target: {spec!r} in a target's own process would leave {left_out} for yet another"
        )
    return here, left_out


def run_targets(config: pytest.Config) -> RunTargets:
    """The targets this run verifies, loaded (a bad ``--target`` is a usage error)."""
    if TARGETS not in config.stash:
        here, left_out = _split_targets(config)
        loaded = {name: load_target(name) for name in here}
        config.stash[TARGETS] = RunTargets(
            tuple(here), {name: dict(t.versions) for name, t in loaded.items()}, tuple(left_out)
        )
    return config.stash[TARGETS]


def pytest_configure(config: pytest.Config) -> None:
    """Load the targets before any test runs, so that a bad ``--target`` stops the run at once;
    in a target's own process (not its xdist workers), stop when the main run is gone.

    Each target that needs a process of its own (:mod:`properties.own_process`) starts first,
    before this process loads its own targets (seconds of imports), so that it runs alongside
    from the start; not in an xdist worker, not in a run that only collects. If this process
    then cannot load its targets, the children are stopped before the usage error is raised.
    """
    if config.getoption("--target", None) is not None:
        _, left_out = _split_targets(config)
        if left_out and not hasattr(config, "workerinput") and not config.getoption("collectonly", False):
            config.stash[own_process.STARTED_CHILDREN] = own_process.start_children(config, left_out)
        try:
            run_targets(config)
        except BaseException:
            started: list[own_process.StartedChild] = config.stash.get(own_process.STARTED_CHILDREN, [])
            own_process.stop_children(started)
            raise
    if not hasattr(config, "workerinput"):
        own_process.watch_parent()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Wait for the targets running in their own process, before the report is written
    (``tryfirst``), and fold their exit statuses into this one; stop them instead, and count
    them as not run, when ``-x``/``--maxfail`` stopped this run or it was interrupted."""
    config = session.config
    started = config.stash.get(own_process.STARTED_CHILDREN, [])
    if not started:
        return
    if session.shouldfail or session.shouldstop or exitstatus == pytest.ExitCode.INTERRUPTED:
        own_process.stop_children(started)
        return
    try:
        children = own_process.finish_children(started)
    except BaseException:  # Ctrl-C while waiting: no child outlives the run
        own_process.stop_children(started)
        raise
    config.stash[own_process.CHILD_RUNS] = children
    session.exitstatus = own_process.combined_status(int(session.exitstatus), children)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Name the targets that ran in their own process (and how they ended), or that did not run."""
    targets = config.stash.get(TARGETS, None)
    if targets is None or not targets.left_out:
        return
    children = config.stash.get(own_process.CHILD_RUNS, [])
    for child in children:
        ended = "passed" if child.exit_status == 0 else f"exit status {child.exit_status}"
        terminalreporter.write_line(
            f"initcheck: target {child.target} ran in its own process ({ended})",
            red=child.exit_status not in (0, 5),
        )
    if not children:
        terminalreporter.write_line(f"initcheck: {loading.own_run_line(targets.left_out)}", yellow=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that asks for ``impl`` once per target named by ``--target``."""
    if "impl" in metafunc.fixturenames:
        names = list(run_targets(metafunc.config).names)
        metafunc.parametrize("impl", names, indirect=True, scope="session", ids=names)


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Target:
    """The implementation under test (a :class:`properties.targets.Target`)."""
    return load_target(request.param)


def item_target(item: pytest.Item) -> str:
    """The target a test runs against: its ``impl`` parameter, else the default."""
    callspec = getattr(item, "callspec", None)
    params = getattr(callspec, "params", {})
    return str(params["impl"]) if "impl" in params else DEFAULT_TARGET


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a run in which a ``claim`` marker names a claim that theory does not hold, and
    count each claim's collected tests per target before ``-k``/``-m`` deselect any
    (``tryfirst``), so the report can say which claims ran only in part. In a target's own
    process (:mod:`properties.own_process`) only the tests that take the target run: the others
    ran in the main process already."""
    if os.environ.get(own_process.CHILD_ENVIRONMENT):
        others = [item for item in items if "impl" not in getattr(item, "fixturenames", ())]
        if others:
            items[:] = [item for item in items if "impl" in getattr(item, "fixturenames", ())]
            config.hook.pytest_deselected(items=others)
    for item in items:
        for marker in item.iter_markers("claim"):
            if len(marker.args) != 1 or marker.args[0] not in CLAIMS:
                raise pytest.UsageError(f"{item.nodeid}: unknown claim marker {marker.args!r}")
    tests = claim_tests(items)
    config.stash[COLLECTED] = tests
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller reads it at node down
        config.workeroutput[COLLECTED_KEY] = tests


def claim_tests(items: list[pytest.Item]) -> dict[str, dict[str, int]]:
    """Per target and claim id, the number of ``items`` marked with it."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        mine = counts.setdefault(item_target(item), {})
        for claim in marked_claims(item):
            mine[claim] = mine.get(claim, 0) + 1
    return counts


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Name the test's target and claims on its setup report too: it reaches the controller even
    if the worker then crashes, so a crash counts against the claims instead of being lost."""
    item.user_properties.append((TARGET_KEY, item_target(item)))
    item.user_properties.append((CLAIMS_KEY, marked_claims(item)))


def _with_calls(record: CheckRecord) -> CheckRecord:
    """An exact check's record (``false_fail == 0``) with the framework calls its example made so
    far, unless it names a call already; a statistical check's is its own (its sample's draw)."""
    if record.false_fail != 0 or record.call:
        return record
    return replace(record, call=CALL_LINES.join(logged_calls()))


class TargetWatch:
    """What one test did on its target: applicable examples, refusals, declared deviations.

    Args:
        records: the test's records (the collecting bucket; known deviations are re-marked in it).
        target: the loaded target (``None`` for a test without ``impl``: nothing is declared).
    """

    def __init__(self, records: list[CheckRecord], target: Target | None) -> None:
        self.records = records
        self.target = target
        self.applicable = 0
        self.refusals: list[str] = []
        self.reproduced: dict[str, Deviation] = {}
        self.last_example = 0  # the index of the first record of the last example run

    def failure_calls(self, error: BaseException | None, properties: list[tuple[str, Any]]) -> None:
        """After a test failed with ``error``: the framework calls its last example made (Hypothesis
        runs the minimal failing example last) as a user property, and in each failed exact record
        of that example (``false_fail == 0``, no call of its own)."""
        if error is None or isinstance(error, pytest.skip.Exception | pytest.xfail.Exception):
            return
        calls = logged_calls()
        if calls:
            properties.append((CALLS_KEY, calls))
        for i in range(self.last_example, len(self.records)):
            if not self.records[i].passed:
                self.records[i] = _with_calls(self.records[i])

    def _declared(self, record: CheckRecord) -> Deviation | None:
        if self.target is None or not self.target.deviations:
            return None
        return self.target.deviation(record.claim, json.loads(record.case))

    def cover(self, start: int) -> bool:
        """Re-mark the failing records from ``start`` on as known deviations, if every one is declared."""
        failing = [
            (i, r) for i, r in enumerate(self.records) if i >= start and r.verdict == Verdict.FAIL.value
        ]
        declared = [(i, r, self._declared(r)) for i, r in failing]
        if not declared or any(d is None for _, _, d in declared):
            return False
        for i, record, deviation in declared:
            assert deviation is not None
            self.records[i] = _with_calls(replace(record, verdict=Verdict.KNOWN_DEVIATION.value))
            self.reproduced[record.claim] = deviation
        return True

    def stale(self) -> list[Deviation]:
        """Declared deviations a passing check matched although the test never reproduced them."""
        reproduced = set(self.reproduced.values())
        found: list[Deviation] = []
        for record in self.records:
            if record.verdict == Verdict.PASS.value:
                deviation = self._declared(record)
                if deviation is None or deviation.sporadic:
                    continue
                if deviation not in reproduced and deviation not in found:
                    found.append(deviation)
        return found

    def example(self, test: Callable[..., Any]) -> Callable[..., Any]:
        """``test`` (one Hypothesis example) with refusals rejected and declared failures covered."""

        @functools.wraps(test)  # Hypothesis derandomizes from the test's own source (function_digest)
        def one_example(*args: Any, **kwargs: Any) -> Any:
            start = self.last_example = len(self.records)
            clear_logged_calls()
            try:
                result = test(*args, **kwargs)
            except NotApplicable as error:
                del self.records[start:]  # the example is rejected whole: none of its checks count
                self.refusals.append(str(error.msg))
                reject()
            except CheckFailed:
                if not self.cover(start):
                    raise
                result = None
            self.applicable += 1
            return result

        return one_example


def _hypothesis_inner(item: pytest.Item) -> Any:
    function = getattr(item, "obj", None)
    if getattr(function, "is_hypothesis_test", False):
        return function.hypothesis  # type: ignore[union-attr]
    return None


def _known_deviation(watch: TargetWatch) -> pytest.xfail.Exception:  # type: ignore[name-defined]
    reasons = "; ".join(f"{claim}: {d.describe()}" for claim, d in sorted(watch.reproduced.items()))
    return pytest.xfail.Exception(
        f"known deviation of {watch.target.name if watch.target else '?'}: {reasons}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Collect the records of every check the test runs, stamped with its target, and attach them
    to its report; decide not applicable and known deviations (see the module docstring).

    A check naming a claim the test does not mark raises ``ClaimError``. The records travel as
    ``user_properties`` (plain builtins), so they reach the xdist controller with the test
    report; ``reports.plugin`` turns them into files there.
    """
    name = item_target(item)
    with collecting(lambda: marked_claims(item)) as records:
        watch = TargetWatch(records, _LOADED.get(name))
        hypothesis = _hypothesis_inner(item)
        clear_logged_calls()
        original = hypothesis.inner_test if hypothesis is not None else None
        if original is not None:
            hypothesis.inner_test = watch.example(original)
        try:
            result = yield
        except NotApplicable as error:
            watch.refusals.append(str(error.msg))
            raise
        except (Unsatisfiable, FailedHealthCheck):  # no example left, or filter_too_much
            if hypothesis is not None and watch.refusals and watch.applicable == 0:
                raise NotApplicable(
                    f"every example was refused: {watch.refusals[-1].removeprefix('not applicable: ')}"
                ) from None
            raise
        except CheckFailed:
            if hypothesis is None and watch.cover(0):
                raise _known_deviation(watch) from None
            raise
        finally:
            if hypothesis is not None:
                hypothesis.inner_test = original
            watch.failure_calls(sys.exc_info()[1], item.user_properties)
            stamped = [replace(record, target=name) for record in records]
            # Read after the call, so markers a test adds at run time (add_marker) count too.
            item.user_properties.append((TARGET_KEY, name))
            item.user_properties.append((CLAIMS_KEY, marked_claims(item)))
            item.user_properties.append((CHECKS_KEY, [record.to_dict() for record in stamped]))
            if watch.refusals and watch.applicable == 0:
                item.user_properties.append((NOT_APPLICABLE_KEY, watch.refusals[-1]))
            if watch.reproduced:
                described = {claim: d.describe() for claim, d in watch.reproduced.items()}
                item.user_properties.append((DEVIATIONS_KEY, described))
        stale = watch.stale()
        if stale:
            raise pytest.fail.Exception(
                "declared deviation no longer reproduces (its checks passed on matching cases; "
                "update the declaration in the adapter): "
                + "; ".join(f"{d.claim}: {d.describe()}" for d in stale),
                pytrace=False,
            )
        if watch.reproduced:
            raise _known_deviation(watch)
        return result
