"""The small project that the localization tests write and localize (test_localize*.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize import Localization
from pytest_agent.localize import localize_detailed
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

__all__ = ["Project"]


class Project:
    """A small project in a temp dir, localized by the real code (a real coverage run)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def new(cls, tmp_path: Path) -> Project:
        root = tmp_path / "proj"
        root.mkdir()
        (root / "pytest.ini").write_text("[pytest]\n")
        return cls(root)

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    def workspace(self) -> Workspace:
        return Workspace(root=self.root, branch="agent/T-1", base_commit="0" * 40,
                         repo_root=self.root)

    def task(self, *accept: str, description: str = "fix it", files: tuple[str, ...] = ()
             ) -> Task:
        return Task(id="T-1", description=description, accept_tests=accept, files=files)

    def baseline(self, task: Task, timeout: float = 30) -> TestRun:
        return run_tests(self.root, task.accept_tests, timeout=timeout)

    def localize(self, task: Task, settings: AgentSettings | None = None,
                 baseline: TestRun | None = None) -> Localization:
        settings = settings or AgentSettings()
        if baseline is None:
            baseline = self.baseline(task, timeout=settings.test_timeout)
        return localize_detailed(task, self.workspace(), baseline, settings)
