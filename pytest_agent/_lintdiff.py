"""Lint before versus after a change: only the findings a change introduced count.

One home for the comparison that verify (the final check of a task) and the offline
engine (each candidate that passes its tests) both make: lint the changed files
after the change, and, only when that finds something, the same files before it, in
a temporary tree with the project's linter configuration; a finding counts as new
when the file, code and message did not occur that many times before (lines move).

:class:`LintJob` runs it in a thread, so that verify can lint while the final test
run (a fresh pytest process) runs: on two cores, the two overlap.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from pytest_agent import _tempdirs
from pytest_agent._procs import run_process
from pytest_agent._types import LintFinding

if TYPE_CHECKING:
    from pytest_agent.settings import AgentSettings

__all__ = ["LintJob", "lint_files", "new_lint_findings"]

#: Files whose presence decides how ruff (the default linter) is configured.
LINT_CONFIGS = ("pyproject.toml", "ruff.toml", ".ruff.toml")

#: A file's text before the change, per root-relative path (``None``: the file is new).
Before = Mapping[str, str | None]


def _lint(root: Path, files: Sequence[str], settings: Any
          ) -> tuple[list[LintFinding] | None, str]:
    return lint_files(root, files, settings)


def _lint_texts(config_root: Path, texts: Mapping[str, str], settings: Any
                ) -> tuple[list[LintFinding] | None, str]:
    """Lint ``texts`` (root-relative path -> content) in a temporary tree that has the
    linter configuration of ``config_root``."""
    tmp = tempfile.mkdtemp(prefix=_tempdirs.prefix("lint"))
    try:
        tmp_root = Path(tmp)
        for cfg in LINT_CONFIGS:
            if (config_root / cfg).is_file():
                shutil.copy(config_root / cfg, tmp_root / cfg)
        for rel, text in texts.items():
            target = tmp_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            if (config_root / rel).is_file():  # its mode too (ruff's EXE rules read it)
                shutil.copymode(config_root / rel, target)
        if not texts:
            return [], ""
        return _lint(tmp_root, sorted(texts), settings)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _subtract(after: list[LintFinding], before: list[LintFinding]) -> list[LintFinding]:
    """Findings of ``after`` not in ``before``, matched by file, code and message."""
    budget = collections.Counter((f.path, f.code, f.message) for f in before)
    new = []
    for f in after:
        key = (f.path, f.code, f.message)
        if budget[key] > 0:
            budget[key] -= 1
        else:
            new.append(f)
    return new


def new_lint_findings(
    root: Path,
    files: Sequence[str],
    before: Before | Callable[[], Before],
    settings: Any,
    *,
    after: Mapping[str, str] | None = None,
) -> tuple[list[LintFinding] | None, str]:
    """The lint findings in ``files`` that the change introduced, and the linter's output.

    :param root: The tree the files are in (its linter configuration applies).
    :param before: Each file's text before the change (or a callable giving them, called
        only when the files have findings after it).
    :param after: Each file's text after the change; ``None`` lints them in place.
    :returns: ``(None, output)`` when the linter failed to run.
    """
    if after is None:
        found, raw = _lint(root, files, settings)
    else:
        found, raw = _lint_texts(root, {f: after[f] for f in files}, settings)
    if not found:
        return found, raw
    texts = before() if callable(before) else before
    present = {rel: text for rel, text in texts.items() if text is not None and rel in files}
    old, _ = _lint_texts(root, present, settings)
    return _subtract(found, old or []), raw


class LintJob:
    """:func:`new_lint_findings` in a thread: start it, run the tests, then ask for it."""

    def __init__(self, root: Path, files: Sequence[str],
                 before: Before | Callable[[], Before], settings: Any) -> None:
        self._result: tuple[list[LintFinding] | None, str] = (None, "the lint did not finish")
        self._args = (root, list(files), before, settings)
        self._thread = threading.Thread(target=self._run, name="pytest-agent-lint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = new_lint_findings(*self._args)
        except Exception as exc:  # noqa: BLE001 - reported as a lint failure, never lost
            self._result = (None, f"the lint step failed: {type(exc).__name__}: {exc}")

    def result(self) -> tuple[list[LintFinding] | None, str]:
        """Wait for it (the linter has its own timeout) and return it."""
        self._thread.join()
        return self._result


def _installed_ruff() -> str | None:
    """The ruff installed with this interpreter (next to it, in its scripts directory)."""
    here = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    return str(here) if here.is_file() and os.access(here, os.X_OK) else None


def _lint_argv(settings: AgentSettings) -> list[str]:
    argv = list(settings.lint_command)
    if argv and argv[0] == "ruff":
        # The ruff installed with pytest-agent's interpreter first: a PATH lookup may find
        # a version manager's shim instead (pyenv's spent ~0.4 s of bash per lint, measured).
        installed = _installed_ruff()
        if installed is not None:
            argv[0] = installed
        elif shutil.which("ruff") is None:
            # Installed as a package in this interpreter, but not as a script anywhere.
            argv = [sys.executable, "-m", "ruff", *argv[1:]]
    return argv


def _is_ruff(settings: AgentSettings) -> bool:
    return bool(settings.lint_command) and Path(settings.lint_command[0]).name.startswith("ruff")


def lint_files(
    root: Path, files: Sequence[str], settings: AgentSettings
) -> tuple[list[LintFinding] | None, str]:
    """Lint ``files``; ``(findings, raw output)``, findings ``None`` if the linter failed."""
    argv = _lint_argv(settings)
    ruff = _is_ruff(settings)
    if ruff:
        argv += ["--output-format", "json", "--no-fix", "--force-exclude"]
    try:
        proc = run_process([*argv, "--", *files] if ruff else [*argv, *files],
                           cwd=root, timeout=settings.lint_timeout)
    except OSError as exc:
        return None, f"cannot run {argv[0]}: {exc}"
    if proc.timed_out:
        return None, f"{argv[0]} timed out after {settings.lint_timeout:.0f}s"
    if not ruff:
        if proc.returncode == 0:
            return [], proc.output
        return [LintFinding(path=", ".join(files), line=0, column=0, code="lint",
                            message=proc.output.strip()[-2000:])], proc.output
    try:
        start = proc.output.index("[")
        data = json.loads(proc.output[start:])
    except ValueError:
        if proc.returncode == 0:
            return [], proc.output
        return None, proc.output
    findings = []
    for item in data:
        path = Path(item.get("filename", ""))
        rel = path.relative_to(root.resolve()).as_posix() if path.is_absolute() else path.as_posix()
        loc = item.get("location") or {}
        findings.append(LintFinding(
            path=rel, line=int(loc.get("row", 0)), column=int(loc.get("column", 0)),
            code=str(item.get("code") or "syntax"), message=str(item.get("message", "")),
        ))
    return findings, proc.output
