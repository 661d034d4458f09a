"""The plugin as a user has it: loaded through its ``pytest11`` entry point, autoload on.

Every other child run of the suite loads the plugin through ``PYTEST_PLUGINS`` with
autoload off (fast); these runs do neither, so a broken entry point fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git

import pytest_agent.plugin
from pytest_agent.plan import load_plans


def autoload_env() -> dict[str, str]:
    """The test environment, with plugin autoload as pytest has it by default."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS")}


def run_pytest(cwd: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=autoload_env(), capture_output=True, text=True,
                          timeout=300, check=False)
    return f"{proc.returncode}\n{proc.stdout}{proc.stderr}"


def test_registered_through_the_entry_point(tmp_path: Path) -> None:
    shown = run_pytest(tmp_path, "-VV")
    # pytest lists a plugin with its distribution only when an entry point loaded it.
    plugin_file = Path(pytest_agent.plugin.__file__)
    assert f"pytest-agent-0.1.0 at {plugin_file}" in shown, shown


def test_help_shows_the_agent_options(tmp_path: Path) -> None:
    shown = run_pytest(tmp_path, "--help")
    assert shown.startswith("0\n"), shown
    for option in ("--agent-run", "--agent-all", "--agent-engine", "--agent-report"):
        assert f"  {option}" in shown, option


def test_a_plan_runs(project: GitProject) -> None:
    project.write("conftest.py", textwrap.dedent(f"""\
        def pytest_agent_localize(task, workspace, baseline, settings):
            return (), ""

        def pytest_agent_propose_diff(task, context):
            return {GREET_DIFF!r}
        """))
    project.commit_all("proposer")
    shown = run_pytest(project.root, "--agent-all")
    assert shown.startswith("0\n"), shown
    assert "1 passed" in shown
    spec = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
    assert (spec.status.value, spec.branch) == ("done", "agent/T-101")
    assert spec.commit == git(project.root, "rev-parse", "agent/T-101").strip()

