"""Tests of the report folder: nothing lost, runs never mixed, one clear line for every failure.

Inner pytest runs import this checkout (``PYTHONPATH``), never the installed copy. Runs that
must be real processes (Ctrl-C, two concurrent writers) synchronise through pipes, a FIFO and
the folder's lock, never through sleeps.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reports import atomic, cli, render
from reports.bench import runner
from reports.bench.common import Settings
from reports.folder import DEFAULT, MARKER, PROJECT_ROOT, ReportFolder, ReportFolderError
from reports.plugin import report_dir

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest
from properties.conftest import pytest_runtest_call, pytest_runtest_setup  # noqa: F401
"""

PASSING = """
import pytest

@pytest.mark.claim("sigmoid-symmetry")
def test_exact():
    assert 1 + 1 == 2
"""

SKIPPING = """
import pytest

@pytest.mark.claim("kl-non-negative")
def test_skipped_at_run_time():
    pytest.skip("not applicable on this machine")
"""

FAILING = """
import pytest

@pytest.mark.claim("haar-determinant")
def test_fails():
    assert False
"""

EXITING = """
import pytest

def test_a():
    pass

def test_b():
    pytest.exit("enough", returncode=0)
"""

BLOCKING = """
import os
import pytest

@pytest.mark.claim("tanh-sigmoid-relation")
def test_blocks():
    print("RUNNING", flush=True)
    with open(os.environ["INNER_FIFO"]) as fifo:  # returns when the outer test writes to it
        fifo.read()
"""

SABOTAGE = """
import os
import pytest
from pathlib import Path

@pytest.mark.claim("sigmoid-symmetry")
def test_breaks_the_folder():
    Path(os.environ["INNER_RUNS"]).write_text("a file where the runs folder goes")
"""


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs import this checkout's ``reports``/``properties`` (not an installed copy)."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("INITCHECK_REPORT_DIR", raising=False)


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    claim(id): claim\n")
    pytester.makepyfile(test_passing=PASSING)
    return pytester


def pytest_args(out: Path, *args: str) -> list[str]:
    return ["-p", "reports.plugin", "-p", "no:cacheprovider", "-p", "no:xdist", f"--report-dir={out}", *args]


def run_pytest(pytester: pytest.Pytester, out: Path, *args: str) -> pytest.RunResult:
    """An inner run in this process (fast); real processes only where a test needs them."""
    return pytester.runpytest_inprocess(*pytest_args(out, *args))


