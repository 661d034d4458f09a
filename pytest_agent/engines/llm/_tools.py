"""The tools the model may call, all confined to the task's workspace.

Every tool returns text for the model. A bad argument, a path outside the
workspace or an unknown tool is a :class:`ToolError`, whose message goes back to
the model as the tool's result (and the call still counts against the budget).
Output longer than :data:`OUTPUT_LIMIT` is cut, with a note saying so.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Final
from typing import final

from pytest_agent._procs import run_process
from pytest_agent._types import Workspace

__all__ = [
    "OUTPUT_LIMIT",
    "SUBMIT",
    "TOOL_NAMES",
    "TOOL_SPECS",
    "ToolBox",
    "ToolError",
    "glob_regex",
    "truncate",
]

#: Characters of one tool result given to the model.
OUTPUT_LIMIT: Final = 8000
#: Seconds a model-requested test run may take (less when ``test_timeout`` is lower).
RUN_TESTS_TIMEOUT: Final = 60.0
SUBMIT: Final = "submit_diff"

_SKIP_DIRS: Final = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules",
                               ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tox"})
_MAX_FILE_BYTES: Final = 1_000_000
_MAX_LISTED: Final = 500
_MAX_WALKED_DIRS: Final = 20_000


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> Any:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOL_SPECS: Final[list[dict[str, Any]]] = [
    _fn("read_file", "Read a text file of the repository, with line numbers.",
        {"path": {"type": "string", "description": "Repository-relative path."},
         "start": {"type": "integer", "description": "First line (1-based), default 1."},
         "end": {"type": "integer", "description": "Last line (inclusive), default: end."}},
        ["path"]),
    _fn("list_files", "List repository files matching a glob (e.g. 'src/**/*.py').",
        {"glob": {"type": "string", "description": "Glob relative to the repository root."}},
        []),
    _fn("grep", "Search files for a Python regular expression; prints path:line: text.",
        {"pattern": {"type": "string"},
         "glob": {"type": "string", "description": "Which files, default '**/*.py'."}},
        ["pattern"]),
    _fn("run_tests", "Run pytest node ids on the unchanged repository and report outcomes.",
        {"node_ids": {"type": "array", "items": {"type": "string"}}},
        ["node_ids"]),
    _fn("static_analyze", "Run the ruff linter on some files and report its findings.",
        {"paths": {"type": "array", "items": {"type": "string"}}},
        ["paths"]),
    _fn(SUBMIT, "Submit the change as a unified diff (--- a/path, +++ b/path, @@ hunks). "
        "Ends your turn; the diff is applied and the accept tests are run.",
        {"diff": {"type": "string"}},
        ["diff"]),
]

#: The names the model may call (a call in the text must name one of them).
TOOL_NAMES: Final = frozenset(spec["function"]["name"] for spec in TOOL_SPECS)


@final
class ToolError(Exception):
    """A tool call the model got wrong; the message is its result."""


def truncate(text: str, limit: int = OUTPUT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return (
        text[:limit]
        + f"\n[output truncated: {cut} more characters not shown; ask for less, "
        "e.g. a line range or a narrower glob]"
    )


@final
@dataclass
class ToolBox:
    """The tools of one task, rooted at its workspace."""

    workspace: Workspace
    test_timeout: float

    @property
    def root(self) -> Path:
        return self.workspace.root.resolve()

    def call(self, name: str, arguments: str) -> str:
        """Run tool ``name`` with JSON ``arguments``; :class:`ToolError` for bad calls."""
        tools: dict[str, Callable[..., str]] = {
            "read_file": self.read_file,
            "list_files": self.list_files,
            "grep": self.grep,
            "run_tests": self.run_tests,
            "static_analyze": self.static_analyze,
        }
        if name not in tools:
            known = ", ".join([*tools, SUBMIT])
            raise ToolError(f"unknown tool {name!r}; the tools are: {known}")
        args = parse_arguments(name, arguments)
        try:
            inspect.signature(tools[name]).bind(**args)
        except TypeError as exc:
            raise ToolError(f"bad arguments for {name}: {exc}") from None
        try:
            return truncate(tools[name](**args))
        except OSError as exc:  # unreadable file, a subprocess that could not start
            raise ToolError(f"{name} failed: {type(exc).__name__}: {exc}") from None

    # -- the tools -----------------------------------------------------------

    def read_file(self, path: str, start: int = 1, end: int | None = None) -> str:
        target = self.resolve(path)
        if not target.is_file():
            raise ToolError(f"{path}: no such file (use list_files to see what exists)")
        if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
            raise ToolError("start and end must be integers (line numbers)")
        lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
        first = max(1, start)
        last = len(lines) if end is None else min(len(lines), end)
        if first > last:
            return f"{path}: has {len(lines)} lines; the range {start}-{end} is empty"
        width = len(str(last))
        body = "\n".join(f"{n:>{width}}  {lines[n - 1]}" for n in range(first, last + 1))
        return f"{path} (lines {first}-{last} of {len(lines)}):\n{body}"

    def list_files(self, glob: str = "**/*") -> str:
        paths = self._glob(glob)
        if not paths:
            return f"no files match {glob!r}"
        shown = paths[:_MAX_LISTED]
        note = f"\n[{len(paths) - len(shown)} more not shown]" if len(paths) > len(shown) else ""
        return "\n".join(shown) + note

    def grep(self, pattern: str, glob: str = "**/*.py") -> str:
        if not isinstance(pattern, str):
            raise ToolError("pattern must be a string")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"bad regular expression {pattern!r}: {exc}") from None
        hits: list[str] = []
        for rel in self._glob(glob):
            path = self.root / rel
            try:
                if path.stat().st_size > _MAX_FILE_BYTES:
                    continue
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if regex.search(line):
                    hits.append(f"{rel}:{number}: {line.strip()[:200]}")
        return "\n".join(hits) if hits else f"no match for {pattern!r} in {glob!r}"

    def run_tests(self, node_ids: list[str]) -> str:
        from pytest_agent.testrun import run_tests

        ids = self._string_list("node_ids", node_ids)
        for nodeid in ids:
            self.resolve(nodeid.split("::", 1)[0], base=self.workspace.test_root)
        timeout = min(self.test_timeout, RUN_TESTS_TIMEOUT)
        run = run_tests(self.workspace.test_root, ids, timeout=timeout, warm=True)
        lines = [f"{nodeid}: {outcome.value}" for nodeid, outcome in run.outcomes.items()]
        if run.timed_out:
            lines.append(f"[the run was killed after {timeout:g}s]")
        for nodeid, failure in run.failures.items():
            lines.append(f"\n--- {nodeid}\n{failure[-3000:]}")
        return "\n".join(lines)

    def static_analyze(self, paths: list[str]) -> str:
        files = self._string_list("paths", paths)
        rels = [str(self.resolve(p).relative_to(self.root)) for p in files]
        # --no-cache: a .ruff_cache written into the workspace would end up in the commit.
        argv = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format",
                "concise", "--", *rels]
        proc = run_process(argv, cwd=self.root, timeout=min(self.test_timeout, 60.0))
        if proc.timed_out:
            return "[ruff was killed: timed out]"
        return proc.output.strip() or "ruff: no findings"

    # -- confinement ---------------------------------------------------------

    def resolve(self, path: str, *, base: Path | None = None) -> Path:
        """``path`` inside the workspace, or :class:`ToolError` when it leaves it."""
        if not isinstance(path, str) or not path.strip():
            raise ToolError("a path must be a non-empty string")
        # The patch engine's path rules (absolute, '..', .git in any case): one set of rules.
        from pytest_agent.patch._model import PatchError
        from pytest_agent.patch._safety import check_relative

        try:
            rel = check_relative(path)
        except PatchError as exc:
            raise ToolError(exc.message) from None
        target = ((base or self.root) / rel).resolve()
        if not target.is_relative_to(self.root):
            raise ToolError(f"{path}: resolves outside the repository (a symlink?)")
        return target

    def _glob(self, pattern: str) -> list[str]:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ToolError("glob must be a non-empty string like 'src/**/*.py'")
        pattern = pattern.strip().removeprefix("./")
        if pattern.startswith("/") or ".." in pattern.split("/"):
            raise ToolError(f"{pattern}: globs must be relative, without '..'")
        regex = glob_regex(pattern)
        found = []
        # os.walk with pruning: Path.glob would descend into .venv and node_modules.
        for seen, (dirpath, dirnames, filenames) in enumerate(os.walk(self.root)):
            if seen > _MAX_WALKED_DIRS:
                break
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            base = Path(dirpath)
            for name in sorted(filenames):
                path = base / name
                rel = path.relative_to(self.root).as_posix()
                if not regex.fullmatch(rel) or not path.is_file():
                    continue
                if not path.resolve().is_relative_to(self.root):
                    continue
                found.append(rel)
        return found

    @staticmethod
    def _string_list(name: str, value: object) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ToolError(f"{name} must be a non-empty list of strings")
        return list(value)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regular expression for a glob over ``/``-separated relative paths.

    ``**`` spans directories (``**/`` also matches none), ``*`` and ``?`` stay within
    one path segment, ``[...]`` is a character class. A pattern without ``/``
    matches a file name in any directory (``*.py``), as ``git ls-files`` users expect.
    """
    if "/" not in pattern and "**" not in pattern:
        pattern = "**/" + pattern
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            close = pattern.index("]", i + 1)
            body = pattern[i + 1 : close].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = close + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def parse_arguments(name: str, arguments: str) -> dict[str, Any]:
    try:
        args = json.loads(arguments or "{}")
    except ValueError as exc:
        raise ToolError(
            f"the arguments of {name} are not valid JSON ({exc}): {arguments[:200]!r}"
        ) from None
    if not isinstance(args, dict):
        raise ToolError(f"the arguments of {name} must be a JSON object")
    return args
