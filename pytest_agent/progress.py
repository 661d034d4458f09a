"""Live progress of the repair loop in the terminal, under ``-v``.

One line per attempt, written piece by piece as the steps happen::

    plans/sprint-12.yaml::T-101
        T-101 attempt 1/4: proposing… applied… verify: 1 failing
        T-101 attempt 2/4: proposing… applied… verify: passed, committed 3f2a9c1e on agent/T-101
    plans/sprint-12.yaml::T-101 PASSED                                  [100%]

Written by wrappers around the step hooks (they only watch: every result is
passed on unchanged), so a plugin that replaces a step is shown too. Nothing is
written at default verbosity or under ``-q``, and nothing on an xdist worker,
which has no terminal (the plugin is not registered there).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from typing import Any
from typing import Final
from typing import cast
from typing import final

import pytest

from pytest_agent._describe import describe_verdict
from pytest_agent._face import is_xdist_worker
from pytest_agent.memory import redact

if TYPE_CHECKING:
    from pytest_agent._types import Applied
    from pytest_agent._types import CommitInfo
    from pytest_agent._types import Context
    from pytest_agent._types import Proposal
    from pytest_agent._types import Task
    from pytest_agent._types import Verdict
    from pytest_agent.settings import AgentSettings

# describe_verdict is re-exported (it moved to pytest_agent._describe).
__all__ = ["ProgressReporter", "describe_verdict"]

#: Put in ``TerminalReporter.currentfspath`` while one of our lines is open. pytest
#: uses that attribute to know a line is unfinished: its next ``write_line``,
#: ``section`` or result word then starts a new line instead of running on in ours.
_OPEN_LINE: Final = "<pytest-agent progress>"

_INDENT = "    "


@final
class ProgressReporter:
    """Registered as ``agent-progress`` in the controlling process when ``-v`` is given."""

    name = "agent-progress"

    def __init__(self, reporter: Any, verbosity: int, capture: Any = None,
                 secrets: Callable[[], Sequence[str]] = tuple) -> None:
        self.reporter = reporter
        self.verbosity = verbosity
        #: pytest's capture manager: the steps run inside ``runtest``, where output is
        #: captured (with the default ``--capture=fd`` even the reporter's own writes).
        self.capture = capture
        #: The start of the current line (``"T-101 attempt 2/4:"``), to repeat it on a
        #: continuation line when something else wrote in between.
        self._prefix = ""
        #: The run's secrets: a stop reason is an engine's free text (#18).
        self._secrets = secrets

    @classmethod
    def register(
        cls, config: pytest.Config, secrets: Callable[[], Sequence[str]] = tuple
    ) -> ProgressReporter | None:
        """Register when there is a terminal to write to and ``-v`` asks for detail."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        verbosity = config.get_verbosity()
        if reporter is None or verbosity <= 0 or is_xdist_worker(config):
            return None
        plugin = cls(reporter, verbosity, config.pluginmanager.get_plugin("capturemanager"),
                     secrets)
        config.pluginmanager.register(plugin, cls.name)
        return plugin

    # -- writing -------------------------------------------------------------

    def _uncaptured(self) -> AbstractContextManager[None]:
        if self.capture is None:
            return contextlib.nullcontext()
        return cast("AbstractContextManager[None]", self.capture.global_and_fixture_disabled())

    def _start(self, prefix: str, text: str) -> None:
        with self._uncaptured():
            self.reporter.ensure_newline()
            self._prefix = prefix
            self.reporter.write(f"{_INDENT}{prefix} {text}", flush=True)
            self.reporter.currentfspath = _OPEN_LINE

    def _add(self, text: str, *, sep: str = " ", **markup: bool) -> None:
        if self.reporter.currentfspath != _OPEN_LINE:
            # Something else wrote a line since (a plugin's write_line, a warning):
            # continue on a fresh line that says which task and attempt it is.
            self._start(self._prefix, "…")
        with self._uncaptured():
            self.reporter.write(f"{sep}{redact(text, self._secrets())}", flush=True, **markup)
            self.reporter.currentfspath = _OPEN_LINE

    def _line(self, text: str) -> None:
        with self._uncaptured():
            self.reporter.ensure_newline()
            self.reporter.write_line(text)

    # -- the steps (wrappers: they watch and pass every result on) -----------------

    @pytest.hookimpl(wrapper=True)
    def pytest_agent_propose_diff(
        self, task: Task, context: Context, settings: AgentSettings
    ) -> Generator[None, Proposal | str | None, Proposal | str | None]:
        total = 1 + settings.max_reflexion_retries
        self._start(f"{task.id} attempt {context.attempt}/{total}:", "proposing…")
        proposal = yield
        if proposal is None:
            self._add("no proposal", red=True)
        elif not isinstance(proposal, str) and proposal.stop_reason and not proposal.diff.strip():
            self._add(f"stopped: {proposal.stop_reason.splitlines()[0][:120]}", red=True)
        return proposal

    @pytest.hookimpl(wrapper=True)
    def pytest_agent_apply(self) -> Generator[None, Applied | None, Applied | None]:
        applied = yield
        if applied is not None and applied.ok:
            self._add("applied…")
        elif applied is not None:
            self._add(f"refused ({applied.rule or 'rejected'})", red=True)
        return applied

    @pytest.hookimpl(wrapper=True)
    def pytest_agent_verify(self) -> Generator[None, Verdict | None, Verdict | None]:
        self._add("verify:")
        verdict = yield
        if verdict is not None:
            self._add(describe_verdict(verdict), green=verdict.passed, red=not verdict.passed)
            if self.verbosity > 1 and verdict.tests is not None:
                for nodeid in verdict.tests.failing:
                    outcome = verdict.tests.outcomes[nodeid].value
                    self._line(f"{_INDENT * 2}{nodeid}: {outcome}")
        return verdict

    @pytest.hookimpl(wrapper=True)
    def pytest_agent_commit(self) -> Generator[None, CommitInfo | None, CommitInfo | None]:
        commit = yield
        if commit is not None:
            self._add(f"committed {commit.sha[:8]} on {commit.branch}", sep=", ")
        return commit