class Inner:
    """A pytest process in its own session (Ctrl-C reaches it as a terminal's would), its output
    read on a thread, so that waiting for a line is bounded: a missing line fails, never hangs."""

    BOUND = 120.0  # seconds before a missing line or exit counts as a hang (a failure, not a timing)

    def __init__(self, pytester: pytest.Pytester, out: Path, *args: str, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-s", *pytest_args(out, *args)],
            cwd=pytester.path,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str) -> str:
        """The output up to the first line containing ``text``."""
        while True:
            try:
                line = self.lines.get(timeout=self.BOUND)
            except queue.Empty:
                raise AssertionError(f"{text!r} never came; output:\n{''.join(self.seen)}") from None
            if line is None:
                raise AssertionError(f"{text!r} never came; output:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return "".join(self.seen)

    def finish(self) -> tuple[int, str]:
        """Wait for the process (bounded: a hang is killed and fails the test) and its output."""
        try:
            self.process.wait(timeout=self.BOUND)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()
        while (line := self.lines.get()) is not None:
            self.seen.append(line)
        return self.process.returncode, "".join(self.seen)


def snapshot(folder: Path) -> dict[str, Any]:
    """Where the folder points and every byte it holds (following the link)."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"link": os.readlink(folder) if folder.is_symlink() else None, "files": files}


def statuses(folder: Path) -> dict[str, str]:
    frame = pd.read_csv(folder / "claims.csv")
    return dict(zip(frame["id"], frame["status"], strict=True))


# --- pytest runs ------------------------------------------------------------------------------


def test_a_skip_at_run_time_leaves_the_claim_not_run(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_skipping=SKIPPING)
    out = inner.path / "out"
    result = run_pytest(inner, out)
    result.assert_outcomes(passed=1, skipped=1)
    status = statuses(out)
    assert status["kl-non-negative"] == "not run"  # was "failed"
    assert status["sigmoid-symmetry"] == "verified"
    assert "kl-non-negative" not in set(pd.read_csv(out / "checks.csv")["claim"])


def test_a_report_is_one_run_with_its_manifest(inner: pytest.Pytester) -> None:
    out = inner.path / "out"
    run_pytest(inner, out).assert_outcomes(passed=1)
    assert out.is_symlink() and (out / MARKER).is_file()
    manifest = json.loads((out / "run.json").read_text())
    assert Path(os.readlink(out)).name == f"run-{manifest['run']}" == f"run-{manifest['verify']['run']}"
    verify = manifest["verify"]
    assert verify["pytest_exit"] == 0 and verify["tests_run"] == 1 and verify["complete"]
    assert {"python", "numpy", "scipy", "initcheck", "pytest"} <= set(verify["versions"])
    assert (out / "README.md").read_text().startswith("# initcheck report\n")


@pytest.mark.parametrize(
    "args",
    [
        ("--collect-only",),
        ("--fixtures",),
        ("--setup-plan",),
        ("--setup-only",),
        ("-k", "no_test_has_this_name"),
        ("test_broken.py",),
    ],
)
def test_a_run_that_runs_no_test_leaves_the_folder_alone(
    inner: pytest.Pytester, args: tuple[str, ...]
) -> None:
    out = inner.path / "out"
    run_pytest(inner, out).assert_outcomes(passed=1)
    before = snapshot(out)
    inner.makepyfile(test_broken="import no_such_module_anywhere\n")
    result = run_pytest(inner, out, *args)
    assert result.ret != 1, result.stdout.str()
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.glob(".out.runs/*")) == [before["link"].split("/")[-1]]


def test_a_run_stopped_early_says_so_on_the_first_line(inner: pytest.Pytester) -> None:
    out = inner.path / "out"
    inner.makepyfile(test_failing=FAILING)
    run_pytest(inner, out, "-x", "test_failing.py", "test_passing.py").assert_outcomes(failed=1)
    first_line = (out / "claims.md").read_text().splitlines()[0]
    assert "stopped early: stopping after 1 failures" in first_line
    assert json.loads((out / "run.json").read_text())["verify"]["complete"] is False
    assert "stopped early" in (out / "README.md").read_text()


def test_an_old_unmarked_report_folder_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "claims.md").write_text("old\n")
    with pytest.raises(ReportFolderError, match="from before report markers, remove it"):
        ReportFolder(tmp_path / "out").check()


def test_files_someone_put_in_a_report_folder_are_never_swapped_away(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(out, {"claims.md": "x\n"})
    (out / "my notes.md").write_text("mine\n")
    with pytest.raises(ReportFolderError, match=r"files no run wrote .*my notes\.md"):
        ReportFolder(out).check()
    with pytest.raises(ReportFolderError, match="files no run wrote"):
        commit(out, {"claims.md": "y\n"})
    assert (out / "my notes.md").read_text() == "mine\n"


def test_a_kept_run_is_not_a_report_folder(tmp_path: Path) -> None:
    commit(tmp_path / "out", {"claims.md": "x\n"})
    with pytest.raises(ReportFolderError, match="a run kept by a report folder"):
        ReportFolder((tmp_path / "out").resolve()).check()


def test_a_tilde_is_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert ReportFolder("~/out").path == tmp_path.resolve() / "out"


def test_an_unwritable_report_folder_stops_the_run_at_once(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_sentinel="def test_runs():\n    open('ran', 'w').close()\n")
    (inner.path / "a_file").write_text("not a folder")
    result = run_pytest(inner, inner.path / "a_file" / "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if "initcheck" in line]
    assert len(errors) == 1 and "cannot write reports into" in errors[0] and "Not a directory" in errors[0]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not (inner.path / "ran").exists()  # stopped before any test


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_stops_the_run_at_once(inner: pytest.Pytester) -> None:
    parent = inner.path / "locked"
    parent.mkdir(mode=0o555)
    result = run_pytest(inner, parent / "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Permission denied" in result.stderr.str()


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda p: (p / "out").mkdir() or (p / "out" / "README.md").write_text("mine\n"),
            "holds other files",
        ),
        (lambda p: (p / "out").write_text("mine\n"), "is a file, not a folder"),
        (lambda p: (p / "elsewhere").mkdir() or (p / "out").symlink_to(p / "elsewhere"), "symbolic link"),
    ],
)
def test_a_folder_that_is_not_a_report_folder_is_refused(
    inner: pytest.Pytester, setup: Any, reason: str
) -> None:
    setup(inner.path)
    before = (
        snapshot(inner.path / "out") if (inner.path / "out").is_dir() else (inner.path / "out").read_text()
    )
    result = run_pytest(inner, inner.path / "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and reason in result.stderr.str()
    after = (
        snapshot(inner.path / "out") if (inner.path / "out").is_dir() else (inner.path / "out").read_text()
    )
    assert after == before


def test_an_empty_report_dir_is_refused(inner: pytest.Pytester) -> None:
    result = inner.runpytest_inprocess("-p", "reports.plugin", "--report-dir=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "--report-dir is empty" in result.stderr.str()


def test_the_default_report_folder_does_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert ReportFolder(report_dir(None, {})).path == DEFAULT == PROJECT_ROOT / "reports" / "out"
    assert ReportFolder(report_dir(None, {"INITCHECK_REPORT_DIR": "x"})).path == tmp_path / "x"
    with pytest.raises(ReportFolderError, match="empty"):
        report_dir("", {})
    with pytest.raises(ReportFolderError, match="empty"):
        report_dir(None, {"INITCHECK_REPORT_DIR": ""})


def test_a_failure_to_write_at_the_end_still_shows_the_results(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = inner.path / "out"
    monkeypatch.setenv("INNER_RUNS", str(inner.path / ".out.runs"))
    inner.path.joinpath("test_passing.py").unlink()
    inner.makepyfile(test_sabotage=SABOTAGE)
    result = run_pytest(inner, out)
    result.assert_outcomes(passed=1)  # the counts are still printed
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert "Traceback" not in output
    assert len([line for line in result.stdout.lines if "could not write the report into" in line]) == 1
    assert not out.exists()


def test_an_interrupted_run_leaves_the_previous_report(inner: pytest.Pytester) -> None:
    """A real Ctrl-C: SIGINT to the process group of a pytest run blocked in a test."""
    out = inner.path / "out"
    run_pytest(inner, out).assert_outcomes(passed=1)
    before = snapshot(out)
    inner.makepyfile(test_blocking=BLOCKING)
    fifo = inner.path / "fifo"
    os.mkfifo(fifo)
    process = Inner(inner, out, "test_blocking.py", INNER_FIFO=str(fifo))
    try:
        process.wait_for("RUNNING")
        os.killpg(process.process.pid, signal.SIGINT)
    finally:
        status, output = process.finish()
    assert status == pytest.ExitCode.INTERRUPTED
    assert "run interrupted" in output and "left as it was" in output
    assert snapshot(out) == before
    assert statuses(out)["haar-determinant"] == "not run"


def test_a_run_cut_short_by_pytest_exit_leaves_the_previous_report(inner: pytest.Pytester) -> None:
    out = inner.path / "out"
    run_pytest(inner, out).assert_outcomes(passed=1)
    before = snapshot(out)
    inner.makepyfile(test_exit=EXITING)
    result = run_pytest(inner, out, "test_exit.py")
    assert result.ret == 0 and "run interrupted" in result.stdout.str()
    assert snapshot(out) == before


def test_two_concurrent_runs_never_mix(inner: pytest.Pytester) -> None:
    """Run A starts first and ends last; run B runs whole in between; then A must wait for the
    lock (held here) before it swaps its run in. Every state a reader can see is one whole run."""
    out = inner.path / "out"
    inner.makepyfile(test_blocking=BLOCKING)
    fifo = inner.path / "fifo"
    os.mkfifo(fifo)
    first = Inner(inner, out, "test_blocking.py", INNER_FIFO=str(fifo))
    try:
        first.wait_for("RUNNING")
        run_pytest(inner, out, "test_passing.py").assert_outcomes(passed=1)  # run B, whole
        assert statuses(out)["sigmoid-symmetry"] == "verified"
        assert statuses(out)["haar-determinant"] == "not run"
        second = snapshot(out)
        with ReportFolder(out).lock():
            with open(fifo, "w") as release:
                release.write("go")
            waiting = first.wait_for("waiting for another run")
            assert f"pid {os.getpid()}" in waiting
            assert snapshot(out) == second  # nothing of A while it waits
    finally:
        status, output = first.finish()
    assert status == 0, output
    manifest = json.loads((out / "run.json").read_text())
    assert "test_blocking.py" in manifest["verify"]["command"]
    assert statuses(out)["tanh-sigmoid-relation"] == "verified"
    assert statuses(out)["sigmoid-symmetry"] == "not run"  # nothing of B's run is left
    assert set(pd.read_csv(out / "checks.csv")["test"]) == {"test_blocking.py::test_blocks"}
    assert "1 verified" in (out / "claims.md").read_text()


# --- the folder ---------------------------------------------------------------------------------


def commit(out: Path, files: dict[str, str], part: str = "verify", **info: Any) -> None:
    folder = ReportFolder(out)
    folder.check()
    with folder.staging() as stage:
        for name, text in files.items():
            atomic.write_text(stage.path / name, text)
        stage.parts[part] = {"run": stage.run_id, **info}
        folder.commit(stage, finish=render.render)


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def test_report_files_follow_the_umask(tmp_path: Path, umask: None) -> None:
    atomic.write_text(tmp_path / "a.txt", "a\n")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640  # was 0o600 whatever the umask
    commit(tmp_path / "out", {"claims.md": "# c\n"})
    for path in [(tmp_path / "out").resolve(), *(tmp_path / "out").rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o750 if path.is_dir() else 0o640), path


def test_a_failed_or_interrupted_swap_leaves_the_previous_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(out, {"checks.csv": "old\n", "claims.csv": "old\n", "claims.md": "old\n"})
    before = snapshot(out)
    for error in (OSError(28, "No space left on device"), KeyboardInterrupt()):

        def broken(folder: Path, error: BaseException = error) -> None:
            raise error

        folder = ReportFolder(out)
        with pytest.raises(type(error)), folder.staging() as stage:
            atomic.write_text(stage.path / "checks.csv", "new\n")
            stage.parts["verify"] = {"run": stage.run_id}
            folder.commit(stage, finish=broken)
        assert snapshot(out) == before
        assert [p.name for p in folder.runs.iterdir()] == [before["link"].split("/")[-1]]  # nothing left


def test_parts_carry_over_and_stale_runs_are_collected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(out, {"claims.md": "# Claims verified by this run\n\nfirst\n"}, "verify", pytest_exit=0)
    first = os.readlink(out)
    folder = ReportFolder(out)
    abandoned = folder.runs / "staging-dead"
    abandoned.mkdir()  # a writer killed with SIGKILL leaves its staging folder, unlocked
    commit(out, {"bench/table.csv": "seed\n7\n"}, "bench", seed=7)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["verify"]["pytest_exit"] == 0 and manifest["bench"]["seed"] == 7
    assert (out / "claims.md").read_text().endswith("first\n") and (out / "bench" / "table.csv").exists()
    assert "seed 7" in (out / "README.md").read_text()
    assert sorted(p.name for p in folder.runs.iterdir()) == sorted(
        [first.split("/")[-1], os.readlink(out).split("/")[-1]]
    )


def test_a_copied_report_folder_is_a_report_folder(tmp_path: Path) -> None:
    commit(tmp_path / "out", {"claims.md": "x\n"})
    shutil.copytree(tmp_path / "out", tmp_path / "copy")  # a real folder with the marker
    commit(tmp_path / "copy", {"claims.md": "y\n"})
    assert (tmp_path / "copy").is_symlink() and (tmp_path / "copy" / "claims.md").read_text() == "y\n"


def test_a_folder_inside_a_report_folder_is_refused(tmp_path: Path) -> None:
    commit(tmp_path / "out", {"claims.md": "x\n"})
    with pytest.raises(ReportFolderError, match="inside the report folder"):
        ReportFolder(tmp_path / "out" / "sub").check()
    with pytest.raises(ReportFolderError, match="empty string"):
        ReportFolder("")


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("out", [".", "README.md", "docs"])
def test_cli_refuses_a_folder_that_is_not_a_report_folder(
    out: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# my project\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("mine\n")
    assert cli.main(["render", "--out", out]) == cli.REFUSED
    assert (tmp_path / "README.md").read_text() == "# my project\n"  # was overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "docs"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("initcheck: refusing to write reports into")


def test_cli_refuses_an_empty_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.parse(["render", "--out", ""])
    assert exit_.value.code == 2 and "must not be empty" in capsys.readouterr().err


def _write_fake_table(settings: Settings, names: list[str]) -> None:
    settings.folder.mkdir(parents=True, exist_ok=True)
    (settings.folder / "fake.csv").write_text(pd.DataFrame({"seed": [settings.seed]}).to_csv(index=False))
    (settings.folder / "timings.csv").write_text(pd.DataFrame({"experiment": names}).to_csv(index=False))


def fake_bench(settings: Settings, names: list[str], **_: object) -> tuple[list[object], dict[str, object]]:
    """Stands in for the Dask runner: the CLI's folder handling is what these tests are about."""
    _write_fake_table(settings, names)
    return [], {"cluster": "fake"}


def interrupted_bench(
    settings: Settings, names: list[str], **_: object
) -> tuple[list[object], dict[str, object]]:
    _write_fake_table(settings, names)
    raise KeyboardInterrupt  # Ctrl-C after the first file of the new seed


def test_bench_records_its_seed_and_an_interrupted_bench_mixes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "bench", fake_bench)
    assert cli.main(["bench", "--only", "speed", "--seed", "1", "--out", str(out), "--no-progress"]) == 0
    bench = json.loads((out / "run.json").read_text())["bench"]
    assert (bench["seed"], bench["quick"], bench["experiments"]) == (1, False, ["speed"])
    assert {"python", "numpy", "scipy", "initcheck"} <= set(bench["versions"])
    before = snapshot(out)
    monkeypatch.setattr(runner, "bench", interrupted_bench)
    capsys.readouterr()
    status = cli.main(["bench", "--only", "speed", "--seed", "2", "--out", str(out), "--no-progress"])
    assert status == cli.INTERRUPTED == 130
    assert snapshot(out) == before  # no file of seed 2 next to those of seed 1
    assert capsys.readouterr().err.endswith("initcheck: interrupted; " + str(out) + " left as it was\n")


