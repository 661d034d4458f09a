"""The typed data passed to and returned from the ``pytest_agent_*`` hooks.

These frozen dataclasses are the public API of the harness: hook implementations
receive them and return them. They are deliberately small and immutable; what is
*stored* (plans, settings) is modelled with pydantic in :mod:`pytest_agent.plan`
and :mod:`pytest_agent.settings`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Final
from typing import Literal
from typing import final

if TYPE_CHECKING:
    from pytest_agent.settings import AgentSettings

__all__ = [
    "BRANCH_PREFIX",
    "REVIEW_MARK",
    "Applied",
    "AttemptRecord",
    "CommitInfo",
    "Context",
    "Critique",
    "LintFinding",
    "Localization",
    "Location",
    "Proposal",
    "Rule",
    "Task",
    "TaskOutcome",
    "TaskResult",
    "TestOutcome",
    "TestRun",
    "Usage",
    "Verdict",
    "Workspace",
    "branch_name",
]

#: The names of the rules a proposal can be refused by (``Applied.rule``).
Rule = Literal[
    "absolute-path",
    "ambiguous",
    "binary",
    "empty",
    "encoding",
    "git-dir",
    "hunk-failed",
    "no-op",
    "not-applied",
    "not-a-file",
    "parse-error",
    "path-escape",
    "symlink-escape",
    "test-edit",
    "timeout",
    "too-large",
    "write-failed",
]

#: Every task's work is committed on ``agent/<task id>`` (see :func:`branch_name`).
BRANCH_PREFIX: Final = "agent/"

#: How a proposal's ``notes`` begin when the change passes the tests but is of a kind
#: known to overfit them: the commit message and the report repeat that line.
REVIEW_MARK = "plausible only: review"


def branch_name(task_id: str) -> str:
    """The branch a task's repair is committed on: ``agent/<task id>``."""
    return f"{BRANCH_PREFIX}{task_id}"


@final
@dataclass(frozen=True)
class Task:
    """One task of a plan, as hooks see it."""

    #: The task id, ``[A-Za-z0-9][A-Za-z0-9._-]*``; unique across plan files.
    id: str
    #: What should change, in the user's words.
    description: str
    #: Pytest node ids (relative to the repository root) that must pass when done.
    accept_tests: tuple[str, ...]
    #: Files the task concerns (repository-relative, may be empty).
    files: tuple[str, ...] = ()
    #: Ids of tasks that must be done before this one.
    depends_on: tuple[str, ...] = ()
    #: Whether a proposal may edit the accept tests' files.
    allow_test_edits: bool = False
    #: The plan file this task was read from.
    plan_path: Path | None = None
    #: The regression guard (:mod:`pytest_agent.regression`). As planned: ``None`` for the
    #: default scope (the tests of the accept tests' files), ``()`` for none (``regression:
    #: none``), or the files / node ids the plan lists. From the baseline on (the context,
    #: verify, the result): the node ids that passed at the base and must keep passing.
    regression: tuple[str, ...] | None = None

    @property
    def branch(self) -> str:
        """The branch the task's work is committed on."""
        return branch_name(self.id)

    @property
    def accept_test_files(self) -> tuple[str, ...]:
        """The files holding the accept tests (the part of each node id before ``::``)."""
        seen: dict[str, None] = {}
        for nodeid in self.accept_tests:
            seen.setdefault(nodeid.split("::", 1)[0], None)
        return tuple(seen)


@final
@dataclass(frozen=True)
class Workspace:
    """A git worktree in which one task's attempts are made."""

    #: The worktree directory; every path a proposal names is relative to it.
    root: Path
    #: The branch checked out in the worktree (``agent/<id>``).
    branch: str
    #: The commit the branch was made from (the user's HEAD at the start).
    base_commit: str
    #: The user's repository (its checkout is never modified).
    repo_root: Path
    #: Where inside ``root`` pytest runs and node ids are rooted: the counterpart of
    #: the user's rootdir (``root`` itself unless the rootdir is a subdirectory).
    rootdir: Path | None = None

    @property
    def test_root(self) -> Path:
        return self.rootdir or self.root


