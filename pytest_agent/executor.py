"""The repair loop of one task: localize, then propose, apply, verify, reflect, retry.

Kept thin on purpose (mini-swe-agent's ``run``/``step`` shape): every step is a
hook call; the executor owns only the order, the budget of attempts, the git
workspace (which plugins cannot skip: rollback always happens) and the memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from typing import final

from pytest_agent import preflight
from pytest_agent import regression
from pytest_agent._describe import describe_run
from pytest_agent._describe import describe_verdict_detail
from pytest_agent._server import TaskTests
from pytest_agent._types import Applied
from pytest_agent._types import AttemptRecord
from pytest_agent._types import CommitInfo
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Localization
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import TaskOutcome
from pytest_agent._types import TaskResult
from pytest_agent._types import TestRun
from pytest_agent._types import Usage
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.memory import TaskMemory
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_baseline
from pytest_agent.testrun import run_tests
from pytest_agent.workspace import WorkspaceManager

__all__ = ["Executor", "WorkspacePlan"]

#: The loop's own message when no implementation of the propose step gave a proposal.
NO_PROPOSER_HELP = (
    "no proposal: the {engine} engine produced no diff for this task. "
    "To configure a proposer: set AGENT_API_KEY (or OPENAI_API_KEY) and optionally "
    "AGENT_BASE_URL for an OpenAI-compatible server and run with --agent-engine llm; "
    "or implement pytest_agent_propose_diff in a conftest.py or plugin (see docs/hooks.md)."
)
#: When every implementation of a step returned ``None`` (the hookspecs allow it).
NO_APPLY = "no implementation of pytest_agent_apply applied or refused the proposal"
NO_VERDICT = "no implementation of pytest_agent_verify gave a verdict"
NO_COMMIT = ("the change passed verification, but no implementation of pytest_agent_commit "
             "committed it")


def as_localization(found: object) -> Localization:
    """A localize hook's answer as a :class:`Localization` (``None``: nothing found).

    Before 0.2 the hook returned a ``(locations, pack)`` or ``(locations, pack, lines)``
    tuple; third-party implementations that still do are converted (deprecated, see
    docs/hooks.md).
    """
    if found is None or found == ():
        return Localization(functions=(), pack="")
    if isinstance(found, Localization):
        return found
    if isinstance(found, tuple) and len(found) in (2, 3):
        locations, pack, *rest = found
        return Localization(functions=tuple(locations), pack=str(pack),
                            lines=tuple(rest[0]) if rest else ())
    raise TypeError(
        f"pytest_agent_localize returned {type(found).__name__}; expected a Localization "
        "or None"
    )


@final
@dataclass(frozen=True)
class WorkspacePlan:
    """Where a task's branch starts: HEAD, or its dependencies' branches."""

    base: str | None = None
    merge: tuple[str, ...] = ()


class Executor:
    """Runs one task through the loop and returns its :class:`TaskResult`."""

    def __init__(
        self,
        *,
        task: Task,
        settings: AgentSettings,
        hook: Any,
        workspaces: WorkspaceManager,
        memory: TaskMemory,
        rootdir_rel: str = "",
        start: WorkspacePlan = WorkspacePlan(),
        tests: TaskTests | None = None,
    ) -> None:
        """``tests``: the task's test runs, opened by the caller (its server may already
        be warming up, see ``_spare.py``); by default opened in :meth:`run`."""
        self.task = task
        self.settings = settings
        self.hook = hook
        self.workspaces = workspaces
        self.memory = memory
        self.rootdir_rel = rootdir_rel
        self.start = start
        self._given_tests = tests
        self.attempts: list[AttemptRecord] = []
        self.usage = Usage()

    def run(self) -> TaskResult:
        started = time.monotonic()
        recovered = self._recovered(started)
        if recovered is not None:
            return recovered
        # The task's warm test server starts now: it imports pytest and the plugins
        # while the worktree is being checked out.
        self.tests = self._given_tests or TaskTests.open(self.settings)
        try:
            ws = self.workspaces.create(
                self.task, base=self.start.base, merge=self.start.merge,
                replace_branch=self.settings.replace_branch,
            )
        except BaseException:
            self.tests.close()
            raise
        if self.rootdir_rel:
            ws = Workspace(root=ws.root, branch=ws.branch, base_commit=ws.base_commit,
                           repo_root=ws.repo_root, rootdir=ws.root / self.rootdir_rel)
        commit: CommitInfo | None = None
        error = ""
        self.tests.attach(ws.test_root, ws.root, regression.baseline_targets(self.task))
        try:
            self.hook.pytest_agent_task_start(task=self.task, workspace=ws)
            self.memory.start_run(self.task.description)
            commit, error = self._loop(ws)
        finally:
            self.tests.close()
            # Rollback is the harness's own job: a failed task leaves nothing behind.
            self.workspaces.finish(ws, self.task, keep_branch=commit is not None)
        outcome = TaskOutcome.DONE if commit is not None or not error else TaskOutcome.FAILED
        result = TaskResult(
            task=self.task, outcome=outcome, attempts=tuple(self.attempts), commit=commit,
            duration=time.monotonic() - started, usage=self.usage, error=error,
            engine=self._engine_name(),
        )
        self.hook.pytest_agent_task_end(task=self.task, result=result)
        return result

    def _recovered(self, started: float) -> TaskResult | None:
        """Done already: a run killed after the commit left the finished repair (#15)."""
        commit = None if self.settings.replace_branch else self.workspaces.finished(self.task)
        if commit is None:
            return None
        self.memory.start_run(self.task.description)
        self.memory.observation(0, f"Branch {commit.branch} already holds the finished repair "
                                   f"{commit.sha} (an earlier run ended before recording it); "
                                   "recorded as done.")
        result = TaskResult(task=self.task, outcome=TaskOutcome.DONE, attempts=(), commit=commit,
                            duration=time.monotonic() - started, usage=self.usage,
                            engine=self._engine_name())
        self.hook.pytest_agent_task_end(task=self.task, result=result)
        return result

    # -- the loop ------------------------------------------------------------

    def _loop(self, ws: Workspace) -> tuple[CommitInfo | None, str]:
        # Every test of the accept tests' files: the accept tests decide "already
        # passing"; the others that pass here are the regression set verify guards.
        # One run for the baseline and localization's coverage (see testrun.run_baseline).
        baseline = run_baseline(
            ws.test_root, ws.root, regression.baseline_targets(self.task),
            timeout=self.settings.test_timeout, profiled=self.task.accept_tests,
            arcs=self.settings.localize_arc_weight > 0,
        )
        self.task = regression.resolve(self.task, baseline)
        accept = regression.accept_view(baseline, self.task.accept_tests)
        self.memory.observation(0, "Accept tests before any change:\n" + describe_run(accept))
        if accept.passed:
            # The baseline ran under localization's coverage tracer; code that looks at
            # sys.gettrace() (a debugger check) can pass there and fail in a plain run, so
            # "already passing" is confirmed without the tracer before it is believed.
            plain = run_tests(ws.test_root, self.task.accept_tests,
                              timeout=self.settings.test_timeout)
            if not plain.passed:
                traced_only = ("the accept tests pass under localization's coverage tracer but"
                               " not in a plain pytest run (code that checks"
                               " sys.gettrace()?):\n" + describe_run(plain, failing_only=True))
                self.memory.observation(0, f"Stopped before any search: {traced_only}")
                return None, traced_only
            # Nothing to do: the tests already pass at the base. Done, with no commit.
            self.memory.observation(0, "The accept tests already pass; no change is needed.")
            return None, ""
        # Causes no change can fix (a missing test id, a dying run, ...): one line, no search.
        stop = preflight.check(self.task, ws, baseline, accept)
        if stop:
            self.memory.observation(0, f"Stopped before any search: {stop}")
            return None, stop
        found = self._localize(ws, baseline)
        self.memory.context(1, found.pack)
        max_attempts = 1 + self.settings.max_reflexion_retries
        last_error = ""
        for number in range(1, max_attempts + 1):
            if number > 1:  # the first attempt starts where _localize reset the workspace
                self.workspaces.reset(ws)
            context = Context(
                task=self.task, workspace=ws, attempt=number, baseline=baseline,
                locations=found.functions, lines=found.lines, pack=found.pack,
                memory=self.memory.read(),
                history=tuple(self.attempts), settings=self.settings,
            )
            record, commit, stop = self._attempt(ws, context)
            self.attempts.append(record)
            self.hook.pytest_agent_attempt_end(task=self.task, attempt=record)
            if commit is not None:
                return commit, ""
            last_error = stop or _attempt_error(record)
            if stop:
                break
        else:
            last_error = f"no passing change after {max_attempts} attempt(s); last: {last_error}"
        return None, last_error

    def _attempt(
        self, ws: Workspace, context: Context
    ) -> tuple[AttemptRecord, CommitInfo | None, str]:
        number = context.attempt
        started = time.monotonic()
        proposal = self._propose(ws, context)
        if proposal is None or (not proposal.diff.strip() and proposal.stop_reason):
            stop = proposal.stop_reason if proposal is not None and proposal.stop_reason else \
                NO_PROPOSER_HELP.format(engine=self._engine_name())
            if proposal is not None and proposal.notes.strip() and proposal.notes.strip() != stop:
                # What the proposer tried (the offline engine's best partial candidate).
                self.memory.thought(number, proposal.notes)
            self.memory.observation(number, stop)
            record = AttemptRecord(number, proposal, None, None, None, time.monotonic() - started)
            return record, None, stop
        self.memory.thought(number, (proposal.notes + "\n\n" if proposal.notes else "")
                            + f"```diff\n{proposal.diff.strip()}\n```")
        applied, verdict = self._apply_and_verify(ws, number, proposal)
        if verdict is not None and verdict.passed:
            record = AttemptRecord(number, proposal, applied, verdict, None,
                                   time.monotonic() - started)
            commit = self.hook.pytest_agent_commit(
                task=self.task, workspace=ws, applied=applied, verdict=verdict,
                settings=self.settings, proposal=proposal,
            )
            if commit is None:
                # The spec allows None; a verified change nobody committed ends the task.
                self.memory.observation(number, NO_COMMIT)
                return record, None, NO_COMMIT
            self.memory.observation(number, f"Committed {commit.sha} on {commit.branch}.")
            return record, commit, ""
        draft = AttemptRecord(number, proposal, applied, verdict, None, time.monotonic() - started)
        critique: Critique | None = self.hook.pytest_agent_reflect(
            task=self.task, attempt=draft, verdict=verdict, context=context, settings=self.settings
        )
        if critique is not None:
            self.usage = self.usage + critique.usage
            self.memory.reflexion(number, critique.text)
        record = AttemptRecord(number, proposal, applied, verdict, critique,
                               time.monotonic() - started)
        return record, None, ""

    def _propose(self, ws: Workspace, context: Context) -> Proposal | None:
        raw = self.hook.pytest_agent_propose_diff(
            task=self.task, context=context, workspace=ws, settings=self.settings
        )
        # A plain string comes from a plugin or conftest.py, not from our engines.
        proposal = Proposal(diff=raw, engine="plugin") if isinstance(raw, str) else raw
        if proposal is not None and not isinstance(proposal, Proposal):
            raise TypeError(
                f"pytest_agent_propose_diff returned {type(proposal).__name__}; expected a "
                "Proposal, a unified diff string, or None"
            )
        if proposal is not None:
            self.usage = self.usage + proposal.usage
        return proposal

    def _apply_and_verify(
        self, ws: Workspace, number: int, proposal: Proposal
    ) -> tuple[Applied, Verdict | None]:
        """Apply, then verify what applied; ``None`` from either hook is a failed step."""
        applied: Applied | None = self.hook.pytest_agent_apply(
            task=self.task, proposal=proposal, workspace=ws
        )
        if applied is None:
            applied = Applied(ok=False, reason=NO_APPLY, rule="not-applied")
        if not applied.ok:
            self.memory.observation(
                number, f"The diff was refused ({applied.rule}): {applied.reason}"
            )
            return applied, None
        verdict: Verdict | None = self.hook.pytest_agent_verify(
            task=self.task, workspace=ws, applied=applied, settings=self.settings
        )
        if verdict is None:
            verdict = Verdict(passed=False, tests=None, summary=NO_VERDICT)
        self.memory.observation(number, describe_verdict_detail(verdict))
        return applied, verdict

    def _localize(self, ws: Workspace, baseline: TestRun) -> Localization:
        try:
            found = self.hook.pytest_agent_localize(
                task=self.task, workspace=ws, baseline=baseline, settings=self.settings
            )
        except Exception as exc:  # noqa: BLE001 - a localization failure must not end the task
            self.memory.observation(0, f"Localization failed ({type(exc).__name__}: {exc}); "
                                       "continuing without it.")
            found = None
        finally:
            # Localization may leave coverage data or caches behind (a test may write).
            self.workspaces.reset_if_changed(ws)
        return as_localization(found)

    def _engine_name(self) -> str:
        for record in reversed(self.attempts):
            if record.proposal is not None and record.proposal.engine:
                return record.proposal.engine
        return self.settings.resolved_engine


def _attempt_error(record: AttemptRecord) -> str:
    if record.applied is not None and not record.applied.ok:
        return f"attempt {record.number}: the diff was refused ({record.applied.rule})"
    if record.verdict is not None:
        return f"attempt {record.number}: {record.verdict.summary}"
    return f"attempt {record.number}: no result"
