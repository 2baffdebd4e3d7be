"""The seam: the implementation under test is a value (``impl``), chosen with ``--target``."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import impls
from properties.conftest import TargetWatch, run_targets
from properties.records import CheckRecord, Verdict
from properties.targets import Deviation, NotApplicable, Target
from properties.targets.reference import target as reference_target
from reports.folder import PROJECT_ROOT

pytest_plugins = ["pytester"]

INNER_CONFTEST = """
from properties.options import pytest_addoption  # noqa: F401
from properties.conftest import (  # noqa: F401
    impl,
    pytest_collection_modifyitems,
    pytest_configure as configure_targets,
    pytest_generate_tests,
    pytest_runtest_call,
    pytest_runtest_setup,
)

def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id): the claim")
    configure_targets(config)
"""

INNER_TESTS = """
import pytest

@pytest.mark.claim("pytorch-gain-table")
def test_gain(impl):
    assert impl.calculate_gain("relu") == 2 ** 0.5
"""

USER_ADAPTER = """
from properties.targets import Target

def no_gains():
    return Target("no-gains", {"relu": None})

TEXT = "not a target"

def broken():
    raise RuntimeError("adapter bug")

def wrong_gain():
    return Target("wrong-gain", {"calculate_gain": lambda name, param=None: 1.0})
"""


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS, user_adapter=USER_ADAPTER)
    with pytest.MonkeyPatch.context() as patch:  # the subprocess imports this checkout
        patch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), str(PROJECT_ROOT)]))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-rs", *args)


def test_reference_target_is_impls_public_api() -> None:
    target = reference_target()
    assert target.name == "impls" and set(target.functions) == set(impls.__all__)
    assert target.xavier_uniform is impls.xavier_uniform


def test_missing_public_name_is_not_applicable_and_other_names_are_attribute_errors() -> None:
    target = Target("tiny", {"relu": impls.relu})
    with pytest.raises(NotApplicable, match="not applicable: target 'tiny' has no 'adam'"):
        _ = target.adam
    with pytest.raises(AttributeError):
        _ = target.no_such_public_name
    assert target.has("relu") and not target.has("relu", "adam")


def test_derive_replaces_names_and_refuses_unknown_ones() -> None:
    base = reference_target()
    mutant = base.derive("mutant", {"relu": impls.tanh})
    assert mutant.relu is impls.tanh and mutant.based_on == "impls" and base.relu is impls.relu
    with pytest.raises(ValueError, match="replacements: target 'impls' has no"):
        base.derive("bad", {"no_such_function": impls.relu})
    with pytest.raises(ValueError, match="at least one"):
        base.derive("empty", {})


def test_targets_run_the_same_tests(pytester: pytest.Pytester) -> None:
    result = run_inner(pytester, "--target=impls,user_adapter:wrong_gain,user_adapter:no_gains")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*not applicable: target 'no-gains' has no 'calculate_gain'*"])
    assert "test_gain[user_adapter:wrong_gain]" in result.stdout.str()


class OptionsOnly:
    """The part of a ``pytest.Config`` that :func:`properties.conftest.run_targets` reads."""

    def __init__(self, target: str) -> None:
        self.stash, self.target = pytest.Stash(), target

    def getoption(self, name: str, default: object = None) -> object:
        return self.target if name == "--target" else default


@pytest.fixture
def user_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``user_adapter`` (:data:`USER_ADAPTER`) importable in this process, forgotten afterwards."""
    (tmp_path / "user_adapter.py").write_text(USER_ADAPTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "user_adapter", raising=False)
    yield
    sys.modules.pop("user_adapter", None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown target 'nope'"),
        ("impls,", "unknown target ''"),
        ("user_adapter:TEXT", "must be a properties.targets.Target or a function returning one, got str"),
        ("user_adapter:missing", "module 'user_adapter' has no attribute 'missing'"),
        ("no_such_module:x", "cannot import module 'no_such_module'"),
        ("user_adapter:broken", "target 'user_adapter:broken' failed to load: RuntimeError: adapter bug"),
    ],
)
def test_bad_target_is_a_usage_error_naming_it(user_adapter: None, spec: str, message: str) -> None:
    """What ``pytest_configure`` raises for a bad ``--target`` (in this process: one run each
    below shows that pytest turns it into its usage-error exit with the message on stderr)."""
    with pytest.raises(pytest.UsageError, match=re.escape(message)) as raised:
        run_targets(OptionsOnly(spec))
    assert str(raised.value).startswith("--target: ")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown target 'nope'"),  # refused by the spec's parser
        ("user_adapter:broken", "target 'user_adapter:broken' failed to load: RuntimeError: adapter bug"),
    ],
)
def test_bad_target_stops_the_run_with_a_usage_error(
    pytester: pytest.Pytester, spec: str, message: str
) -> None:
    result = run_inner(pytester, f"--target={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


@pytest.mark.parametrize("sporadic", [False, True])
def test_a_sporadic_deviation_may_pass_without_going_stale(sporadic: bool) -> None:
    """A strict declaration whose check passed in a test that never reproduced it is stale ("no
    longer reproduces"); a sporadic one (a rare event per value) is not."""
    declared = Deviation("truncated-normal-law", "rare outliers", "https://example.org", sporadic=sporadic)
    target = Target("rare", {}, deviations=(declared,))
    case = '{"scheme":"truncated_normal"}'
    passing = CheckRecord(claim="truncated-normal-law", case=case, verdict=Verdict.PASS.value)
    assert TargetWatch([passing], target).stale() == ([] if sporadic else [declared])
    assert ("shows in some samples only" in declared.describe()) is sporadic