@final
@dataclass(frozen=True)
class Usage:
    """What a proposal cost: tokens, money and tool calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Cost in US dollars; ``None`` when the model's price is unknown.
    cost_usd: float | None = 0.0
    tool_calls: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        cost: float | None
        if self.cost_usd is None or other.cost_usd is None:
            cost = None if (self.cost_usd is None and other.cost_usd is None) else (
                (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
            )
        else:
            cost = self.cost_usd + other.cost_usd
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
            tool_calls=self.tool_calls + other.tool_calls,
            requests=self.requests + other.requests,
        )


@final
@dataclass(frozen=True)
class Proposal:
    """A proposed change: a unified diff (or SEARCH/REPLACE blocks, or a whole file).

    A ``pytest_agent_propose_diff`` implementation may return a plain string instead;
    the harness wraps it as ``Proposal(diff=text)``.
    """

    #: The change, as written by the proposer. Usually a unified diff.
    diff: str
    #: Free text: the proposer's reasoning (the "Thought" in task memory).
    notes: str = ""
    #: Which engine wrote it ("offline", "llm", a plugin's name, ...).
    engine: str = ""
    #: What producing it cost.
    usage: Usage = field(default_factory=Usage)
    #: Set when the proposer gives up for a reason the user must see (budget, config).
    #: A proposal with an empty ``diff`` and a ``stop_reason`` ends the task.
    stop_reason: str | None = None

    @property
    def review(self) -> str:
        """The first line of ``notes`` when it starts with :data:`REVIEW_MARK`, else ``""``.

        A proposer marks a change that passes the tests but may only fit them (the
        offline engine's known overfitting patterns); the commit message repeats it.
        """
        first = self.notes.lstrip().split("\n", 1)[0].strip()
        return first if first.startswith(REVIEW_MARK) else ""


@final
@dataclass(frozen=True)
class Applied:
    """The result of applying a proposal: what changed, or why it was refused."""

    ok: bool
    #: Repository-relative paths of the files written (empty when refused).
    changed_files: tuple[str, ...] = ()
    #: The refusal, written to be fed back to a model (empty when ``ok``).
    reason: str = ""
    #: The name of the rule that refused it (``"path-escape"``, ``"no-op"``, ``"hunk-failed"``...);
    #: ``"not-applied"`` when no implementation of the apply step answered.
    rule: Rule | None = None


@final
class TestOutcome(enum.StrEnum):
    """The outcome of one test node."""

    __test__ = False  # not a pytest test class

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    #: Selected but never reported (collection error, timeout, crash).
    MISSING = "missing"


@final
@dataclass(frozen=True)
class TestRun:
    """One run of some tests in a subprocess."""

    __test__ = False  # not a pytest test class

    #: Outcome per requested node id (and any other node the run reported).
    outcomes: Mapping[str, TestOutcome]
    #: Per failing node id, its failure text (pytest's longrepr).
    failures: Mapping[str, str]
    #: The combined stdout/stderr of the run.
    output: str
    exit_code: int
    duration: float
    timed_out: bool = False
    #: Tests stopped by their per-test timeout: node id -> "hung in <qualname> (<file>:<line>)".
    hung: Mapping[str, str] = field(default_factory=dict)
    #: Seconds each test that finished took (setup and call), per node id.
    durations: Mapping[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every test ran and passed (skips and xfails count as passing)."""
        if self.timed_out or not self.outcomes:
            return False
        ok = {TestOutcome.PASSED, TestOutcome.SKIPPED, TestOutcome.XFAILED}
        return all(o in ok for o in self.outcomes.values())

    @property
    def failing(self) -> tuple[str, ...]:
        ok = {TestOutcome.PASSED, TestOutcome.SKIPPED, TestOutcome.XFAILED}
        return tuple(n for n, o in self.outcomes.items() if o not in ok)


@final
@dataclass(frozen=True)
class LintFinding:
    """One finding of the lint command on a changed file."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"


@final
@dataclass(frozen=True)
class Verdict:
    """Whether an applied proposal is good: accept tests, then lint."""

    passed: bool
    tests: TestRun | None
    lint: tuple[LintFinding, ...] = ()
    #: One line saying why it failed ("2 accept tests failed", "ruff: 3 findings").
    summary: str = ""
    #: Raw lint output (for reports) when the lint command failed to run or parse.
    lint_output: str = ""


@final
@dataclass(frozen=True)
class Critique:
    """A reflexion: what failed, why, what to try next. Stored in task memory."""

    text: str
    usage: Usage = field(default_factory=Usage)


@final
@dataclass(frozen=True)
class CommitInfo:
    sha: str
    branch: str


@final
@dataclass(frozen=True)
class Location:
    """A ranked suspicious place in the code, as localization reports it."""

    #: Repository-relative path.
    path: str
    #: The enclosing function's qualified name (``Class.method``) or ``<module>``.
    function: str
    #: First and last line (1-based, inclusive) of the span this location covers.
    start_line: int
    end_line: int
    score: float
    #: Human-readable reasons for the rank (``"ochiai 0.91"``, ``"traceback frame"``).
    evidence: tuple[str, ...] = ()
    #: The single most suspicious line inside the span, when known.
    line: int | None = None


@final
@dataclass(frozen=True)
class Localization:
    """What localization found for a task: ranked places and the pack built from them."""

    #: Ranked functions (a location spans the function), best first.
    functions: tuple[Location, ...]
    #: The prompt-ready context pack (task, failing tests, ranked code).
    pack: str
    #: Ranked single lines (``start_line == end_line == line``), best first; empty when
    #: the localizer ranks functions only.
    lines: tuple[Location, ...] = ()
    #: The signals that produced the ranking: ``"coverage+traceback"``, ``"names"``, ...
    method: str = ""
    #: Seconds spent, the coverage run included.
    duration: float = 0.0
    #: The coverage run was killed at its time limit (tracebacks and names were used).
    timed_out: bool = False


@final
@dataclass(frozen=True)
class AttemptRecord:
    """What happened in one attempt; kept for reports and for the next attempt's context."""

    number: int
    proposal: Proposal | None
    applied: Applied | None
    verdict: Verdict | None
    critique: Critique | None
    duration: float


@final
@dataclass(frozen=True)
class Context:
    """Everything a proposer is given for one attempt."""

    task: Task
    workspace: Workspace
    #: 1-based attempt number.
    attempt: int
    #: The accept tests run before any change (the failures to fix).
    baseline: TestRun | None
    #: Ranked suspicious locations (empty when localization is unavailable).
    locations: tuple[Location, ...] = ()
    #: Ranked single lines (``start_line == end_line``), best first, when the localizer
    #: gives them (the default one does); the offline engine ranks its edits by them.
    lines: tuple[Location, ...] = ()
    #: The packed prompt-ready context: task, failing tests, ranked code (see ``localize``).
    pack: str = ""
    #: The task's scratch memory so far (Thought / Observation / Reflexion).
    memory: str = ""
    #: Earlier attempts of this run, oldest first.
    history: tuple[AttemptRecord, ...] = ()
    #: The effective settings (the API key is a ``SecretStr`` and never printed).
    settings: AgentSettings | None = None

    @property
    def previous_diffs(self) -> tuple[str, ...]:
        return tuple(r.proposal.diff for r in self.history if r.proposal is not None)

    def replace(self, **changes: object) -> Context:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@final
class TaskOutcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@final
@dataclass(frozen=True)
class TaskResult:
    """The end of one task's run: reported on its item and written back to the plan."""

    task: Task
    outcome: TaskOutcome
    attempts: tuple[AttemptRecord, ...]
    commit: CommitInfo | None
    duration: float
    usage: Usage
    #: Why it failed or was skipped (empty when done).
    error: str = ""
    engine: str = ""


# The public face is the package (pluggy's pattern): show these types as ``pytest_agent.X``.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = "pytest_agent"
del _name
