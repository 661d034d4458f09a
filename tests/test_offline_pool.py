"""The warm candidate validators: isolation, timeouts, memory limit, staleness, cleanup.

Most tests run on both kinds of validator: forks of a warm test server working in the
tree itself (``forked``, what a search uses where it can fork) and the fallback, fresh
workers in private copies (``copies``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_agent._server import FORCE_COLD_ENV
from pytest_agent._server import TaskTests
from pytest_agent._timeout import TestLimits
from pytest_agent.engines.offline._pool import WorkerPool
from pytest_agent.engines.offline._pool import open_pool

CODE = textwrap.dedent("""\
    def smaller(a, b):
        return a if a < b else b
    """)
TESTS = textwrap.dedent("""\
    from code_under_test import smaller


    def test_smaller():
        assert smaller(2, 3) == 2


    def test_equal():
        assert smaller(4, 4) == 4
    """)
ARGS = ["-x", "-q", "--tb=no", "-p", "no:cacheprovider", "tests/test_smaller.py"]


def tree_hash(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "code_under_test.py").write_text(CODE)
    (tmp_path / "tests" / "test_smaller.py").write_text(TESTS)
    return tmp_path


def make_pool(kind: str, project: Path, size: int = 1, **options: object) -> WorkerPool:
    """Validators of ``kind``: forks of a warm server of the pool's own, or copies."""
    if kind == "forked":
        pool = open_pool(project, project, size, mutable=["code_under_test.py"],
                         tests=["tests/test_smaller.py"], **options)  # type: ignore[arg-type]
        assert pool.server is not None
        return pool
    return WorkerPool(project, project, size, mutable=["code_under_test.py"],
                      **options)  # type: ignore[arg-type]


