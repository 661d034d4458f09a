"""Write a task's harness-owned fields back into its plan file.

The user's comments, key order, quoting and indentation must survive byte for
byte. A full YAML round-trip (dump) cannot promise that, so the plan is parsed
with ruamel.yaml only to *locate* the task and its fields, and the change is a
textual edit of exactly the value spans of the harness-owned keys (a missing
key is inserted as a new line after the task's last harness-owned key, or after
its last key). Flow-style tasks (``- {id: T-1, ...}``) fall back to a ruamel
round-trip dump, which keeps comments but may re-flow that task.

Writes are atomic (temp file + ``os.replace``) and serialized by a file lock, and
the plan is read again *under* the lock, so concurrent writers lose nothing.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_agent._atomic import write_atomic
from pytest_agent.plan import HARNESS_FIELDS
from pytest_agent.plan import PlanError
from pytest_agent.plan import yaml_loader

__all__ = ["format_timestamp", "plan_lock_path", "update_task_fields"]

_PLAIN_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_LOCK_TIMEOUT = 60.0
# Plain scalars YAML 1.1 readers would take for booleans or null.
_YAML_WORDS = frozenset({"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"})


def format_timestamp(when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_lock_path(plan: Path) -> Path:
    """A lock file outside the user's tree, one per plan file on this machine."""
    digest = hashlib.sha1(str(plan.resolve()).encode()).hexdigest()[:16]
    lock_dir = Path(tempfile.gettempdir()) / f"pytest-agent-locks-{os.getuid()}"
    lock_dir.mkdir(parents=True, exist_ok=True)
    return lock_dir / f"{digest}.lock"


