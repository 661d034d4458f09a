"""Inner runs leave no process behind and are bounded in memory and output (#15 item 8)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import wait_until

from pytest_agent._procs import MAX_OUTPUT
from pytest_agent._procs import run_process

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="subreaper and /proc are Linux")


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_gone(pids: list[int], within: float = 10.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def pids_in(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


@pytest.fixture
def killer() -> Iterator[list[int]]:
    """Whatever a test leaves alive is killed at the end (the test has failed then)."""
    started: list[int] = []
    yield started
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "cmd.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def test_background_child_is_killed_when_the_command_ends(
    tmp_path: Path, killer: list[int]
) -> None:
    pids = tmp_path / "pids"
    argv = script(tmp_path, f"""\
        import subprocess
        p = subprocess.Popen(["sleep", "300"])
        open({str(pids)!r}, "w").write(str(p.pid))
        """)
    result = run_process(argv, cwd=tmp_path, timeout=60)
    assert result.returncode == 0 and not result.timed_out
    killer.extend(pids_in(pids))
    assert pids_in(pids) and wait_gone(pids_in(pids)) == []


DAEMON = """\
import os, sys, time
out = sys.argv[1]
for _ in range({n}):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(out, "a") as handle:
                handle.write(f"{{os.getpid()}} ")
            time.sleep(300)
        os._exit(0)
    os.wait()
"""


def test_double_forked_daemons_are_killed_when_a_contained_command_ends(
    tmp_path: Path, killer: list[int]
) -> None:
    pids = tmp_path / "pids"
    argv = [*script(tmp_path, DAEMON.format(n=5)), str(pids)]
    result = run_process(argv, cwd=tmp_path, timeout=60, contain=True)
    assert result.returncode == 0, result.output
    killer.extend(pids_in(pids))
    assert len(pids_in(pids)) == 5
    assert wait_gone(pids_in(pids)) == []


def test_contained_command_dies_with_a_killed_harness(tmp_path: Path, killer: list[int]) -> None:
    pids = tmp_path / "pids"
    hang = script(tmp_path, f"""\
        import os, time
        open({str(pids)!r}, "w").write(str(os.getpid()))
        time.sleep(600)
        """)
    harness = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        from pathlib import Path
        from pytest_agent._procs import run_process
        run_process({hang!r}, cwd=Path({str(tmp_path)!r}), timeout=600, contain=True)
        """)], start_new_session=True)
    killer.append(harness.pid)
    wait_until(lambda: bool(pids_in(pids)), "the command starting")
    killer.extend(pids_in(pids))
    os.kill(harness.pid, signal.SIGKILL)  # the harness only: not its command's group
    harness.wait(timeout=30)
    assert wait_gone(pids_in(pids)) == []


def test_timeout_kills_daemons_of_a_contained_command(tmp_path: Path, killer: list[int]) -> None:
    pids = tmp_path / "pids"
    body = DAEMON.format(n=3) + "time.sleep(600)\n"
    argv = [*script(tmp_path, body), str(pids)]
    result = run_process(argv, cwd=tmp_path, timeout=3, contain=True)
    assert result.timed_out
    killer.extend(pids_in(pids))
    assert len(pids_in(pids)) == 3
    assert wait_gone(pids_in(pids)) == []


def test_fork_storm_is_killed_to_the_last_process(tmp_path: Path, killer: list[int]) -> None:
    # A bounded bomb (a binary tree of depth 7: 255 processes) -- an unbounded one would
    # hurt the machine the suite runs on -- each forking and sleeping, then the root exits
    # once the tree has grown (or after 30 s): the run ends when the root does, so a root
    # that left at once would race its own descendants' forks (CI under load saw 97 of 255).
    pids = tmp_path / "pids"
    argv = [*script(tmp_path, """\
        import os, sys, time
        out = sys.argv[1]
        depth = 0
        while depth < 7:
            if os.fork() == 0:
                depth += 1
                continue
            if os.fork() == 0:
                depth += 1
                continue
            break
        with open(out, "a") as handle:
            handle.write(f"{os.getpid()} ")
        if depth:
            time.sleep(300)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(out) as handle:
                if len(handle.read().split()) >= 255:
                    break
            time.sleep(0.05)
        """), str(pids)]
    result = run_process(argv, cwd=tmp_path, timeout=60, contain=True)
    assert not result.timed_out
    killer.extend(pids_in(pids))
    assert len(pids_in(pids)) > 100
    assert wait_gone(pids_in(pids)) == []


