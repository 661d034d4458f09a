"""The localization run: the accept tests' files under coverage, one context per test."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import final

from pytest_agent import _tempdirs
from pytest_agent._collector import COVERAGE_PROFILED_ENV as PROFILED_ENV
from pytest_agent._collector import read_records
from pytest_agent._procs import run_process
from pytest_agent.localize._attribution import StatementCalls
from pytest_agent.localize._attribution import statement_calls
from pytest_agent.localize._covplugin import LIMIT_ENV
from pytest_agent.localize._covplugin import OUT_ENV
from pytest_agent.localize._covplugin import SOURCE_ENV
from pytest_agent.testrun import inner_pytest_env

__all__ = ["ExceptionRecord", "ProjectObject", "SpectrumRun", "StatementCalls", "run_spectrum"]

_INNER_ARGS: tuple[str, ...] = (
    "-p", "pytest_agent.localize._covplugin",
    "-p", "pytest_agent._timeout",
    "-p", "no:cacheprovider",
    "-p", "no:randomly",
    "-p", "no:cov",
)

_FAILED = frozenset({"failed", "error", "xpassed"})


@final
@dataclass(frozen=True)
class ProjectObject:
    """The project class of a value on a failing test's failing statement."""

    #: Absolute filename of the class's module, and its qualname.
    file: str
    qualname: str
    #: Names the project classes of its MRO define (``__eq__``, methods, attributes).
    members: frozenset[str]
    #: ``"operand"`` (a value of the statement), ``"element"`` (inside a container
    #: operand), ``"lacks <name>"`` (the object of an ``AttributeError``).
    roles: tuple[str, ...]


@final
@dataclass(frozen=True)
class ExceptionRecord:
    """One failure's exception: its frames, innermost last."""

    nodeid: str
    type: str
    message: str
    #: ``(absolute filename, line, function name)``, outermost first.
    frames: tuple[tuple[str, int, str], ...]
    #: ``(filename, line)`` of a ``SyntaxError``.
    syntax: tuple[str, int] | None = None
    hung: bool = False
    #: Value flow: ``(filename, first line, qualname, depth)`` of the deepest project
    #: function that returned (this very object) an operand of the failing statement.
    producers: tuple[tuple[str, int, str, int], ...] = ()
    #: The project classes of the failing statement's values.
    objects: tuple[ProjectObject, ...] = ()


@final
@dataclass(frozen=True)
class SpectrumRun:
    """What the localization run saw."""

    #: ``"passed"`` or ``"failed"`` per test node id that reported.
    outcomes: Mapping[str, str]
    #: Failure text (pytest's longrepr) per failing node id or failing collector.
    failures: Mapping[str, str]
    exceptions: tuple[ExceptionRecord, ...]
    #: Absolute filename -> test node id -> lines that test ran. Empty without coverage.
    #: Written per test as it ends: a run cut short keeps the tests that finished.
    coverage: Mapping[str, Mapping[str, frozenset[int]]]
    #: Collectors (test files) that failed to collect.
    collect_errors: tuple[str, ...]
    output: str
    duration: float
    timed_out: bool
    has_coverage: bool
    warnings: tuple[str, ...] = field(default=())
    #: Per failing test: which of its statements entered which project function.
    attribution: tuple[StatementCalls, ...] = field(default=())

    @property
    def failing(self) -> frozenset[str]:
        return frozenset(n for n, o in self.outcomes.items() if o == "failed")

    @property
    def passing(self) -> frozenset[str]:
        return frozenset(n for n, o in self.outcomes.items() if o == "passed")