def render_scalar(value: Any) -> str:
    """A YAML scalar for ``value`` that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6))
    text = str(value)
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def update_task_fields(plan: Path, task_id: str, fields: Mapping[str, Any]) -> None:
    """Set harness-owned ``fields`` of ``task_id`` in ``plan``, keeping everything else."""
    unknown = set(fields) - set(HARNESS_FIELDS)
    if unknown:
        raise ValueError(f"not harness-owned fields: {sorted(unknown)}")
    from filelock import FileLock

    # A symlinked plan is written through the link (the link stays a link).
    plan = plan.resolve()
    with FileLock(str(plan_lock_path(plan)), timeout=_LOCK_TIMEOUT):
        _sweep_temp_files(plan)
        original = plan.read_bytes().decode("utf-8")  # keep CRLF as it is
        updated = edit_plan_text(plan, original, task_id, fields)
        if updated != original:
            _atomic_write(plan, updated)


def edit_plan_text(plan: Path, text: str, task_id: str, fields: Mapping[str, Any]) -> str:
    """The plan text with ``fields`` of ``task_id`` set (pure; for tests and dry runs).

    A large plan is not parsed whole: the task's own block (found by a line scan of
    the ``tasks:`` list) is parsed and edited alone when it can be found unambiguously;
    otherwise, the whole plan is parsed.
    """
    block = _task_block(text, task_id)
    if block is not None:
        start, end = block
        lines = text.splitlines(keepends=True)
        head = "tasks:\n"
        try:
            edited = _edit_whole(plan, head + "".join(lines[start:end]), task_id, fields)
        except PlanError:
            pass  # the scan guessed wrong (e.g. a nested `id:` first): parse it all
        else:
            return "".join(lines[:start]) + edited[len(head):] + "".join(lines[end:])
    return _edit_whole(plan, text, task_id, fields)


_TASKS_KEY = re.compile(r"^tasks:[ \t]*(#.*)?$")
_ID_LINE = re.compile(
    r"^[ \t]*(?:-[ \t]+)?\{?[ \t]*id:[ \t]*(?P<value>[^#,}\r\n]*?)[ \t]*(?:[,}#]|$)"
)


def _task_block(text: str, task_id: str) -> tuple[int, int] | None:
    """Line range ``[start, end)`` of ``task_id``'s item in the top-level ``tasks:`` list.

    ``None`` when the layout is not the plain block list this scan understands, or the
    id is not found exactly once; the caller then parses the whole plan.
    """
    if len(text) < _WHOLE_PARSE_BELOW:
        return None
    lines = text.splitlines(keepends=True)
    keys = [i for i, line in enumerate(lines) if _TASKS_KEY.match(line.rstrip("\r\n"))]
    if len(keys) != 1:
        return None
    starts, end = _item_starts(lines, keys[0] + 1)
    if not starts:
        return None
    bounds = [*starts, end]
    found = [(a, b) for a, b in itertools.pairwise(bounds) if _block_id(lines[a:b]) == task_id]
    return found[0] if len(found) == 1 else None


def _item_starts(lines: list[str], first: int) -> tuple[list[int], int]:
    """Start lines of the list items after ``tasks:``, and the line after the list."""
    starts: list[int] = []
    indent: int | None = None
    for i in range(first, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        col = len(lines[i]) - len(lines[i].lstrip(" "))
        is_item = stripped == "-" or stripped.startswith(("- ", "-\t"))
        if indent is None:
            if not is_item:
                return [], i
            indent = col
        if col == indent and is_item:
            starts.append(i)
        elif col <= indent:
            return starts, i
    return starts, len(lines)


def _block_id(block: list[str]) -> str | None:
    for line in block:
        match = _ID_LINE.match(line)
        if match:
            value = match["value"].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value
    return None


#: Plans smaller than this are parsed whole; larger ones block-wise. ruamel's
#: pure-Python loaders take ~3 ms per 100 bytes (round trip, then the check): a plan of
#: 20 tasks (2.8 kB) cost ~0.18 s of CPU per write, and a task writes twice (in
#: progress, result), on the controller under xdist, for every worker's tasks.
_WHOLE_PARSE_BELOW = 1024


def _edit_whole(plan: Path, text: str, task_id: str, fields: Mapping[str, Any]) -> str:
    doc = yaml_loader("rt").load(text)
    tasks = doc.get("tasks") if isinstance(doc, dict) else None
    node: Any = next(
        (t for t in (tasks or []) if isinstance(t, dict) and str(t.get("id")) == task_id), None
    )
    if node is None:
        raise PlanError(f"{plan}: task {task_id!r} is no longer in the plan; result not written")
    lines = text.splitlines(keepends=True)
    if node.fa.flow_style():
        result = _flow_edit(plan, lines, node, fields)
        _check(plan, result, task_id, fields)
        return result
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    inserts: list[str] = []
    # Edit existing keys from the bottom up so earlier line numbers stay valid.
    existing = sorted(
        ((node.lc.value(k)[0], node.lc.value(k)[1], k) for k in fields if k in node),
        reverse=True,
    )
    for line_no, col, key in existing:
        if isinstance(node[key], dict | list) or not _single_line_value(lines[line_no], col):
            raise PlanError(
                f"{plan}:{line_no + 1}: {task_id}.{key}: the harness writes this field as a "
                "one-line scalar; replace the block value by a plain one"
            )
        lines[line_no] = _replace_value(lines[line_no], col, render_scalar(fields[key]))
    for key in fields:
        # A field that is absent and would be null stays absent (less noise in the plan).
        if key not in node and fields[key] is not None:
            inserts.append(f"{key}: {render_scalar(fields[key])}")
    if inserts:
        indent = " " * node.lc.col
        at = _insertion_line(lines, node)
        block = [f"{indent}{entry}{newline}" for entry in inserts]
        if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += newline
        lines[at:at] = block
    result = "".join(lines)
    _check(plan, result, task_id, fields)
    return result


def _single_line_value(line: str, col: int) -> bool:
    rest = line[col:].rstrip("\r\n")
    return not rest.startswith(("|", ">", "&", "*", "!")) and rest.strip() != ""


def _value_end(rest: str, *, flow: bool = False) -> int:
    """The end of the scalar at the start of ``rest`` (before a trailing comment)."""
    if rest.startswith('"'):
        i = 1
        while i < len(rest):
            if rest[i] == "\\":
                i += 2
                continue
            if rest[i] == '"':
                return i + 1
            i += 1
        return len(rest)
    if rest.startswith("'"):
        i = 1
        while i < len(rest):
            if rest[i] == "'":
                if rest[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(rest)
    m = re.search(r"\s+#|[,}]" if flow else r"\s+#", rest)
    end = m.start() if m else len(rest)
    return len(rest[:end].rstrip())


def _replace_value(line: str, col: int, rendered: str) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    rest = body[col:]
    end = _value_end(rest)
    return body[:col] + rendered + rest[end:] + ending


def _insertion_line(lines: list[str], node: Any) -> int:
    """Index of the line before which new keys of ``node`` go."""
    harness = [k for k in node if k in HARNESS_FIELDS]
    last_key = harness[-1] if harness else list(node)[-1]
    key_line = node.lc.key(last_key)[0]
    key_col = node.lc.key(last_key)[1]
    # The value may continue over several lines: a block list (possibly at the key's
    # own indentation) or a block scalar. Start after the deepest line ruamel knows
    # for the value, then take lines indented deeper than the key.
    end = _deepest_line(node[last_key], key_line) + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and not stripped.startswith("#"):
            indent = len(lines[end]) - len(lines[end].lstrip(" "))
            if indent <= key_col:
                break
        end += 1
    # Do not swallow trailing blank lines or comments that introduce what follows.
    while end > key_line + 1 and (
        not lines[end - 1].strip() or lines[end - 1].strip().startswith("#")
    ):
        end -= 1
    return end


def _deepest_line(value: Any, floor: int) -> int:
    lc = getattr(value, "lc", None)
    deepest = floor
    if isinstance(value, list) and lc is not None:
        for i, item in enumerate(value):
            deepest = max(deepest, lc.item(i)[0], _deepest_line(item, floor))
    elif isinstance(value, dict) and lc is not None:
        for k, item in value.items():
            deepest = max(deepest, lc.value(k)[0], _deepest_line(item, floor))
    return deepest


def _flow_edit(plan: Path, lines: list[str], node: Any, fields: Mapping[str, Any]) -> str:
    """Edit a one-line flow-style task (``- {id: T-1, ...}``) in place."""
    first = node.lc.line
    line = lines[first]
    close = line.rfind("}")
    if close < 0 or any(node.lc.value(k)[0] != first for k in node):
        raise PlanError(
            f"{plan}:{first + 1}: task {node.get('id')!r}: the harness can only write back to a "
            "flow-style task written on one line; write it in block style"
        )
    additions = "".join(
        f", {k}: {render_scalar(v)}" for k, v in fields.items()
        if k not in node and v is not None
    )
    line = line[:close] + additions + line[close:]
    for col, key in sorted(((node.lc.value(k)[1], k) for k in fields if k in node), reverse=True):
        rest = line[col:]
        end = _value_end(rest, flow=True)
        line = line[:col] + render_scalar(fields[key]) + rest[end:]
    lines[first] = line
    return "".join(lines)


def _check(plan: Path, text: str, task_id: str, fields: Mapping[str, Any]) -> None:
    """Parse the edited text back; never write a plan that does not say what we meant."""
    try:
        doc = yaml_loader("safe").load(text)
        task = next(t for t in doc["tasks"] if str(t.get("id")) == task_id)
    except Exception as exc:  # noqa: BLE001 - any failure here means our edit is wrong
        raise PlanError(f"{plan}: internal error: edited plan does not parse ({exc})") from None
    for key, value in fields.items():
        got = task.get(key)
        if isinstance(got, dt.datetime):
            got = format_timestamp(got)
        if isinstance(value, float) and isinstance(got, int | float):
            ok = abs(got - round(value, 6)) < 1e-9
        else:
            ok = got == value
        if not ok:
            raise PlanError(
                f"{plan}: internal error: writing {key}={value!r} for {task_id} "
                f"read back as {got!r}"
            )


def _sweep_temp_files(plan: Path) -> None:
    """Remove temp files of a writer killed mid-write (call under the plan's lock)."""
    for stale in plan.parent.glob(f".{glob.escape(plan.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> None:
    write_atomic(path, text, fsync=True)
