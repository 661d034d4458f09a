"""The argv and environment of an inner pytest run (shared by test runs and the warm server).

Kept below both :mod:`pytest_agent.testrun` and :mod:`pytest_agent._server`, which
each need them: the server attaches with the same arguments and environment that a
fresh run would have.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_agent._timeout import PLUGIN as TIMEOUT_PLUGIN
from pytest_agent._timeout import TestLimits

__all__ = [
    "INNER_ARGS", "inner_args", "inner_pytest_env", "remember_slowest", "slowest_seen",
]

# Plugin flags for every inner run: record outcomes; stop hanging tests (per-test
# timeouts); never write a cache into the workspace (it would end up in the commit);
# never recurse into the agent plugin.
INNER_ARGS: tuple[str, ...] = (
    "-p", "pytest_agent._collector",
    "-p", TIMEOUT_PLUGIN,
    "-p", "no:cacheprovider",
    "-p", "no:randomly",
)


def inner_pytest_env(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an inner run: the workspace first on ``sys.path``, no bytecode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    pythonpath = [str(root)]
    if env.get("PYTHONPATH"):
        pythonpath.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_TESTRUNUID", None)
    # Per-test timeouts that know the slowest test of earlier runs here (see ``_timeout``).
    env.update(TestLimits(slowest=slowest_seen(root)).to_env())
    if extra:
        env.update(extra)
    return env


#: The slowest finished test seen so far per test root (seconds): later runs of the
#: same tests derive their per-test timeouts from it (see ``_timeout``).
_SLOWEST: dict[str, float] = {}


def slowest_seen(root: Path) -> float:
    """The slowest test that finished in an earlier inner run in ``root`` (0 if none)."""
    return _SLOWEST.get(str(root.resolve()), 0.0)


def remember_slowest(root: Path, records: Sequence[dict[str, Any]]) -> None:
    durations = [float(r["duration"]) for r in records
                 if r.get("duration") is not None and not r.get("hung")]
    if durations:
        key = str(root.resolve())
        _SLOWEST[key] = max(_SLOWEST.get(key, 0.0), *durations)


def inner_args(args: Sequence[str], plugins: Sequence[str] = ()) -> list[str]:
    """The arguments of an inner ``pytest`` run of ``args`` (after ``python -m pytest``)."""
    loaded = [flag for name in plugins for flag in ("-p", name)]
    return [*INNER_ARGS, *loaded, "-q", "--no-header", "-rN", "-o", "addopts=", *args]
