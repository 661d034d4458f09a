"""The plugin's surface: inert without options, usage errors, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git
from conftest import wait_until

from pytest_agent.plan import load_plans
from pytest_agent.plugin import INI_SETTINGS
from pytest_agent.settings import AgentSettings

HEAVY = ("openai", "git", "coverage", "unidiff", "ruamel", "pydantic", "filelock",
         "pytest_agent.session", "pytest_agent.engines", "pytest_agent._types", "yaml")


class TestInert:
    def test_ordinary_run_imports_nothing_heavy(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
        script = textwrap.dedent(f"""\
            import sys
            import pytest
            code = pytest.main(["-q", "-p", "no:cacheprovider", "test_plain.py"])
            assert code == 0, code
            assert "pytest_agent.plugin" in sys.modules, "plugin not loaded"
            heavy = [m for m in sys.modules
                     if any(m == h or m.startswith(h + ".") for h in {HEAVY!r})]
            print("HEAVY:", heavy)
            """)
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
        # Other installed plugins may import what they like; measure ours alone.
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        env["PYTEST_PLUGINS"] = "pytest_agent.plugin"
        proc = subprocess.run([sys.executable, "-c", script], cwd=pytester.path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "1 passed" in proc.stdout
        assert "HEAVY: []" in proc.stdout

    def test_plugin_collects_nothing_without_options(self, project: GitProject) -> None:
        result = project.pytester.runpytest()
        # The project's own test module is collected as usual (it fails to import,
        # greet() does not exist yet); the plan is not collected.
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*ERROR collecting tests/test_hello.py*"])
        assert "T-101" not in result.stdout.str()

    def test_disabled_with_p_no_agent(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Through the installed pytest11 entry point, as a user has it.
        monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        monkeypatch.delenv("PYTEST_PLUGINS")
        result = project.pytester.runpytest("-p", "no:agent", "--agent-all")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*unrecognized arguments: --agent-all*"])

    def test_ini_settings_list_matches_the_model(self) -> None:
        excluded = {"api_key", "prices"}  # secrets and mappings are not ini material
        assert set(INI_SETTINGS) == set(AgentSettings.model_fields) - excluded


class TestUsageErrors:
    def test_unknown_id_lists_known_ids(self, project: GitProject) -> None:
        result = project.pytester.runpytest("--agent-run", "T-999")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*unknown task id(s) T-999*known ids: T-101*"])

    @pytest.mark.parametrize(
        ("plan", "expected"),
        [
            ("tasks:\n  - id: T-1\n    description: x\n",
             ("sprint-12.yaml:2: tasks[0] (T-1).accept_tests: required field is missing",)),
            ("tasks:\n  - id: T 1\n    description: x\n    accept_tests: [a.py::b]\n",
             ("sprint-12.yaml:2: tasks[0] (T 1).id: must match",)),
            ("tasks:\n  - id: T-1\n    description: x\n    accept_tests: []\n",
             ("sprint-12.yaml:4: tasks[0] (T-1).accept_tests: ", "at least 1 item")),
            ("tasks:\n  - id: T-1\n    description: x\n    accept_tests: [a.py::b]\n"
             "    accept_test: [c]\n",
             ("sprint-12.yaml:5: tasks[0] (T-1).accept_test: unknown field",)),
            ("tasks:\n  - id: T-1\n    description: x\n    accept_tests: [a.py::b]\n"
             "    status: finished\n",
             ("sprint-12.yaml:5: tasks[0] (T-1).status: ", "'pending'")),
            ("tasks:\n  - id: T-1\n    description: [x\n",
             ("sprint-12.yaml:", "not valid YAML")),
            ("tasks:\n  - id: T-1\n    description: x\n    accept_tests: [a.py::b]\n"
             "  - id: T-1\n    description: y\n    accept_tests: [a.py::b]\n",
             ("sprint-12.yaml:5: tasks[1].id: duplicate id 'T-1'",)),
            ("tasks:\n  - id: T-1\n    description: x\n    accept_tests: [a.py::b]\n"
             "    depends_on: [T-2]\n",
             ("sprint-12.yaml:2: tasks[0].depends_on: unknown task id 'T-2'",)),
        ],
    )
    def test_bad_plan_names_file_line_field(
        self, project: GitProject, plan: str, expected: tuple[str, ...]
    ) -> None:
        project.write("plans/sprint-12.yaml", plan)
        project.commit_all("bad plan")
        result = project.pytester.runpytest("--agent-all")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        err = result.stderr.str()
        for part in expected:
            assert part in err
        assert len([ln for ln in err.splitlines() if "sprint-12.yaml" in ln]) == 1
        # The run stopped before touching anything.
        assert project.branches() == ["main"]
        assert (project.root / "plans/sprint-12.yaml").read_text() == plan
        assert not (project.root / "memory").exists()

    def test_bad_setting_names_source_and_field(self, project: GitProject) -> None:
        project.write(".agent.yml", "max_reflexion_retries: many\n")
        result = project.pytester.runpytest("--agent-all")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*.agent.yml: setting 'max_reflexion_retries'*integer*"])

    def test_not_a_git_repository(self, pytester: pytest.Pytester) -> None:
        pytester.makefile(".yaml", **{"plans/p": "tasks: []\n"})
        pytester.makeini("[pytest]\n")
        result = pytester.runpytest("--agent-all")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*is not inside a git repository*"])

    def test_no_plan_files(self, project: GitProject) -> None:
        result = project.pytester.runpytest("--agent-all", "--agent-plan", "elsewhere")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*no plan files found*elsewhere*"])


def test_killed_run_leaves_parseable_plan_and_next_run_recovers(project: GitProject) -> None:
    project.write("conftest.py", textwrap.dedent(f"""\
        import os
        import time

        GREET_DIFF = {GREET_DIFF!r}

        def pytest_agent_propose_diff(task, context):
            if os.environ.get("HANG_PROPOSER"):
                time.sleep(600)
            return GREET_DIFF
        """))
    project.commit_all("proposer")
    env = {**os.environ, "HANG_PROPOSER": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--agent-all", "-p", "no:cacheprovider"],
        cwd=project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    plan = project.root / "plans/sprint-12.yaml"
    try:
        wait_until(lambda: "in_progress" in plan.read_text() and bool(project.worktrees()[1:]),
                   "the run starting the task")
        time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # Killed mid-task: the plan parses, the task reads as pending, leftovers exist.
    task = load_plans([plan])[0]
    assert task.spec.status.value == "in_progress"
    assert task.status.value == "pending"
    assert "agent/T-101" in project.branches()
    # The next run cleans the leftovers up and does the task.
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(passed=1)
    assert project.worktrees() == [str(project.root)]
    assert load_plans([plan])[0].spec.status.value == "done"
    assert git(project.root, "rev-list", "--count", "main..agent/T-101").strip() == "1"
