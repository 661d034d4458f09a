"""The zygote: one parent per harness process that forks each task's warm server.

A task server forked from the zygote must behave as one started fresh (same verdicts on
the warm/cold matrix of ``test_warm.py``), must end with its harness (a ``kill -9``
too), and a zygote that is gone must leave the fresh start as the way out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GitProject
from test_warm import ERRORS
from test_warm import MATRIX
from test_warm import SETTINGS
from test_warm import _alive
from test_warm import _gone
from test_warm import verdicts
from test_warm import write_matrix

from pytest_agent._server import ForkedServer
from pytest_agent._server import TaskTests
from pytest_agent._server import start_zygote
from pytest_agent._server import stop_zygote
from pytest_agent._server import zygote_available
from pytest_agent.testrun import run_tests

pytestmark = pytest.mark.skipif(not zygote_available(), reason="needs Linux pidfd and fd passing")


def _parent(pid: int) -> int:
    """The parent pid of ``pid`` (from ``/proc``; 0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


@pytest.fixture
def matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``test_warm.py``'s project of warm/cold cases."""
    return write_matrix(tmp_path, monkeypatch)


@pytest.fixture
def zygote() -> Iterator[None]:
    start_zygote()
    try:
        yield
    finally:
        stop_zygote()


@pytest.fixture
def forked(matrix: Path, zygote: None) -> Iterator[TaskTests]:
    session = TaskTests.open(SETTINGS)
    try:
        session.attach(matrix, matrix, MATRIX)
        yield session
    finally:
        session.close()


def test_a_server_forked_from_the_zygote_gives_the_verdicts_of_a_fresh_process(
        matrix: Path, forked: TaskTests) -> None:
    server = forked.server
    assert server is not None and isinstance(server.proc, ForkedServer)
    warm = run_tests(matrix, MATRIX, timeout=120, warm=True)
    assert server.runs == 1 and not server.broken
    cold = run_tests(matrix, MATRIX, timeout=120)
    assert verdicts(warm) == verdicts(cold)
    assert verdicts(warm)[0]["tests/test_hang.py::test_loops"] == "failed"
    assert verdicts(warm)[0]["tests/test_state.py::test_second"] == "passed"
    errors = run_tests(matrix, ERRORS, timeout=120, warm=True)
    assert verdicts(errors) == verdicts(run_tests(matrix, ERRORS, timeout=120))
    assert server.runs == 2
    # Edits of the project's code are seen by the next forked run.
    (matrix / "lib.py").write_text("def add(a, b):\n    return a - b\n")
    run = run_tests(matrix, ["tests/test_state.py"], timeout=120, warm=True)
    assert run.failing == ("tests/test_state.py::test_add",)
    assert server.runs == 3
    # The server is the zygote's child, in its own process group, and ends with close().
    pid = server.proc.pid
    assert os.getpgid(pid) == pid
    zygote_pid = _parent(pid)
    assert zygote_pid not in (0, os.getpid()) and _parent(zygote_pid) == os.getpid()
    forked.close()
    assert _gone(pid)


def test_each_task_gets_its_own_server_and_the_zygote_collects_them(
        matrix: Path, zygote: None) -> None:
    pids = []
    for _ in range(2):
        session = TaskTests.open(SETTINGS)
        session.attach(matrix, matrix, ["tests/test_state.py"])
        try:
            assert run_tests(matrix, ["tests/test_state.py"], timeout=120, warm=True).passed
            assert session.server is not None and session.server.runs == 1
            assert session.server.proc is not None
            pids.append(session.server.proc.pid)
        finally:
            session.close()
    assert len(set(pids)) == 2
    zygote_pid = _parent(pids[0]) or None
    stop_zygote()
    assert all(_gone(pid) for pid in pids)
    if zygote_pid is not None:
        assert _gone(zygote_pid)


def test_without_its_zygote_a_task_starts_a_fresh_server(matrix: Path, zygote: None) -> None:
    from pytest_agent._server import _running_zygote

    running = _running_zygote()
    assert running is not None and running.proc is not None
    os.kill(running.proc.pid, signal.SIGKILL)
    running.proc.wait(timeout=10)
    session = TaskTests.open(SETTINGS)
    session.attach(matrix, matrix, ["tests/test_state.py"])
    try:
        assert session.server is not None
        assert isinstance(session.server.proc, subprocess.Popen)
        assert run_tests(matrix, ["tests/test_state.py"], timeout=120, warm=True).passed
        assert session.server.runs == 1
    finally:
        session.close()


HOLDER = """\
import sys
from pathlib import Path

from pytest_agent._server import TaskTests
from pytest_agent._server import start_zygote
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

project = Path(sys.argv[1])
start_zygote()
session = TaskTests.open(AgentSettings())
session.attach(project, project, ["tests/test_state.py"])
assert run_tests(project, ["tests/test_state.py"], timeout=120, warm=True).passed
server = session.server.proc.pid
zygote = session.server.proc.zygote.proc
print(server, zygote.pid if zygote is not None else 0, flush=True)
sys.stdin.read()  # until killed
"""


def test_a_killed_harness_takes_its_zygote_and_servers_with_it(matrix: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(matrix)], cwd=matrix,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None
            server, zygote = map(int, holder.stdout.readline().split())
            assert _parent(server) == zygote and _parent(zygote) == holder.pid
        finally:
            holder.kill()  # SIGKILL: no cleanup of its own runs
    assert _gone(zygote) and _gone(server)


TWO_TASKS_CONFTEST = """\
import os


def pytest_agent_localize(task, workspace, baseline, settings):
    return (), ""


def pytest_agent_propose_diff(task, context):
    i = int(task.id.split("-")[1])
    return (
        f"--- a/src/m{i}.py\\n+++ b/src/m{i}.py\\n@@ -1,2 +1,2 @@\\n"
        f" def value():\\n-    return -1\\n+    return {i}\\n"
    )
"""

LINEAGE_TEST = """\
import os
from pathlib import Path

from src.m{i} import value


def _parent(pid):
    return int(Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _tag(pid):
    argv = Path(f"/proc/{{pid}}/cmdline").read_bytes().split(b"\\0")
    agent = b"--agent-all" in argv or b"--agent-run" in argv
    return "Z" if b"--zygote" in argv else "A" if agent else "-"


def test_value():
    chain = [os.getppid()]
    for _ in range(2):
        chain.append(_parent(chain[-1]))
    with open(os.environ["AGENT_LINEAGE"], "a") as log:
        log.write(" ".join(f"{{pid}}{{_tag(pid)}}" for pid in chain) + "\\n")
    assert value() == {i}
"""


ZYGOTES_TEST = """\
import os
from pathlib import Path

from src.m{i} import value


def _parent(pid):
    return int(Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _image(pid):
    # A zygote's forks (the task servers) keep its command line.
    return b"--zygote" in Path(f"/proc/{{pid}}/cmdline").read_bytes().split(b"\\0")


def test_value():
    # The zygotes started by an ancestor of this test (one of the run's processes):
    # other runs' zygotes on the machine have other parents.
    ancestors, pid = set(), os.getpid()
    while pid > 1:
        ancestors.add(pid)
        pid = _parent(pid)
    zygotes = []
    for entry in Path("/proc").iterdir():
        try:
            parent = _parent(int(entry.name))
            if _image(entry.name) and parent in ancestors and not _image(parent):
                zygotes.append(entry.name)
        except (OSError, ValueError):
            continue
    with open(os.environ["AGENT_LINEAGE"], "a") as log:
        log.write(" ".join(["zygotes:", *zygotes]) + "\\n")
    assert value() == {i}
"""


def _lineage_run(project: GitProject, lineage: Path, tasks: int, *args: str,
                 test: str = LINEAGE_TEST, agent_yml: str = "") -> list[list[str]]:
    """An agent run over ``tasks`` tasks; each inner run's parent, grandparent and
    great-grandparent, tagged Z (a process of the zygote's image), A (the run's
    ``pytest --agent-...`` process) or - (anything else). ``test``: another body of
    the accept tests (each writes a line); ``agent_yml``: more of ``.agent.yml``."""
    plan = ["tasks:"]
    for i in range(tasks):
        project.write(f"src/m{i}.py", "def value():\n    return -1\n")
        project.write(f"tests/test_m{i}.py", test.format(i=i))
        plan += [f"  - id: T-{i:02d}", f"    description: m{i}",
                 f"    accept_tests: [tests/test_m{i}.py::test_value]",
                 "    status: pending", "    attempts: 0"]
    project.write("plans/sprint-12.yaml", "\n".join(plan) + "\n")
    project.write(".agent.yml", "lint_command: []\nmax_reflexion_retries: 0\n" + agent_yml)
    project.write("conftest.py", textwrap.dedent(TWO_TASKS_CONFTEST))
    project.commit_all("tasks")
    result = project.pytester.runpytest_subprocess(*args)
    assert result.ret == 0, result.stdout.str()
    return [line.split() for line in lineage.read_text().splitlines()]


@pytest.mark.parametrize("xdist", [False, True], ids=["one-process", "xdist-2-workers"])
def test_an_agent_run_forks_every_task_server_from_one_zygote(
        project: GitProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        xdist: bool) -> None:
    lineage = tmp_path / "lineage.txt"
    monkeypatch.setenv("AGENT_LINEAGE", str(lineage))
    tasks = 4 if xdist else 2
    args = ["-p", "xdist.plugin", "-n", "2"] if xdist else []
    runs = _lineage_run(project, lineage, tasks, *args, "--agent-all")
    baselines = [r for r in runs if r[0].endswith("Z")]
    proofs = [r for r in runs if not r[0].endswith("Z")]
    assert len(baselines) == tasks and len(proofs) == tasks, runs
    # The baseline: run -> its task's server -> the zygote -> the run's main process
    # (with xdist: the controller, whose zygote the workers share).
    assert all(r[1].endswith("Z") and r[2].endswith("A") for r in baselines), runs
    servers = {int(r[0][:-1]) for r in baselines}
    zygotes = {int(r[1][:-1]) for r in baselines}
    assert len(servers) == tasks and len(zygotes) == 1
    # The proof: a fresh process of the process that ran the task (directly, or under
    # its reaper wrapper), never of the zygote's image.
    assert not any(pid.endswith("Z") for r in proofs for pid in r), runs
    if not xdist:
        harness = {r[2] for r in baselines}
        assert all(r[0] in harness or r[1] in harness for r in proofs), runs
    assert not any(_alive(pid) for pid in servers | zygotes)


def test_a_single_task_run_starts_its_server_without_a_zygote(
        project: GitProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lineage = tmp_path / "lineage.txt"
    monkeypatch.setenv("AGENT_LINEAGE", str(lineage))
    runs = _lineage_run(project, lineage, 2, "--agent-run", "T-01")
    assert len(runs) == 2, runs  # the baseline and the proof of T-01
    assert not any(pid.endswith("Z") for r in runs for pid in r), runs
    # The baseline's server is a child of the run's process: run -> server -> harness.
    assert any(r[1].endswith("A") and not r[0].endswith("A") for r in runs), runs


@pytest.mark.parametrize(("xdist", "agent_yml", "zygotes"), [
    (True, "", 1),  # the control: a shared zygote is seen from every test
    (True, "test_server: subprocess  # no forks here\n", 0),
    (True, "# test_server: fork\ntest_server: 'subprocess'\n", 0),
    # Not the one-line form the start reads without YAML: stopped once the settings load.
    (True, "test_server:\n  subprocess\n", 0),
    (False, "test_server: subprocess\n", 0),
], ids=["xdist-auto", "xdist-off", "xdist-off-quoted", "xdist-off-next-line",
        "one-process-off"])
def test_no_zygote_runs_when_agent_yml_turns_the_server_off(
        project: GitProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        xdist: bool, agent_yml: str, zygotes: int) -> None:
    lineage = tmp_path / "lineage.txt"
    monkeypatch.setenv("AGENT_LINEAGE", str(lineage))
    args = ["-p", "xdist.plugin", "-n", "2"] if xdist else []
    runs = _lineage_run(project, lineage, 2, *args, "--agent-all", test=ZYGOTES_TEST,
                        agent_yml=agent_yml)
    # Each task: the baseline and the proof; every one saw the same zygotes.
    assert len(runs) == 4 and all(r[0] == "zygotes:" for r in runs), runs
    assert {len(r) - 1 for r in runs} == {zygotes}, runs


def test_a_worker_that_cannot_reach_the_shared_zygote_starts_its_own(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pytest_agent._server import ZYGOTE_ENV
    from pytest_agent._server import _running_zygote

    monkeypatch.setenv(ZYGOTE_ENV, str(tmp_path / "nobody-listens.sock"))
    start_zygote()
    try:
        running = _running_zygote()
        assert running is not None and running.proc is not None  # its own process
        assert ZYGOTE_ENV not in os.environ  # no inner run sees the variable
        server = TaskTests.open(SETTINGS).server
        assert server is not None and isinstance(server.proc, ForkedServer)
        assert _parent(server.proc.pid) == running.proc.pid
        server.close()
    finally:
        stop_zygote()


def test_a_killed_worker_takes_its_servers_but_not_the_shared_zygote(matrix: Path) -> None:
    from pytest_agent._server import ZYGOTE_ENV
    from pytest_agent._server import _running_zygote

    start_zygote(shared=True)
    try:
        shared = _running_zygote()
        assert shared is not None and shared.proc is not None and shared.path
        assert os.environ[ZYGOTE_ENV] == shared.path  # what the workers inherit
        with subprocess.Popen([sys.executable, "-c", HOLDER, str(matrix)], cwd=matrix,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) as worker:
            try:
                assert worker.stdout is not None
                server, own = map(int, worker.stdout.readline().split())
                assert own == 0  # it started no zygote: it connected to ours
                assert _parent(server) == shared.proc.pid
            finally:
                worker.kill()
        assert _gone(server)
        assert _alive(shared.proc.pid)
        # The shared zygote still serves this process.
        session = TaskTests.open(SETTINGS)
        try:
            session.attach(matrix, matrix, ["tests/test_state.py"])
            assert run_tests(matrix, ["tests/test_state.py"], timeout=120, warm=True).passed
            assert session.server is not None and session.server.runs == 1
        finally:
            session.close()
    finally:
        stop_zygote()
    assert ZYGOTE_ENV not in os.environ
