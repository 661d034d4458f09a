"""Plan files: the schema of a task, loading, and validation with file/line/field errors.

A plan file is YAML with a top-level ``tasks:`` list. The user owns every field
but the harness-owned ones (:data:`HARNESS_FIELDS`), which :mod:`pytest_agent.writeback`
updates in place.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import final

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator

from pytest_agent._types import Task

__all__ = [
    "HARNESS_FIELDS",
    "TASK_ID_PATTERN",
    "LoadedTask",
    "PlanError",
    "Status",
    "TaskSpec",
    "find_plan_files",
    "load_plans",
]

TASK_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_TASK_ID_RE = re.compile(TASK_ID_PATTERN)
#: The longest id: it names files (``refs/heads/agent/<id>.lock``, the worktree, the
#: memory archive ``<id>-<timestamp>.md``), and a file name has at most 255 bytes.
MAX_ID_LENGTH = 128
#: Nesting deeper than this is no plan (and bounds the parser's recursion).
_MAX_DEPTH = 64


def check_task_id(value: str) -> str | None:
    """Why ``value`` cannot be a task id (a git branch ``agent/<id>`` and file names), or None."""
    if not _TASK_ID_RE.fullmatch(value):
        return f"must match {TASK_ID_PATTERN} (letters, digits, '.', '_', '-')"
    if len(value) > MAX_ID_LENGTH:
        return (f"is {len(value)} characters long; at most {MAX_ID_LENGTH} (it names the branch, "
                "the worktree and memory files)")
    if ".." in value:
        return "must not contain '..' (git refuses it in the branch name agent/<id>)"
    if value.endswith((".lock", ".")):
        return "must not end with '.lock' or '.' (git refuses it in the branch name agent/<id>)"
    return None


def check_inside(item: str) -> str | None:
    """Why the path of node id ``item`` is not inside the repository, or None."""
    path = item.split("::", 1)[0]
    if path.startswith(("/", "\\", "-")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return f"{item!r} is not relative to the rootdir"
    if any(part == ".." for part in re.split(r"[\\/]", path)):
        return f"{item!r} leaves the repository ('..'); name a test inside it"
    return None


class Status(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"


class TaskSpec(BaseModel):
    """One task as written in a plan file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- the user's fields --------------------------------------------------
    id: str
    """Unique task id, ``[A-Za-z0-9][A-Za-z0-9._-]*``; becomes the branch ``agent/<id>``."""
    description: str = Field(min_length=1)
    """What should change, in words (given to the proposer; the commit message uses it)."""
    accept_tests: list[str] = Field(min_length=1)
    """Pytest node ids, relative to the rootdir, that must pass when the task is done."""
    files: list[str] = Field(default_factory=list)
    """Files the task concerns (a hint for localization and the proposer)."""
    depends_on: list[str] = Field(default_factory=list)
    """Ids of tasks whose work this task builds on (run first; the branch starts from theirs)."""
    allow_test_edits: bool = False
    """Whether a proposal may edit the accept tests' files."""
    max_reflexion_retries: int | None = Field(None, ge=0, le=100)
    """Per-task override of the setting of the same name."""
    test_timeout: float | None = Field(None, gt=0)
    max_tool_calls_per_task: int | None = Field(None, ge=1)
    max_tokens_per_task: int | None = Field(None, ge=1)
    max_cost_per_task: float | None = Field(None, ge=0)
    meta: dict[str, Any] | None = None
    """Free-form data of the user's; the harness ignores it."""
    regression: list[str] | None = None
    """Tests that must keep passing: unset for the tests of the accept tests' files,
    ``none`` to opt out, or a list of files / node ids (overrides the plan's ``regression``)."""

    # -- harness-owned fields (written back after each run) -------------------
    status: Status = Status.PENDING
    attempts: int = Field(0, ge=0)
    branch: str | None = None
    commit: str | None = None
    last_error: str | None = None
    updated_at: dt.datetime | str | None = None
    tokens: int | None = Field(None, ge=0)
    cost: float | None = Field(None, ge=0)
    engine: str | None = None
    #: Set when the committed change may only fit the tests ("plausible only: review").
    review: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _valid_id(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # YAML read `007` as 7 and `1.10` as 1.1: the id as written is lost.
            raise ValueError(f"YAML reads this id as the number {value!r}, not as written; "
                             "quote it (id: \"...\")")
        if not isinstance(value, str):
            raise ValueError(f"must match {TASK_ID_PATTERN} (letters, digits, '.', '_', '-')")
        problem = check_task_id(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("regression", mode="before")
    @classmethod
    def _regression_none(cls, value: Any) -> Any:
        return parse_regression(value)

    @field_validator("accept_tests", "files", "depends_on", "regression")
    @classmethod
    def _non_blank_items(cls, value: list[str] | None) -> list[str] | None:
        for i, item in enumerate(value or ()):
            if not item.strip():
                raise ValueError(f"item {i} is blank")
        return value

    @field_validator("accept_tests", "regression", "files")
    @classmethod
    def _relative_nodeids(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            problem = check_inside(item)
            if problem:
                raise ValueError(problem)
        return value


def parse_regression(value: Any) -> Any:
    """``regression:`` as written: ``none`` / ``false`` / ``[]`` opt out (an empty list)."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "none"):
        return []
    if isinstance(value, str):
        raise ValueError("must be 'none' or a list of test files / node ids")
    return value


#: Fields the harness writes back; everything else in a task belongs to the user.
HARNESS_FIELDS: tuple[str, ...] = (
    "status", "attempts", "branch", "commit", "last_error", "updated_at", "tokens", "cost",
    "engine", "review",
)


class PlanError(Exception):
    """A plan file is malformed; the message names the file, line and field."""


@final
@dataclass(frozen=True)
class LoadedTask:
    """A validated task with where it came from."""

    spec: TaskSpec
    plan_path: Path
    #: 0-based index in the plan's ``tasks`` list.
    index: int
    #: 1-based line of the task in its file.
    line: int
    #: The plan file's ``regression:`` (the default of its tasks; ``None``: not set).
    plan_regression: tuple[str, ...] | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def status(self) -> Status:
        """The status, with a stale ``in_progress`` (a killed run) read as pending."""
        s = self.spec.status
        return Status.PENDING if s is Status.IN_PROGRESS else s

    def to_task(self) -> Task:
        return Task(
            id=self.spec.id,
            description=self.spec.description,
            accept_tests=tuple(self.spec.accept_tests),
            files=tuple(self.spec.files),
            depends_on=tuple(self.spec.depends_on),
            allow_test_edits=self.spec.allow_test_edits,
            plan_path=self.plan_path,
            regression=tuple(self.spec.regression) if self.spec.regression is not None
            else self.plan_regression,
        )


def find_plan_files(root: Path, plan_path: str) -> list[Path]:
    """The plan files under ``root / plan_path`` (a file or a directory), sorted."""
    target = (root / plan_path) if not Path(plan_path).is_absolute() else Path(plan_path)
    if target.is_file():
        return [target]
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return []


def _line_of(node: Any, path: Sequence[str | int]) -> int | None:
    """The 1-based line of ``path`` inside a ruamel round-trip node, as close as known."""
    line: int | None = None
    cur = node
    for part in path:
        lc = getattr(cur, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(part, int) and isinstance(cur, list):
                line = lc.item(part)[0] + 1
                cur = cur[part]
            elif isinstance(cur, dict) and part in cur:
                line = lc.key(part)[0] + 1
                cur = cur[part]
            else:
                line = lc.line + 1
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _parse_yaml(path: Path, text: str) -> Any:
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.error import YAMLError

    yaml = yaml_loader()
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise PlanError(f"{path}{where}: not valid YAML: {problem}") from None
    except YAMLError as exc:
        raise PlanError(f"{path}: not valid YAML: {exc}") from None
    except TypeError as exc:
        # A key that is itself a mapping or a list (``? `` then ``- x`` or ``a: 1``):
        # ruamel cannot hash it and raises TypeError instead of a YAML error.
        raise PlanError(f"{path}: not valid for a plan: a mapping or list used as a key "
                        f"({exc})") from None


def _no_alias_composer() -> Any:
    # Made per loader, not cached: ruamel's modules may be imported afresh (pytester's
    # in-process runs restore sys.modules) and a cached class would test new events
    # against old event classes.
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.composer import ComposerError
    from ruamel.yaml.events import AliasEvent

    class NoAliasComposer(Composer):
        """Refuses ``*alias`` before it is composed: no alias bomb ever expands (#15)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                event = self.parser.peek_event()
                raise ComposerError(
                    None, None, f"aliases (*{event.anchor}) are not allowed in a plan; "
                    "write the value out", event.start_mark,
                )
            return super().compose_node(parent, index)

    return NoAliasComposer


def yaml_loader(typ: str = "rt") -> Any:
    """A ruamel ``YAML`` of ``typ`` for plans: refuses aliases, bounds the nesting depth."""
    from ruamel.yaml import YAML

    yaml = YAML(typ=typ, pure=True)
    yaml.Composer = _no_alias_composer()
    yaml.max_depth = _MAX_DEPTH
    return yaml


def _plain(node: Any) -> Any:
    """ruamel round-trip containers to plain Python (pydantic validates plain data)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def load_plan_file(path: Path) -> list[LoadedTask]:
    """Load and validate one plan file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc}") from None
    fast = _load_large_valid_plan(path, text)
    if fast is not None:
        return fast
    doc = _parse_yaml(path, text)
    if doc is None:
        return []
    if not isinstance(doc, dict) or "tasks" not in doc:
        raise PlanError(f"{path}:1: a plan is a mapping with a 'tasks' list at the top")
    extra = sorted(str(k) for k in doc if k not in _TOP_LEVEL_KEYS)
    if extra:
        raise PlanError(
            f"{path}:{_line_of(doc, [extra[0]]) or 1}: unknown top-level key {extra[0]!r} "
            "(a plan holds 'tasks' and, optionally, 'regression')"
        )
    plan_regression = _plan_regression(path, doc)
    tasks = doc["tasks"]
    if tasks is None:
        return []
    if not isinstance(tasks, list):
        raise PlanError(f"{path}:{_line_of(doc, ['tasks'])}: 'tasks' must be a list of tasks")
    loaded: list[LoadedTask] = []
    for index, raw in enumerate(tasks):
        line = _line_of(doc, ["tasks", index]) or 1
        if not isinstance(raw, dict):
            raise PlanError(f"{path}:{line}: tasks[{index}] must be a mapping with id, "
                            "description, accept_tests")
        try:
            spec = TaskSpec.model_validate(_plain(raw))
        except ValidationError as exc:
            raise PlanError(_describe(path, doc, index, raw, exc)) from None
        loaded.append(LoadedTask(spec=spec, plan_path=path, index=index, line=line,
                                 plan_regression=plan_regression))
    return loaded


_TOP_LEVEL_KEYS = ("tasks", "regression")


def _load_large_valid_plan(path: Path, text: str) -> list[LoadedTask] | None:
    """A large plan through libyaml (see ``_fastyaml``); ``None``: use the round-trip loader.

    Only a plan with nothing to report takes this path: any doubt (a shape or a field
    that does not validate) returns ``None``, and the round-trip loader then gives the
    message with its line, exactly as for a small plan.
    """
    from pytest_agent._fastyaml import compose_large_plan

    composed = compose_large_plan(text)
    if composed is None:
        return None
    doc, lines = composed
    if not isinstance(doc, dict) or any(k not in _TOP_LEVEL_KEYS for k in doc):
        return None
    tasks = doc.get("tasks")
    if not isinstance(tasks, list) or len(lines) != len(tasks):
        return None
    try:
        plan_regression = _plan_regression(path, doc)
        specs = [TaskSpec.model_validate(_plain(raw)) for raw in tasks
                 if isinstance(raw, dict)]
    except (PlanError, ValidationError):
        return None
    if len(specs) != len(tasks):
        return None
    return [LoadedTask(spec=spec, plan_path=path, index=index, line=line,
                       plan_regression=plan_regression)
            for index, (spec, line) in enumerate(zip(specs, lines, strict=True))]


class _PlanDefaults(BaseModel):
    """The plan-level keys beside ``tasks`` (defaults of the plan's tasks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regression: list[str] | None = None

    @field_validator("regression", mode="before")
    @classmethod
    def _regression_none(cls, value: Any) -> Any:
        return parse_regression(value)

    @field_validator("regression")
    @classmethod
    def _regression_items(cls, value: list[str] | None) -> list[str] | None:
        return TaskSpec._relative_nodeids(TaskSpec._non_blank_items(value))


def _plan_regression(path: Path, doc: Any) -> tuple[str, ...] | None:
    if "regression" not in doc:
        return None
    try:
        defaults = _PlanDefaults.model_validate({"regression": _plain(doc["regression"])})
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise PlanError(f"{path}:{_line_of(doc, ['regression'])}: regression: {msg}") from None
    return tuple(defaults.regression) if defaults.regression is not None else None


def _describe(path: Path, doc: Any, index: int, raw: Any, exc: ValidationError) -> str:
    task_id = raw.get("id") if isinstance(raw, dict) else None
    shown = task_id if isinstance(task_id, str) and task_id.isprintable() else repr(task_id)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    label = f"tasks[{index}]" + (f" ({shown})" if isinstance(task_id, str) else "")
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"]]
        field = ".".join(str(p) for p in loc) or "<task>"
        line = _line_of(doc, ["tasks", index, *loc]) or _line_of(doc, ["tasks", index])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            known = ", ".join(TaskSpec.model_fields)
            msg = f"unknown field (known fields: {known})"
        lines.append(f"{path}:{line}: {label}.{field}: {msg}")
    return "\n".join(lines)


def load_plans(files: Iterable[Path]) -> list[LoadedTask]:
    """Load every plan file; ids must be unique across files and dependencies must exist."""
    tasks: list[LoadedTask] = []
    seen: dict[str, LoadedTask] = {}
    for path in files:
        for task in load_plan_file(path):
            if task.id in seen:
                first = seen[task.id]
                raise PlanError(
                    f"{task.plan_path}:{task.line}: tasks[{task.index}].id: duplicate id "
                    f"{task.id!r} (first defined at {first.plan_path}:{first.line})"
                )
            seen[task.id] = task
            tasks.append(task)
    for task in tasks:
        for dep in task.spec.depends_on:
            if dep not in seen:
                raise PlanError(
                    f"{task.plan_path}:{task.line}: tasks[{task.index}].depends_on: "
                    f"unknown task id {dep!r}"
                )
            if dep == task.id:
                raise PlanError(
                    f"{task.plan_path}:{task.line}: tasks[{task.index}].depends_on: "
                    "a task cannot depend on itself"
                )
    _check_cycles(tasks)
    return tasks


def _check_cycles(tasks: Sequence[LoadedTask]) -> None:
    by_id = {t.id: t for t in tasks}
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(tid: str, trail: list[str]) -> None:
        if state.get(tid) == 2:
            return
        if state.get(tid) == 1:
            cycle = [*trail[trail.index(tid):], tid]
            t = by_id[tid]
            raise PlanError(
                f"{t.plan_path}:{t.line}: tasks[{t.index}].depends_on: dependency cycle "
                + " -> ".join(cycle)
            )
        state[tid] = 1
        for dep in by_id[tid].spec.depends_on:
            visit(dep, [*trail, tid])
        state[tid] = 2

    for t in tasks:
        visit(t.id, [])


def dependency_order(tasks: Sequence[LoadedTask]) -> list[LoadedTask]:
    """A stable topological order: plan order, each task after its dependencies."""
    by_id = {t.id: t for t in tasks}
    placed: dict[str, None] = {}

    def place(t: LoadedTask) -> None:
        if t.id in placed:
            return
        for dep in t.spec.depends_on:
            if dep in by_id:
                place(by_id[dep])
        placed[t.id] = None

    for t in tasks:
        place(t)
    return [by_id[i] for i in placed]