def run_spectrum(
    test_root: Path,
    source_root: Path,
    targets: Sequence[str],
    *,
    timeout: float,
    per_test_limit: float,
    python: str = sys.executable,
    profiled: Sequence[str] = (),
) -> SpectrumRun:
    """Run ``targets`` (node ids or test files) under coverage in a subprocess.

    The task's baseline run already recorded this coverage when it ran the same tests
    (see :func:`pytest_agent.testrun.spectrum_records`); otherwise one run, forked from
    the task's warm test server when there is one.
    """
    from pytest_agent.testrun import spectrum_records

    if python == sys.executable:
        records, proc = spectrum_records(test_root, source_root, targets, timeout=timeout,
                                         per_test_limit=per_test_limit, profiled=profiled)
        return _parse(records, proc.output, proc.duration, proc.timed_out)
    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("localize")) as tmp:
        out = Path(tmp) / "localize.jsonl"
        argv = [python, "-m", "pytest", *_INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *targets]
        env = inner_pytest_env(test_root, {
            OUT_ENV: str(out),
            SOURCE_ENV: str(source_root),
            LIMIT_ENV: f"{per_test_limit:.3f}",
            **({PROFILED_ENV: "\n".join(profiled)} if profiled else {}),
        })
        proc = run_process(argv, cwd=test_root, timeout=timeout, env=env, contain=True)
        records = read_records(out)
    return _parse(records, proc.output, proc.duration, proc.timed_out)


def _parse(records: list[dict[str, Any]], output: str, duration: float,
           timed_out: bool) -> SpectrumRun:
    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    exceptions: list[ExceptionRecord] = []
    coverage: dict[str, dict[str, frozenset[int]]] = {}
    collect_errors: list[str] = []
    warnings: list[str] = []
    attribution: list[StatementCalls] = []
    finished: set[str] = set()
    for rec in records:
        kind = rec.get("kind")
        if kind == "report":
            nodeid = str(rec["nodeid"])
            failed = rec["outcome"] in _FAILED
            if failed:
                outcomes[nodeid] = "failed"
                text = str(rec.get("longrepr") or "")
                failures[nodeid] = (failures.get(nodeid, "") + "\n" + text).strip()
            elif (rec["when"] == "call" and outcomes.get(nodeid) != "failed"
                  and rec["outcome"] in ("passed", "xfailed")):
                outcomes[nodeid] = "passed"
        elif kind == "collect-error":
            nodeid = str(rec["nodeid"])
            collect_errors.append(nodeid)
            failures[nodeid or "<collection>"] = str(rec.get("longrepr") or "")
        elif kind == "exception":
            exceptions.append(_exception(rec))
        elif kind == "coverage-test":
            nodeid = str(rec["nodeid"])
            finished.add(nodeid)
            for filename, lines in rec["lines"].items():
                coverage.setdefault(str(filename), {})[nodeid] = frozenset(map(int, lines))
        elif kind == "attribution":
            attribution.append(statement_calls(rec))
        elif kind == "warning":
            warnings.append(str(rec.get("text", "")))
    if timed_out:
        # Cut short: a test that reported passing but was killed before its coverage
        # was written would count as a passing test that ran nothing.
        outcomes = {n: o for n, o in outcomes.items() if o == "failed" or n in finished}
    return SpectrumRun(
        outcomes=outcomes, failures=failures, exceptions=tuple(exceptions),
        coverage=coverage, collect_errors=tuple(collect_errors), output=output,
        duration=duration, timed_out=timed_out, has_coverage=bool(finished),
        warnings=tuple(warnings), attribution=tuple(attribution),
    )


def _exception(rec: dict[str, Any]) -> ExceptionRecord:
    syntax = rec.get("syntax")
    return ExceptionRecord(
        nodeid=str(rec["nodeid"]),
        type=str(rec.get("type", "")),
        message=str(rec.get("message", "")),
        frames=tuple((str(f), int(n), str(name)) for f, n, name in rec.get("frames", [])),
        syntax=(str(syntax[0]), int(syntax[1])) if syntax else None,
        hung=bool(rec.get("hung")),
        producers=tuple((str(f), int(n), str(q), int(d))
                        for f, n, q, d in rec.get("producers", [])),
        objects=tuple(ProjectObject(file=str(o["file"]), qualname=str(o["qualname"]),
                                    members=frozenset(map(str, o.get("members", []))),
                                    roles=tuple(map(str, o.get("roles", []))))
                      for o in rec.get("classes", [])),
    )
