"""Tasks from failing tests: ``pytest --agent-from-failures [tests...]``.

The given tests (or the last failed set in pytest's cache) run once, in a
subprocess in the rootdir, with the same outcome recorder as the loop's inner
runs. Every failing test becomes a task whose accept test it is; the failing
cases of one parametrized test function become one task (they usually share a
cause, and one fix should make them all pass). A module that fails to import is
one task with the module as its accept test. The tasks are written as an
ordinary plan file -- to ``--agent-save-plan PATH`` for the user to edit and
rerun, or else to pytest's cache directory -- and then run as plan tasks.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import final

import pytest

from pytest_agent._outcomes import FAILING
from pytest_agent.testrun import run_recorded
from pytest_agent.writeback import format_timestamp
from pytest_agent.writeback import render_scalar

__all__ = [
    "CACHE_PLAN",
    "WORKERINPUT_KEY",
    "FailureGroup",
    "FromFailuresError",
    "describe",
    "group_failures",
    "last_failed",
    "plan_from_failures",
    "render_plan",
    "resolve_targets",
    "run_targets",
    "task_ids",
]

#: Worker input key: the plan the xdist controller generated (workers never rerun the tests).
WORKERINPUT_KEY = "agent_from_failures_plan"
#: Where the generated plan goes when ``--agent-save-plan`` is not given (in the cache dir).
CACHE_PLAN = "from-failures.yaml"

_ID_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ID = 80
_MAX_DESCRIPTION = 400


class FromFailuresError(Exception):
    """The failing tests cannot be turned into tasks; the message says why and what to do."""


@final
@dataclass(frozen=True)
class FailureGroup:
    """The failing cases of one test function (or one module that failed to collect)."""

    #: The function's node id without parameters, or the module's node id.
    key: str
    #: The failing node ids, in the order they ran: the task's accept tests.
    nodeids: tuple[str, ...]
    #: The first failure's error, one line (``AssertionError: assert 1 == 2``).
    error: str
    #: Whether the module failed to import or collect.
    collect_error: bool = False


# -- which tests --------------------------------------------------------------


def resolve_targets(
    args: Sequence[str], *, invocation_dir: Path, rootpath: Path
) -> list[str]:
    """Command-line test arguments as node ids relative to the rootdir (checked to exist)."""
    root = rootpath.resolve()
    targets: list[str] = []
    for arg in args:
        path_part, sep, rest = arg.partition("::")
        path = (invocation_dir / path_part).resolve()
        if not path.exists():
            raise FromFailuresError(
                f"--agent-from-failures: file or directory not found: {path_part} "
                f"(looked for {path})"
            )
        try:
            rel = path.relative_to(root)
        except ValueError:
            raise FromFailuresError(
                f"--agent-from-failures: {arg} is outside the rootdir {root}; tasks run "
                "tests relative to the rootdir"
            ) from None
        nodeid = "" if str(rel) == "." else rel.as_posix()
        targets.append(nodeid + sep + rest if nodeid else rest)
    return [t or "." for t in targets]


def last_failed(config: pytest.Config) -> list[str]:
    """pytest's ``cache/lastfailed`` node ids whose file still exists, sorted."""
    cache = getattr(config, "cache", None)
    if cache is None:
        raise FromFailuresError(
            "--agent-from-failures without test arguments reads pytest's last-failed cache, "
            "but the cacheprovider plugin is disabled; name the tests to run"
        )
    data = cache.get("cache/lastfailed", {})
    root = config.rootpath
    ids = sorted(str(k) for k in data if (root / str(k).split("::", 1)[0]).exists())
    if not ids:
        raise FromFailuresError(
            "--agent-from-failures: no failing tests: pytest's last-failed cache is empty "
            "(run your tests first, or name the tests: pytest --agent-from-failures tests/...)"
        )
    return ids


# -- running them -------------------------------------------------------------


