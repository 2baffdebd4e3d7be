"""A run over several targets, end to end: records stamped with their target, not applicable,
known deviations (strict), and the conformance files in the report folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from properties import own_process
from properties.targets import loading
from reports.folder import PROJECT_ROOT

pytest_plugins = ["pytester"]

INNER_CONFTEST = """
from properties.options import pytest_addoption  # noqa: F401
from properties.conftest import (  # noqa: F401
    impl,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_generate_tests,
    pytest_runtest_call,
    pytest_runtest_setup,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
"""

OWN_PROCESS_CONFTEST = (
    INNER_CONFTEST
    + """
from properties import own_process
from properties.targets import loading


def _own_groups(selected):  # as if the "alone" targets were a second Keras backend
    together = [n for n in selected if not n.endswith("alone")]
    return [group for group in [together, *([n] for n in selected if n.endswith("alone"))] if group]


loading.process_groups = _own_groups
"""
)

USER_ADAPTER = """
import impls
import numpy as np
from properties.targets import Deviation, NotApplicable, Target, array_literal, log_call

LINK = "https://example.org/upstream/issue/1"


def _refuse_steep(x, negative_slope=0.01):
    if negative_slope > 0.5:
        raise NotApplicable("no slope above 0.5")
    return impls.leaky_relu(x, negative_slope)


def _refuse_all(x, negative_slope=0.01):
    raise NotApplicable("no leaky_relu here")


def _wrong_when_steep(x, negative_slope=0.01):
    log_call(array_literal, "userlib.leaky_relu({x}, negative_slope={slope})", x=x, slope=negative_slope)
    return impls.leaky_relu(x, negative_slope) + (1.0 if negative_slope > 0.5 else 0.0)


def _shifted_relu(x):
    log_call(array_literal, "userlib.relu({x})", x=x)
    return impls.relu(x) + 1.0


def _target(name, relu=impls.relu, leaky=impls.leaky_relu, deviations=(), version="1.5"):
    functions = {"relu": relu, "leaky_relu": leaky}
    return Target(name, functions, versions={name + "lib": version}, deviations=deviations)


SHIFT = Deviation("sigmoid-symmetry", "relu is shifted by one, on purpose", LINK)


def picky():
    return _target("picky", leaky=_refuse_steep)


def refusing():
    return _target("refusing", leaky=_refuse_all)


def shifted():
    return _target("shifted", relu=_shifted_relu, deviations=(SHIFT,))


def shifted_old():
    old = Deviation("sigmoid-symmetry", "shifted before 1.0", LINK, versions="<1.0")
    return _target("shifted-old", relu=_shifted_relu, deviations=(old,))


def fixed():
    return _target("fixed", deviations=(SHIFT,))


def shifted_alone():
    return _target("shifted-alone", relu=_shifted_relu, deviations=(SHIFT,))


def fixed_alone():
    return _target("fixed-alone", deviations=(SHIFT,))


def steep():
    wrong = Deviation("tanh-derivative", "steep slopes are off", LINK, applies=lambda c: c["slope"] > 0.5)
    return _target("steep", leaky=_wrong_when_steep, deviations=(wrong,))


def steep_undeclared():
    only = Deviation("tanh-derivative", "the steepest is off", LINK, applies=lambda c: c["slope"] > 0.8)
    return _target("steep-undeclared", leaky=_wrong_when_steep, deviations=(only,))
"""

INNER_TESTS = """
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from properties import compare
from properties.decide import Context


@pytest.mark.claim("sigmoid-symmetry")
def test_relu(impl):
    x = np.array([1.0, 2.0])
    compare.check_close(Context("sigmoid-symmetry", {"x": [1.0, 2.0]}), impl.relu(x), x, rtol=1e-12)


@pytest.mark.claim("tanh-derivative")
@settings(max_examples=20, derandomize=True, database=None, deadline=None)
@given(slope=st.sampled_from([0.1, 0.2, 0.6, 0.9]) | st.floats(0.01, 0.09))
def test_leaky(impl, slope):
    x = np.array([-1.0, 2.0])
    expected = np.where(x > 0, x, slope * x)
    context = Context("tanh-derivative", {"slope": slope})
    compare.check_close(context, impl.leaky_relu(x, slope), expected, rtol=1e-12)


@pytest.mark.claim("pytorch-gain-table")
def test_gain(impl):
    assert impl.calculate_gain("relu") == 2 ** 0.5
"""

ALL = ["picky", "refusing", "shifted", "shifted_old", "fixed", "steep", "steep_undeclared"]


def run_inner(
    pytester: pytest.Pytester,
    targets: list[str],
    *args: str,
    conftest: str = INNER_CONFTEST,
    with_impls: bool = True,
) -> tuple[pytest.RunResult, Path]:
    pytester.makeconftest(conftest)
    pytester.makeini("[pytest]\nmarkers =\n    claim(id): the claim\n")
    pytester.makepyfile(test_inner=INNER_TESTS, user_adapter=USER_ADAPTER)
    out = pytester.path / "out"
    spec = ",".join([*(["impls"] if with_impls else []), *(f"user_adapter:{t}" for t in targets)])
    with pytest.MonkeyPatch.context() as patch:  # the subprocess imports this checkout
        patch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), str(PROJECT_ROOT)]))
        patch.delenv("INITCHECK_REPORT_DIR", raising=False)
        result = pytester.runpytest_subprocess(
            "-p", "reports.plugin", "-p", "no:cacheprovider", f"--report-dir={out}", f"--target={spec}", *args
        )
    return result, out


def _spec(name: str) -> str:
    return "impls" if name == "impls" else f"user_adapter:{name}"


def test_a_run_over_many_targets(pytester: pytest.Pytester) -> None:
    result, out = run_inner(pytester, ALL, "-q", "-rsx")
    _check_outcomes(result)
    _check_claims_csv(out)
    _check_conformance_files(out)


def _check_outcomes(result: pytest.RunResult) -> None:
    # test_relu: shifted xfails, shifted-old and fixed fail; test_leaky: refusing is skipped, steep
    # xfails, steep-undeclared fails; test_gain: skipped (not applicable) on every user target.
    result.assert_outcomes(passed=11, failed=3, skipped=8, xfailed=2)
    result.stdout.fnmatch_lines(
        ["*no longer reproduces*sigmoid-symmetry*https://example.org/upstream/issue/1*"]
    )
    result.stdout.fnmatch_lines(["*XFAIL*test_relu*known deviation of shifted*relu is shifted by one*"])
    assert result.ret == 1


def _check_claims_csv(out: Path) -> None:
    claims = pd.read_csv(out / "claims.csv")
    assert list(dict.fromkeys(claims["target"])) == ["impls", *(_spec(t) for t in ALL)]
    status = claims.set_index(["target", "id"])["status"]
    expected = {
        ("impls", "sigmoid-symmetry"): "verified",
        ("impls", "tanh-derivative"): "verified",
        ("impls", "pytorch-gain-table"): "verified",
        (_spec("picky"), "tanh-derivative"): "verified",  # the steep slopes were rejected, not failed
        (_spec("picky"), "pytorch-gain-table"): "not applicable",
        (_spec("refusing"), "tanh-derivative"): "not applicable",  # every example refused
        (_spec("shifted"), "sigmoid-symmetry"): "known deviation",
        (_spec("shifted_old"), "sigmoid-symmetry"): "failed",  # the version is outside the declaration
        (_spec("fixed"), "sigmoid-symmetry"): "failed",  # no longer reproduces
        (_spec("steep"), "tanh-derivative"): "known deviation",
        (_spec("steep_undeclared"), "tanh-derivative"): "failed",  # slope 0.6 is not declared
    }
    assert {key: status[key] for key in expected} == expected
    checks = pd.read_csv(out / "checks.csv")
    assert set(checks["target"]) == {"impls", *(_spec(t) for t in ALL)}
    picky = checks[(checks["target"] == _spec("picky")) & (checks["claim"] == "tanh-derivative")]
    slopes = [json.loads(case)["slope"] for case in picky["case"]]
    assert slopes and max(slopes) <= 0.5  # the steep slopes were rejected: no record of them
    steep = checks[(checks["target"] == _spec("steep")) & (checks["claim"] == "tanh-derivative")]
    assert set(steep["verdict"]) == {"pass", "known deviation"}
    markdown = (out / "claims.md").read_text()
    assert "| target " in markdown and f"| {_spec('steep')} " in markdown


def _check_conformance_files(out: Path) -> None:
    matrix = pd.read_csv(out / "conformance.csv", index_col="claim")
    assert list(matrix.columns) == ["impls", *(_spec(t) for t in ALL)]
    assert matrix.loc["sigmoid-symmetry", _spec("shifted")] == "known deviation"
    assert matrix.loc["tanh-derivative", _spec("refusing")] == "not applicable"
    assert (out / "conformance.png").read_bytes().startswith(b"\x89PNG")
    text = (out / "conformance.md").read_text()
    assert "Versions: `impls`: initcheck" in text and "`user_adapter:picky`: pickylib 1.5" in text
    lines = text.splitlines()
    undeclared = next(
        line for line in lines if "**tanh-derivative** on `user_adapter:steep_undeclared`" in line
    )
    for words in ('minimal failing case {"slope":0.6}', "statistic", "threshold", "n=2", "seed=?"):
        assert words in undeclared
    assert "`pytest --target user_adapter:steep_undeclared test_inner.py -k test_leaky`" in undeclared
    # the adapter's logged call of the failing example, before the pytest line
    call = "`userlib.leaky_relu(np.array([-1.0, 2.0], dtype='float64'), negative_slope=0.6)`"
    assert f"the framework's last calls in the failing example: {call}" in undeclared
    assert undeclared.index(call) < undeclared.index("pytest --target")
    steep = next(line for line in lines if "**tanh-derivative** on `user_adapter:steep`" in line)
    assert "the framework's last calls in the failing example: `userlib.leaky_relu(" in steep
    stale = next(line for line in lines if "**sigmoid-symmetry** on `user_adapter:fixed`" in line)
    assert "no longer reproduces" in stale and "-k test_relu" in stale
    shifted = next(line for line in lines if "**sigmoid-symmetry** on `user_adapter:shifted`" in line)
    assert "declared: relu is shifted by one, on purpose (https://example.org/upstream/issue/1)" in shifted


PLAIN_ASSERTION = """
import numpy as np
import pytest


@pytest.mark.claim("sigmoid-symmetry")
def test_plain(impl):
    impl.relu(np.array([3.0]))
    assert impl.relu(np.array([1.0, -2.0]))[0] == 1.0
"""


def test_a_failed_assertion_names_the_last_framework_calls(pytester: pytest.Pytester) -> None:
    """A test that fails a plain assertion has no record to carry a call: its cell gives the
    message, then the calls its target logged in the failing example (oldest first), then the line
    that re-runs it."""
    pytester.makepyfile(test_plain=PLAIN_ASSERTION)
    result, out = run_inner(pytester, ["shifted_old"], "-q", "test_plain.py", with_impls=False)
    result.assert_outcomes(failed=1)
    text = (out / "conformance.md").read_text()
    cell = next(
        line for line in text.splitlines() if "**sigmoid-symmetry** on `user_adapter:shifted_old`" in line
    )
    calls = (
        "the framework's last calls in the failing example: "
        "`userlib.relu(np.array([3.0], dtype='float64'))`; "
        "`userlib.relu(np.array([1.0, -2.0], dtype='float64'))`; "
        "reproduce: `pytest --target user_adapter:shifted_old"
    )
    assert "== 1.0 (at test_plain.py:8)" in cell and calls in cell


def test_known_deviations_alone_do_not_fail_the_run(pytester: pytest.Pytester) -> None:
    result, _ = run_inner(pytester, ["shifted", "steep"], "-q")
    result.assert_outcomes(passed=5, skipped=2, xfailed=2)
    assert result.ret == 0
    line = next(line for line in result.stdout.lines if line.startswith("initcheck: impls: "))
    assert "| user_adapter:shifted: theory" in line or "| user_adapter:shifted: contracts" in line


def test_a_run_without_impl_tests_keeps_the_default_target(pytester: pytest.Pytester) -> None:
    plain = "import pytest\n\n@pytest.mark.claim('sigmoid-symmetry')\ndef test_plain():\n    assert True\n"
    pytester.makepyfile(test_plain=plain)
    result, out = run_inner(pytester, [], "-q", "test_plain.py")
    result.assert_outcomes(passed=1)
    claims = pd.read_csv(out / "claims.csv")
    assert set(claims["target"]) == {"impls"}


def test_all_runs_what_can_share_a_process_here_and_the_rest_in_their_own() -> None:
    here, left_out = loading.split_for_this_process("all")
    assert here == ["impls", "torch", "jax", "keras-jax"] and left_out == ["keras-torch"]
    assert loading.split_for_this_process("impls,torch") == (["impls", "torch"], [])
    assert loading.split_for_this_process("keras-torch,keras-jax,impls") == (
        ["impls", "keras-torch"],
        ["keras-jax"],
    )
    assert "`pytest --target keras-torch`" in loading.own_run_line(left_out)


PLAIN_COUNTED = """
from pathlib import Path


def test_plain():  # takes no target: runs in the main process only
    with Path(__file__).with_name("plain_runs.txt").open("a") as runs:
        runs.write("ran\\n")
"""


def test_targets_in_their_own_process_join_the_report_and_the_exit_status(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN_COUNTED)
    targets = ["shifted_alone", "steep", "fixed_alone"]
    result, out = run_inner(pytester, targets, "-q", conftest=OWN_PROCESS_CONFTEST)
    assert result.ret == 1  # the main run passes; one child's stale declaration fails the run
    result.stdout.fnmatch_lines(
        [
            "*initcheck: target user_adapter:shifted_alone in its own process: *-m pytest*",
            "*initcheck: target user_adapter:fixed_alone in its own process: *-m pytest*",
            "*initcheck: target user_adapter:shifted_alone ran in its own process (passed)*",
            "*initcheck: target user_adapter:fixed_alone ran in its own process (exit status 1)*",
        ]
    )
    assert (pytester.path / "plain_runs.txt").read_text() == "ran\n"  # not again in a child
    claims = pd.read_csv(out / "claims.csv")
    order = ["impls", _spec("steep"), _spec("shifted_alone"), _spec("fixed_alone")]
    assert list(dict.fromkeys(claims["target"])) == order
    status = claims.set_index(["target", "id"])["status"]
    assert status[(_spec("shifted_alone"), "sigmoid-symmetry")] == "known deviation"  # does not fail
    assert status[(_spec("fixed_alone"), "sigmoid-symmetry")] == "failed"
    assert status[(_spec("steep"), "tanh-derivative")] == "known deviation"
    assert list(pd.read_csv(out / "conformance.csv", index_col="claim").columns) == order
    assert "`user_adapter:shifted_alone`: shifted-alonelib 1.5" in (out / "conformance.md").read_text()
    assert set(pd.read_csv(out / "checks.csv")["target"]) == set(order)


def _processes_in(folder: Path) -> list[str]:
    """The ids of the other processes whose working directory is ``folder`` (Linux's /proc; this
    one works there too, pytester's doing)."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        if process.name == str(os.getpid()):
            continue
        try:
            if Path(os.readlink(process / "cwd")) == folder:
                found.append(process.name)
        except OSError:  # gone, or not ours to read
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux's /proc")
def test_a_usage_error_stops_the_targets_already_in_their_own_process(pytester: pytest.Pytester) -> None:
    """A target's own process starts before this process loads its targets (it runs alongside
    from the start); when loading them fails, it is stopped before the usage error ends the run."""
    result, _ = run_inner(pytester, ["missing", "shifted_alone"], "-q", conftest=OWN_PROCESS_CONFTEST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--target: target 'user_adapter:missing'*has no attribute 'missing'*"])
    assert _processes_in(pytester.path) == []


def test_a_run_stopped_early_names_the_targets_left_for_their_own_process(pytester: pytest.Pytester) -> None:
    result, out = run_inner(pytester, ["fixed", "shifted_alone"], "-q", "-x", conftest=OWN_PROCESS_CONFTEST)
    assert result.ret == 1
    assert not any("in its own process:" in line for line in result.stdout.lines)
    assert "user_adapter:shifted_alone not run" in (out / "conformance.md").read_text()


NO_TORCH = """
import sys


class NoTorch:  # as if torch were not installed
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoTorch())
"""


def test_a_missing_framework_is_a_usage_error_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(NO_TORCH + INNER_CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    claim(id): the claim\n")
    pytester.makepyfile(test_inner=INNER_TESTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(PROJECT_ROOT))
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--target=torch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pip install 'initcheck[torch]'" in result.stderr.str()


def test_a_target_in_its_own_process_never_starts_another(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(own_process.CHILD_ENVIRONMENT, "1")  # as if this run were itself a child
    result, _ = run_inner(pytester, ["shifted_alone"], "-q", conftest=OWN_PROCESS_CONFTEST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*would leave*shifted_alone*for yet another*"])


def test_a_test_that_takes_no_target_adds_no_column_for_the_default(pytester: pytest.Pytester) -> None:
    plain = "import pytest\n\n@pytest.mark.claim('sigmoid-symmetry')\ndef test_plain():\n    assert True\n"
    pytester.makepyfile(test_plain=plain)
    result, out = run_inner(pytester, ["steep"], "-q", with_impls=False)
    assert result.ret == 0
    assert set(pd.read_csv(out / "claims.csv")["target"]) == {_spec("steep")}
    assert list(pd.read_csv(out / "conformance.csv", index_col="claim").columns) == [_spec("steep")]