def terminated_bench(
    settings: Settings, names: list[str], **_: object
) -> tuple[list[object], dict[str, object]]:
    _write_fake_table(settings, names)
    os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` from another shell
    raise AssertionError("SIGTERM did not stop the benchmark")


def test_a_terminated_bench_mixes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "bench", fake_bench)
    assert (
        cli.main(["bench", "--only", "speed", "speed", "--seed", "1", "--out", str(out), "--no-progress"])
        == 0
    )
    assert pd.read_csv(out / "bench" / "timings.csv")["experiment"].tolist() == ["speed"]  # once
    before = snapshot(out)
    monkeypatch.setattr(runner, "bench", terminated_bench)

    def guard(signum: int, frame: object) -> None:  # without the CLI's handler SIGTERM would end pytest
        raise AssertionError("the CLI does not handle SIGTERM")

    previous = signal.signal(signal.SIGTERM, guard)
    try:
        assert (
            cli.main(["bench", "--only", "speed", "--seed", "2", "--out", str(out), "--no-progress"]) == 143
        )
        assert signal.getsignal(signal.SIGTERM) is guard  # restored
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert snapshot(out) == before
    assert "initcheck: terminated;" in capsys.readouterr().err


def crashing_bench(
    settings: Settings, names: list[str], **_: object
) -> tuple[list[object], dict[str, object]]:
    _write_fake_table(settings, names)
    raise ZeroDivisionError("a bug in an experiment")


def test_a_crashed_bench_is_not_a_test_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "bench", crashing_bench)
    assert cli.main(["bench", "--only", "speed", "--out", str(out), "--no-progress"]) == cli.CRASHED == 5
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith(
        f"initcheck: crashed (ZeroDivisionError: a bug in an experiment); {out} left as it was\n"
    )
    assert not out.exists()


def test_cli_malformed_claims_table_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    commit(out, {"claims.csv": '"unterminated\n', "claims.md": "# c\n", "checks.csv": "x\n"})
    before = snapshot(out)
    assert cli.main(["render", "--out", str(out)]) == cli.UNWRITABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read claims.csv" in err
    assert snapshot(out) == before


@pytest.fixture
def tiny_suite(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """``verify`` runs pytest on a one-test suite instead of the whole project."""

    def command(staging: Path, quick: bool = False, target: str | None = None) -> list[str]:
        return [sys.executable, "-m", "pytest", "-p", "reports.plugin", "-p", "no:cacheprovider",
                "-p", "no:xdist", "-q", str(inner.path), f"--rootdir={inner.path}",
                f"--report-staging={staging}"]  # fmt: skip

    monkeypatch.setattr(cli, "verify_command", command)
    return inner


def test_verify_command_passes_the_targets_on() -> None:
    assert cli.verify_command(Path("s"), target="impls,torch")[-2:] == ["--target", "impls,torch"]
    assert "--target" not in cli.verify_command(Path("s"))


def test_the_full_verification_runs_the_claims_with_calibration_and_power() -> None:
    full, quick = cli.verify_command(Path("s")), cli.verify_command(Path("s"), quick=True)
    assert all(path in full for path in cli.FULL_PATHS) and "properties/claims" in quick
    assert "properties/selftest/test_power.py" not in quick
    for path in cli.FULL_PATHS:
        assert (cli.PROJECT_ROOT / path).exists()


def test_cli_verify_reports_the_tests_and_does_not_blame_them(
    tiny_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_suite.path / "out"
    tiny_suite.makepyfile(test_failing=FAILING)
    assert cli.main(["verify", "--out", str(out)]) == 1  # the tests' verdict, report written
    assert statuses(out)["haar-determinant"] == "failed"
    assert statuses(out)["sigmoid-symmetry"] == "verified"
    assert json.loads((out / "run.json").read_text())["verify"]["pytest_exit"] == 1
    before = snapshot(out)
    exit_5 = [sys.executable, "-c", "raise SystemExit(5)"]
    monkeypatch.setattr(cli, "verify_command", lambda staging, quick=False, target=None: exit_5)
    capsys.readouterr()
    assert cli.main(["verify", "--out", str(out)]) == cli.INCOMPLETE  # pytest ran no test: not a failure
    err = capsys.readouterr().err
    assert "did not complete (pytest exit 5: no tests collected)" in err and "left as it was" in err
    assert snapshot(out) == before
    (tiny_suite.path / "file").write_text("x")
    assert cli.main(["verify", "--out", str(tiny_suite.path / "file")]) == cli.REFUSED
    assert "is a file, not a folder" in capsys.readouterr().err