def run_targets(
    rootpath: Path, targets: Sequence[str], *, timeout: float, python: str = sys.executable
) -> list[dict[str, str]]:
    """Run ``targets`` once in ``rootpath``; return the outcome recorder's records."""
    proc, records = run_recorded(rootpath, ["--continue-on-collection-errors", *targets],
                                 timeout=timeout, python=python)
    shown = " ".join(targets)
    tail = "\n".join(proc.output.rstrip().splitlines()[-15:])
    if proc.timed_out:
        raise FromFailuresError(
            f"--agent-from-failures: the tests did not finish in {timeout:.0f}s "
            f"(setting test_timeout): {shown}\n{tail}"
        )
    if proc.returncode == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise FromFailuresError(f"--agent-from-failures: no tests collected from {shown}")
    if proc.returncode not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                               pytest.ExitCode.INTERRUPTED) or (
            proc.returncode == pytest.ExitCode.INTERRUPTED and not records):
        raise FromFailuresError(
            f"--agent-from-failures: pytest could not run {shown} "
            f"(exit code {proc.returncode}):\n{tail}"
        )
    return records



# -- grouping and describing ----------------------------------------------------


def group_failures(records: Iterable[dict[str, str]], rootpath: Path) -> list[FailureGroup]:
    """Failing records grouped by test function (parameters dropped), in run order."""
    order: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    collect: set[str] = set()
    for rec in records:
        if rec.get("outcome") not in FAILING:
            continue
        nodeid = rec["nodeid"]
        is_collect = rec.get("when") == "collect"
        key = nodeid if is_collect else _function_id(nodeid)
        if is_collect:
            collect.add(key)
        ids = order.setdefault(key, [])
        if nodeid not in ids:
            ids.append(nodeid)
        errors.setdefault(key, _error_line(rec.get("longrepr", ""), rootpath, rec["outcome"]))
    groups = []
    for key, ids in order.items():
        # One accept test for the whole function when every case runs in it would be
        # too broad (passing cases would count too); keep the failing cases only.
        groups.append(FailureGroup(key=key, nodeids=tuple(ids), error=errors[key],
                                   collect_error=key in collect))
    return groups


def _function_id(nodeid: str) -> str:
    """``tests/t.py::test_f[a-1]`` -> ``tests/t.py::test_f``.

    The parameters are the first ``[`` after the file part (ids may hold ``::``).
    """
    after_file = nodeid.find("::")
    bracket = nodeid.find("[", after_file) if after_file >= 0 else -1
    return nodeid[:bracket] if bracket >= 0 else nodeid


def _error_line(longrepr: str, rootpath: Path, outcome: str) -> str:
    """The first ``E`` line of pytest's report, without the rootdir's absolute path."""
    text = longrepr.replace(str(rootpath.resolve()) + os.sep, "").replace(
        str(rootpath) + os.sep, "")
    for line in text.splitlines():
        if line.startswith("E ") and line[1:].strip():
            return " ".join(line[1:].split())
    if outcome == "xpassed":
        return "the test passed but is marked xfail(strict=True)"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else f"the test {outcome}"


def task_ids(groups: Sequence[FailureGroup]) -> list[str]:
    """A readable, valid and unique task id per group: ``fix-<module>-<function>``."""
    taken: set[str] = set()
    ids = []
    for group in groups:
        path, _, names = group.key.partition("::")
        stem = Path(path).stem or "tests"
        parts = [stem, *(names.split("::") if names else ["collect"])]
        base = _ID_BAD.sub("_", "fix-" + "-".join(parts)).replace("..", "_")
        base = base[:_MAX_ID].rstrip("._-").removesuffix(".lock")  # git's ref rules
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        ids.append(candidate)
    return ids


def describe(group: FailureGroup) -> str:
    """The task's description: what must pass, and how it fails now."""
    if group.collect_error:
        what = f"Make {group.key} import and its tests pass"
    elif len(group.nodeids) > 1:
        cases = ", ".join(n[len(group.key):] for n in group.nodeids[:5])
        more = f" and {len(group.nodeids) - 5} more" if len(group.nodeids) > 5 else ""
        what = f"Make {group.key} pass ({len(group.nodeids)} failing cases: {cases}{more})"
    else:
        what = f"Make {group.key} pass"
    text = f"{what}. It fails with: {group.error}"
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 3] + "..."


