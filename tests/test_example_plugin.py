"""The worked example of a third-party plugin (examples/pytest-agent-replay) works."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git

EXAMPLE = Path(__file__).parent.parent / "examples" / "pytest-agent-replay"


def test_replay_plugin_proposes_and_logs(project: GitProject) -> None:
    project.pytester.syspathinsert(EXAMPLE)
    project.write("proposals/T-101.diff", GREET_DIFF)
    project.commit_all("recorded proposal")
    result = project.pytester.runpytest("-p", "pytest_agent_replay", "--agent-all")
    result.assert_outcomes(passed=1)
    assert "Hello, {name}!" in git(project.root, "show", "agent/T-101:src/hello.py")
    events = [json.loads(line) for line in
              (project.root / "agent-log.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["attempt", "task"]
    assert events[0]["passed"] is True
    assert events[1]["outcome"] == "done"