def test_memory_hog_is_bounded(tmp_path: Path) -> None:
    argv = script(tmp_path, """\
        try:
            hog = bytearray(2 << 30)
        except MemoryError:
            raise SystemExit("MemoryError")
        raise SystemExit("allocated 2 GiB")
        """)
    env = {**os.environ, "PYTEST_AGENT_MEMORY_LIMIT_MB": "256"}
    code = textwrap.dedent(f"""\
        from pathlib import Path
        from pytest_agent._procs import MEMORY_LIMIT, run_process
        assert MEMORY_LIMIT == 256 << 20
        print(run_process({argv!r}, cwd=Path({str(tmp_path)!r}), timeout=60, contain=True).output)
        """)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "MemoryError" in out


def test_huge_output_is_capped(tmp_path: Path) -> None:
    argv = script(tmp_path, """\
        import sys
        sys.stdout.write("first line\\n")
        chunk = "x" * (1 << 20) + "\\n"
        for _ in range(40):
            sys.stdout.write(chunk)
        sys.stdout.write("last line\\n")
        """)
    result = run_process(argv, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert len(result.output) <= MAX_OUTPUT + 200
    assert result.output.startswith("first line")
    assert result.output.rstrip().endswith("last line")
    assert "bytes of output cut" in result.output


def test_stdin_larger_than_a_pipe_reaches_the_command(tmp_path: Path) -> None:
    data = "".join(f"line {i}\n" for i in range(40_000))  # ~400 KB: many pipe buffers
    result = run_process([sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read())"],
                         cwd=tmp_path, timeout=60, stdin=data)
    assert result.returncode == 0 and not result.timed_out
    assert result.output == data


def test_a_command_that_never_reads_its_stdin_still_times_out(
    tmp_path: Path, killer: list[int]
) -> None:
    pids = tmp_path / "pids"
    argv = script(tmp_path, f"""\
        import os, time
        open({str(pids)!r}, "w").write(str(os.getpid()))
        time.sleep(600)
        """)
    result = run_process(argv, cwd=tmp_path, timeout=2, stdin="x" * (4 << 20))
    killer.extend(pids_in(pids))
    assert result.timed_out and result.returncode == -signal.SIGKILL
    assert wait_gone(pids_in(pids)) == []


def test_exit_codes_and_output_of_short_commands(tmp_path: Path) -> None:
    # The exit is seen through a pidfd on Linux: every code comes back as the wait gave it.
    for code in (0, 1, 3, 77):
        result = run_process([sys.executable, "-c", f"print('out'); raise SystemExit({code})"],
                             cwd=tmp_path, timeout=60)
        assert (result.returncode, result.output, result.timed_out) == (code, "out\n", False)
    killed = run_process([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"],
                         cwd=tmp_path, timeout=60)
    assert killed.returncode == -signal.SIGKILL and not killed.timed_out


def test_wait_exit_returns_the_code_or_raises_at_the_deadline(tmp_path: Path) -> None:
    from pytest_agent._procs import wait_exit

    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(5)"])
    assert wait_exit(proc, time.monotonic() + 60) == 5
    assert wait_exit(proc, time.monotonic() + 60) == 5  # already collected: the same code
    sleeper = subprocess.Popen(["sleep", "600"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            wait_exit(sleeper, time.monotonic() + 0.2)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait(timeout=60)