def render_plan(groups: Sequence[FailureGroup], *, source: str, rerun: str) -> str:
    """The groups as a plan file (block style, so the harness can write results back)."""
    lines = [
        f"# Generated by `pytest --agent-from-failures` at {format_timestamp()} from "
        f"{sum(len(g.nodeids) for g in groups)} failing test(s) of {source}.",
        "# Edit it freely (descriptions, files, depends_on, budgets), then rerun with:",
        f"#   {rerun}",
        "tasks:",
    ]
    for task_id, group in zip(task_ids(groups), groups, strict=True):
        lines += [
            f"  - id: {task_id}",
            f"    description: {render_scalar(describe(group))}",
            "    accept_tests:",
            *(f"      - {render_scalar(n)}" for n in group.nodeids),
            "    # harness-owned:",
            "    status: pending",
            "    attempts: 0",
        ]
    return "\n".join(lines) + "\n"


# -- the whole step, from the session ---------------------------------------------


def plan_from_failures(config: pytest.Config, *, test_timeout: float) -> Path:
    """Run the tests, write the plan of their failures, return its path.

    Raises :class:`FromFailuresError` for a bad argument or when nothing fails;
    the session turns it into a usage error.
    """
    save = config.getoption("agent_save_plan", None)
    invocation_dir = config.invocation_params.dir
    save_path = _check_save_path(invocation_dir / save) if save else None
    explicit = config.args_source is pytest.Config.ArgsSource.ARGS
    if explicit:
        targets = resolve_targets(config.args, invocation_dir=invocation_dir,
                                  rootpath=config.rootpath)
        source = " ".join(config.args)
    else:
        targets = last_failed(config)
        source = "pytest's last-failed cache"
    records = run_targets(config.rootpath, targets, timeout=test_timeout)
    groups = group_failures(records, config.rootpath)
    if not groups:
        raise FromFailuresError(
            f"--agent-from-failures: no failing tests: every test of {source} passed "
            f"({sum(1 for r in records if r.get('when') == 'call')} reported); nothing to repair"
        )
    path = save_path or _cache_plan_path(config)
    rerun = (f"pytest --agent-plan {save} --agent-all" if save
             else "pytest --agent-from-failures ... --agent-save-plan PATH (to keep this plan)")
    path.write_text(render_plan(groups, source=source, rerun=rerun), encoding="utf-8")
    return path


def _check_save_path(path: Path) -> Path:
    if path.is_dir():
        raise FromFailuresError(f"--agent-save-plan: {path} is a directory; give a file path "
                                "such as plans/failures.yaml")
    if path.exists():
        raise FromFailuresError(
            f"--agent-save-plan: {path} exists; pytest-agent does not overwrite a plan "
            "(you may have edited it). Remove it or choose another path; to rerun the saved "
            f"plan: pytest --agent-plan {path} --agent-all"
        )
    if not path.parent.is_dir():
        raise FromFailuresError(f"--agent-save-plan: directory {path.parent} does not exist")
    if path.suffix not in (".yaml", ".yml"):
        raise FromFailuresError(f"--agent-save-plan: {path} must end in .yaml or .yml "
                                "(plan files are found by that suffix)")
    return path


def _cache_plan_path(config: pytest.Config) -> Path:
    """``<cache_dir>/d/agent/from-failures.yaml``, inside the rootdir.

    The plan must lie under the rootdir: a task item's hooks are those of the
    conftest.py files on its path, so a plan in the temp directory would not see
    the project's conftest.py.
    """
    cache: Any = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("agent")) / CACHE_PLAN
    # The cacheprovider is disabled (-p no:cacheprovider): same place, made by hand,
    # ignored by git like pytest's own cache directory.
    try:
        name = str(config.getini("cache_dir"))
    except ValueError:  # the ini key belongs to the disabled plugin
        name = ".pytest_cache"
    cache_dir = config.rootpath / name
    directory = cache_dir / "d" / "agent"
    directory.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Created by pytest-agent automatically.\n*\n", encoding="utf-8")
    return directory / CACHE_PLAN
