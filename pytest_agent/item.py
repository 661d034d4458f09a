"""Plan files as collectors and tasks as items (pytest's non-python test pattern)."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Unpack

import pytest

from pytest_agent._describe import describe_run
from pytest_agent._face import TaskProperties
from pytest_agent._face import agent_session_key
from pytest_agent._face import task_result_key
from pytest_agent._types import TaskOutcome
from pytest_agent._types import TaskResult
from pytest_agent._types import branch_name
from pytest_agent.executor import Executor
from pytest_agent.executor import WorkspacePlan
from pytest_agent.memory import TaskMemory
from pytest_agent.memory import redact
from pytest_agent.plan import LoadedTask
from pytest_agent.plan import Status
from pytest_agent.settings import AgentSettings
from pytest_agent.workspace import WorkspaceError

if TYPE_CHECKING:
    from pytest_agent._server import TaskTests
    from pytest_agent.session import AgentSession

__all__ = ["PlanFile", "TaskFailed", "TaskItem"]

_TAIL_LINES = 40


class PlanFile(pytest.File):
    """A plan file; its children are the tasks it holds, in file order."""

    def collect(self) -> Iterator[TaskItem]:
        session = self.config.stash[agent_session_key]
        for loaded in session.tasks:
            if loaded.plan_path == self.path:
                yield TaskItem.from_parent(self, name=loaded.id, loaded=loaded)


class TaskFailed(Exception):
    """Raised by a task item whose task did not get done; carries the result."""

    def __init__(self, result: TaskResult) -> None:
        super().__init__(result.error)
        self.result = result


class TaskItem(pytest.Item):
    """One plan task. Running it runs the repair loop; its outcome is the task's."""

    def __init__(self, *, loaded: LoadedTask, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.add_marker("agent_task")

    @property
    def task_id(self) -> str:
        return self.loaded.id

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.loaded.line - 1, f"task {self.loaded.id}"

    def runtest(self) -> None:
        session = self.config.stash[agent_session_key]
        task = self.loaded.to_task()
        self._props(task_id=task.id)
        start = self._start_point(session)
        settings = _task_settings(session.settings, self.loaded)
        memory = TaskMemory(
            session.memory_dir(), task.id, secrets=session.secrets(),
            limit_chars=settings.memory_limit_chars,
            summarize=session.engine.summarizer(settings, session.config.rootpath),
        )
        rel = session.config.rootpath.resolve().relative_to(session.repo_root.resolve())
        tests = _task_tests(self.config, settings)
        if isinstance(session.next_item, TaskItem):
            from pytest_agent._spare import start_next_spare

            start_next_spare(self.config, settings)
        executor = Executor(
            task=task, settings=settings, hook=self.ihook, workspaces=session.workspaces,
            memory=memory, rootdir_rel="" if str(rel) == "." else rel.as_posix(), start=start,
            tests=tests,
        )
        try:
            result = executor.run()
        except WorkspaceError as exc:
            self._props(status="failed", attempts=0, last_error=str(exc))
            # from None: one line, not "During handling of the above exception..." (#15).
            raise pytest.fail.Exception(f"pytest-agent: {exc}", pytrace=False) from None
        finally:
            if tests is not None:
                tests.close()  # the executor closes what it used; this, a spare it did not
        memory.archive()
        # The report plugin turns the result into the record that reports show.
        self.stash[task_result_key] = result
        self._record(result, session.secrets())
        if result.outcome is not TaskOutcome.DONE:
            raise TaskFailed(result)

    # -- pieces of runtest ---------------------------------------------------

    def _start_point(self, session: AgentSession) -> WorkspacePlan:
        """Skip when a dependency is not done; else start from the dependencies' branches."""
        branches: list[str] = []
        for dep in self.loaded.spec.depends_on:
            outcome = session.outcomes.get(dep)
            if outcome is not None and outcome != "passed":
                self._skip(f"dependency {dep} {outcome} in this run")
            if outcome is None and session.plan_status(dep) is not Status.DONE:
                self._skip(f"dependency {dep} is {session.plan_status(dep).value}; "
                           f"run it first (--agent-run {dep})")
            branch = branch_name(dep)
            if session.workspaces.branch_exists(branch):
                branches.append(branch)
        if not branches:
            return WorkspacePlan()
        return WorkspacePlan(base=branches[0], merge=tuple(branches[1:]))

    def _skip(self, reason: str) -> None:
        self._props(status="pending", attempts=0, last_error=f"skipped: {reason}")
        pytest.skip(f"task {self.loaded.id}: {reason}")

    def _props(self, **values: Unpack[TaskProperties]) -> None:
        for key, value in values.items():
            self.user_properties.append((key, value))

    def _record(self, result: TaskResult, secrets: Sequence[str]) -> None:
        status = Status.DONE.value if result.outcome is TaskOutcome.DONE else Status.FAILED.value
        props = TaskProperties(
            status=status,
            attempts=len(result.attempts),
            branch=result.commit.branch if result.commit else "",
            commit=result.commit.sha if result.commit else "",
            tokens=result.usage.total_tokens,
        )
        # An unknown cost (no price) is absent, not "None" in junit XML.
        if result.usage.total_tokens and result.usage.cost_usd is not None:
            props["cost"] = result.usage.cost_usd
        props["engine"] = result.engine
        props["last_error"] = redact(result.error, secrets)
        last = result.attempts[-1].proposal if result.attempts else None
        if result.commit is not None and last is not None and last.review:
            props["review"] = redact(last.review, secrets)
        self._props(**props)

    # -- reporting -----------------------------------------------------------

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str:
        if isinstance(excinfo.value, TaskFailed):
            session = self.config.stash[agent_session_key]
            return redact(render_failure(excinfo.value.result), session.secrets())
        return str(super().repr_failure(excinfo, style=style))


def _task_settings(settings: AgentSettings, loaded: LoadedTask) -> AgentSettings:
    """The run's settings with the task's own budget overrides."""
    overrides = {
        name: getattr(loaded.spec, name)
        for name in ("max_reflexion_retries", "test_timeout", "max_tool_calls_per_task",
                     "max_tokens_per_task", "max_cost_per_task")
        if getattr(loaded.spec, name) is not None
    }
    return settings.model_copy(update=overrides) if overrides else settings


def _task_tests(config: pytest.Config, settings: AgentSettings) -> TaskTests | None:
    """The task's test runs around the spare server started early (``_spare.py``);
    ``None`` without one (the executor opens them)."""
    from pytest_agent._server import TaskTests
    from pytest_agent._spare import take_spare
    from pytest_agent._timeout import TestLimits

    server = take_spare(config, settings)
    return TaskTests(TestLimits.from_settings(settings), server) if server is not None else None


def _tail(text: str, lines: int = _TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def render_failure(result: TaskResult) -> str:
    """The failure report of a task: why, the last diff, test output, lint, reflexion."""
    out = [f"task {result.task.id} failed after {len(result.attempts)} attempt(s): {result.error}"]
    last = result.attempts[-1] if result.attempts else None
    if last is not None and last.proposal is not None and last.proposal.diff.strip():
        out += ["", f"--- last proposal (attempt {last.number}) ---", last.proposal.diff.rstrip()]
    if last is not None and last.applied is not None and not last.applied.ok:
        out += ["", f"--- the diff was refused ({last.applied.rule}) ---",
                _tail(last.applied.reason)]
    if last is not None and last.verdict is not None:
        verdict = last.verdict
        if verdict.tests is not None and not verdict.tests.passed:
            out += ["", "--- failing accept tests ---",
                    describe_run(verdict.tests, failing_only=True, bullet="")]
            out += ["", "--- test output (tail) ---", _tail(verdict.tests.output)]
        if verdict.lint:
            out += ["", "--- lint findings ---", *(str(f) for f in verdict.lint)]
    if last is not None and last.critique is not None:
        out += ["", "--- reflexion ---", last.critique.text.rstrip()]
    return "\n".join(out)