@pytest.fixture(params=["forked", "copies"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pool(project: Path, kind: str) -> Iterator[WorkerPool]:
    with make_pool(kind, project, mem_headroom=256 << 20) as p:
        assert p.forked is (kind == "forked"), p.fallback
        yield p


def test_verdicts_follow_each_candidate_with_no_stale_module(pool: WorkerPool,
                                                              project: Path) -> None:
    before = tree_hash(project)
    assert pool.run({}, ARGS, 10).ok
    # Same size, same second: a cached module or .pyc would give the old verdict.
    wrong = CODE.replace("a < b", "a > b")
    for text, ok in [(wrong, False), (CODE, True), (wrong, False)]:
        result = pool.run({"code_under_test.py": text}, ARGS, 10)
        assert result.ok is ok
    assert result.failed == ("tests/test_smaller.py::test_smaller",)
    # -x: the first failure ends the session, the second test never ran.
    assert "tests/test_smaller.py::test_equal" not in result.outcomes
    # The user's tree is never written, and no bytecode appeared anywhere.
    assert tree_hash(project) == before


LOOPING = CODE.replace("    return", "    while True:\n        pass\n    return")


def test_infinite_loop_is_killed_and_the_worker_goes_on(pool: WorkerPool) -> None:
    pool.limits = TestLimits(cap=0)  # no per-test timeout: the candidate's timeout applies
    result = pool.run({"code_under_test.py": LOOPING}, ARGS, 1.0)
    assert result.timed_out and not result.ok
    assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok


def test_a_hanging_candidate_costs_its_per_test_timeout_with_evidence(
        project: Path, kind: str) -> None:
    limits = TestLimits(floor=0.5, factor=10, cap=1.0)
    no_x = [a for a in ARGS if a != "-x"]
    with make_pool(kind, project, limits=limits) as pool:
        assert pool.run({}, no_x, 60).ok
        # The baseline taught the pool how long a test takes here.
        assert pool.limits.slowest > 0
        result = pool.run({"code_under_test.py": LOOPING}, no_x, 60)
        # Stopped by the per-test timeout, not by the candidate's 60 s: both tests ran
        # and each says where it hung.
        assert not result.timed_out and not result.ok
        assert result.outcomes == {"tests/test_smaller.py::test_smaller": "failed",
                                   "tests/test_smaller.py::test_equal": "failed"}
        assert set(result.hung.values()) == {"hung in smaller (code_under_test.py:2)"}
        assert pool.run({"code_under_test.py": CODE}, no_x, 60).ok


def test_memory_hog_is_stopped_and_the_worker_goes_on(pool: WorkerPool) -> None:
    hog = CODE.replace("    return", "    hoard = bytearray(2 << 30)\n    return hoard and")
    result = pool.run({"code_under_test.py": hog}, ARGS, 10)
    # A MemoryError in the test (the data limit), not a kill for taking too long.
    assert not result.ok and not result.timed_out and not result.crashed
    assert result.failed == ("tests/test_smaller.py::test_smaller",)
    assert result.hung == {}
    assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok


def test_a_candidate_that_kills_its_process_is_a_crash(pool: WorkerPool) -> None:
    dying = CODE.replace("    return", "    import os\n    os._exit(3)\n    return")
    result = pool.run({"code_under_test.py": dying}, ARGS, 10)
    assert result.crashed and not result.ok
    assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok


def test_parallel_workers_use_separate_copies_and_close_kills_them(project: Path) -> None:
    import concurrent.futures as cf

    wrong = CODE.replace("a < b", "a > b")
    with WorkerPool(project, project, 2, mutable=["code_under_test.py"]) as pool:
        pids = [w.proc.pid for w in pool._workers if w.proc is not None]
        roots = {w.root for w in pool._workers}
        assert len(roots) == 2 and project not in roots
        jobs = [wrong, CODE] * 4
        with cf.ThreadPoolExecutor(max_workers=2) as ex:
            oks = list(ex.map(lambda t: pool.run({"code_under_test.py": t}, ARGS, 10).ok, jobs))
        assert oks == [False, True] * 4
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not any(r.exists() for r in roots)


def test_conftest_importing_the_module_under_repair_sees_each_candidate(
        project: Path, kind: str) -> None:
    # Parsing the config imports the module (in a forked validator, the server imported
    # it already): the parsed config must not be reused, nor the module kept, or every
    # candidate would run against the original code.
    (project / "conftest.py").write_text("import code_under_test  # noqa: F401\n")
    wrong = CODE.replace("a < b", "a > b")
    with make_pool(kind, project) as pool:
        verdicts = [pool.run({"code_under_test.py": t}, ARGS, 10).ok
                    for t in (wrong, CODE, wrong)]
    assert verdicts == [False, True, False]


def test_a_third_party_style_import_of_the_project_is_not_cached(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    # A module outside the tree that imports the module under repair: warmed in the
    # worker, but the project module it pulled in is dropped again.
    outside = tmp_path_factory.mktemp("site")
    (outside / "helper_lib.py").write_text("import code_under_test\n\nSMALLER = code_under_test\n")
    (project / "tests" / "test_smaller.py").write_text("import helper_lib  # noqa: F401\n" + TESTS)
    wrong = CODE.replace("a < b", "a > b")
    # (Kept after it: where pytest_agent is not installed, it is found on PYTHONPATH.)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(outside), *filter(None, [os.environ.get("PYTHONPATH")])]))
    with make_pool(kind, project) as pool:
        verdicts = [pool.run({"code_under_test.py": t}, ARGS, 10).ok
                    for t in (wrong, CODE, wrong)]
    assert verdicts == [False, True, False]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.update(int(p) for p in text.split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_closing_the_pool_mid_candidate_kills_a_looping_child(project: Path, kind: str) -> None:
    import threading

    looping = CODE.replace("    return", "    while True:\n        pass\n    return")
    # No per-test timeout: the child must still be looping when the pool closes.
    pool = make_pool(kind, project, limits=TestLimits(cap=0))
    pool.start()
    pool.warm(ARGS, 30)  # the probe's child comes and goes here, not below
    worker = pool._workers[0]
    # The validator: a fresh worker process, or a fork of the server.
    zygote = getattr(worker, "pid", None) or (worker.proc.pid if worker.proc else None)
    assert isinstance(zygote, int)
    thread = threading.Thread(target=pool.run, args=({"code_under_test.py": looping}, ARGS, 60))
    thread.start()
    deadline = time.monotonic() + 10
    while not _children(zygote) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let the candidate reach its loop
    children = _children(zygote)
    assert children, "the candidate's child never started"
    pool.close()  # the worker is SIGKILLed while its child loops
    thread.join(timeout=20)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
        time.sleep(0.05)
    alive = [c for c in children if Path(f"/proc/{c}").exists()
             and "Z" not in Path(f"/proc/{c}/stat").read_text().split()[2]]
    assert alive == []


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return "Z" not in stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_candidate_that_spawns_children_and_wrecks_its_process_cannot_touch_the_next(
        pool: WorkerPool, tmp_path_factory: pytest.TempPathFactory) -> None:
    from conftest import wait_until

    pid_file = tmp_path_factory.mktemp("spawned") / "pid"
    wrecking = CODE + textwrap.dedent(f"""\
        import os, subprocess, sys
        child = subprocess.Popen(["sleep", "300"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        os.chdir("/")
        sys.path.clear()
        """)
    assert pool.run({"code_under_test.py": wrecking}, ARGS, 10).ok
    spawned = int(pid_file.read_text())
    # The session's whole process group ends with it: its grandchild too.
    wait_until(lambda: not _alive(spawned), "the spawned child was killed")
    assert pool.run({"code_under_test.py": CODE.replace("a < b", "a > b")}, ARGS, 10).failed
    assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok


def test_forked_validators_share_the_tree_without_writing_it(project: Path) -> None:
    import concurrent.futures as cf

    before = tree_hash(project)
    wrong = CODE.replace("a < b", "a > b")
    with make_pool("forked", project, 2) as pool:
        assert pool.forked and len(pool._workers) == 2
        # Both run in the tree itself, and see only their own candidate.
        assert {w.root for w in pool._workers} == {project}
        jobs = [wrong, CODE] * 4
        with cf.ThreadPoolExecutor(max_workers=2) as ex:
            oks = list(ex.map(lambda t: pool.run({"code_under_test.py": t}, ARGS, 10).ok, jobs))
        assert oks == [False, True] * 4
        server = pool.server
        assert server is not None and server.proc is not None
        pids = [pid for w in pool._workers if isinstance(pid := getattr(w, "pid", None), int)]
        assert len(pids) == 2 and set(pids) <= _children(server.proc.pid)
    # Closing the pool closed its own server and killed the validators with it.
    from conftest import wait_until

    wait_until(lambda: not any(_alive(pid) for pid in pids), "the validators were killed")
    assert tree_hash(project) == before


def test_a_search_forks_its_validators_from_the_task_server(
        project: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server that imported the conftest's dependencies for the baseline serves the
    candidates: no validator and no candidate imports them again (in copies, every
    worker would)."""
    from pytest_agent.settings import AgentSettings

    site = tmp_path_factory.mktemp("site")
    log = site / "imports.log"
    (site / "heavy_dep.py").write_text(textwrap.dedent(f"""\
        import os
        with open({str(log)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        """))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ["PYTHONPATH"]])
                       if os.environ.get("PYTHONPATH") else str(site))
    (project / "conftest.py").write_text("import heavy_dep  # noqa: F401\n")
    tests = TaskTests.open(AgentSettings())
    try:
        tests.attach(project, project, ["tests/test_smaller.py"])
        assert tests.server is not None and tests.server.proc is not None
        wrong = CODE.replace("a < b", "a > b")
        with open_pool(project, project, 2, mutable=["code_under_test.py"],
                       tests=["tests/test_smaller.py"]) as pool:
            assert pool.server is tests.server and not pool.own_server
            verdicts = [pool.run({"code_under_test.py": t}, ARGS, 10).ok
                        for t in (wrong, CODE, wrong, CODE)]
        assert verdicts == [False, True, False, True]
        importers = {int(line) for line in log.read_text().split()}
        # (The proof's fresh process, started early, imports it too: it is cold.)
        early = tests.early.proc.pid if tests.early and tests.early.proc else None
        assert importers - {early} == {tests.server.proc.pid}
        # The task's server goes on serving after the search.
        assert tests.server.proc.poll() is None and not tests.server.broken
    finally:
        tests.close()


def test_without_fork_a_search_uses_fresh_workers_in_copies(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_COLD_ENV, "1")
    with open_pool(project, project, 1, mutable=["code_under_test.py"],
                   tests=["tests/test_smaller.py"]) as pool:
        assert pool.server is None and not pool.forked
        assert all(w.root != project for w in pool._workers)
        assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok
        assert not pool.run({"code_under_test.py": CODE.replace("a < b", "a > b")}, ARGS, 10).ok


def test_validators_outlive_their_server_as_fresh_workers(project: Path) -> None:
    wrong = CODE.replace("a < b", "a > b")
    with make_pool("forked", project) as pool:
        assert pool.run({"code_under_test.py": CODE}, ARGS, 10).ok
        server = pool.server
        assert server is not None and server.proc is not None
        os.kill(server.proc.pid, signal.SIGKILL)  # its validator dies with it
        pool.run({"code_under_test.py": CODE}, ARGS, 10)  # the run that finds it dead
        verdicts = [pool.run({"code_under_test.py": t}, ARGS, 10).ok for t in (wrong, CODE)]
        assert verdicts == [False, True]
        assert "fresh workers in copies (the test server cannot fork validators" in \
            pool.validators
