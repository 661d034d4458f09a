"""CI sharding with pytest-split: ``--agent-all --splits N --group i`` partitions the tasks.

Each shard runs in its own clone of the repository, as a CI job does, and writes
its own junit XML, plan results and branches. The child runs load pytest-split
explicitly (plugin autoload is off in this suite, see tests/conftest.py).
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import GitProject
from conftest import git
from test_xdist import CONFTEST
from test_xdist import plan_text
from test_xdist import task_id

from pytest_agent.plan import load_plans

N = 6
CHAIN = range(4, 6)


@pytest.fixture
def repo(project: GitProject, tmp_path_factory: pytest.TempPathFactory,
         monkeypatch: pytest.MonkeyPatch) -> GitProject:
    monkeypatch.setenv("AGENT_TEST_EVENTS", str(tmp_path_factory.mktemp("events")))
    for i in range(N):
        project.write(f"src/m{i}.py", "def value():\n    return -1\n")
        project.write(f"tests/test_m{i}.py",
                      f"from src.m{i} import value\n\n\ndef test_value():\n"
                      f"    assert value() == {i}\n")
    project.write("plans/sprint-12.yaml", plan_text(range(N), CHAIN))
    project.write(".agent.yml", "lint_command: []\nmax_reflexion_retries: 0\n")
    project.write("conftest.py", CONFTEST)
    project.commit_all("six tasks")
    return project


def run_shard(project: GitProject, monkeypatch: pytest.MonkeyPatch, clone: Path,
              group: int, splits: int) -> set[str]:
    subprocess.run(["git", "clone", "-q", str(project.root), str(clone)], check=True,
                   timeout=60)
    monkeypatch.chdir(clone)
    junit = clone / f"junit-{group}.xml"
    result = project.pytester.runpytest(
        "-p", "pytest_split.plugin", "--agent-all", "--splits", str(splits),
        "--group", str(group), f"--junitxml={junit}",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"*Running group {group}/{splits}*"])
    names = {case.get("name", "") for case in ET.parse(junit).iter("testcase")}
    # This shard's own results: its plan statuses and its branches, nothing else.
    tasks = {t.id: t.spec for t in load_plans([clone / "plans/sprint-12.yaml"])}
    assert {tid for tid, spec in tasks.items() if spec.attempts} == names
    assert all(tasks[name].status.value == "done" for name in names)
    branches = git(clone, "branch", "--format=%(refname:short)").split()
    assert sorted(branches) == sorted(["main", *(f"agent/{n}" for n in names)])
    for name in names:
        assert tasks[name].commit == git(clone, "rev-parse", f"agent/{name}").strip()
    return names


def test_two_shards_partition_the_tasks(
    repo: GitProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = run_shard(repo, monkeypatch, tmp_path / "shard1", 1, 2)
    second = run_shard(repo, monkeypatch, tmp_path / "shard2", 2, 2)
    assert first and second
    assert first.isdisjoint(second)
    assert first | second == {task_id(i) for i in range(N)}
    # pytest-split cuts the dependency-ordered list into contiguous runs: the chain
    # (4 -> 5) fell into one shard here; docs/ci.md says what happens when it does not.
    assert {task_id(i) for i in CHAIN} <= second


def test_shards_split_only_tasks_still_to_do(
    repo: GitProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Four tasks already done: the two left are shared out, one per shard.
    plan = repo.root / "plans/sprint-12.yaml"
    blocks = plan.read_text().split("  - id: ")
    for n, block in enumerate(blocks):
        if block.startswith((task_id(0), task_id(1), task_id(4), task_id(5))):
            blocks[n] = block.replace("status: pending", "status: done")
    plan.write_text("  - id: ".join(blocks))
    repo.commit_all("four done")
    first = run_shard(repo, monkeypatch, tmp_path / "shard1", 1, 2)
    second = run_shard(repo, monkeypatch, tmp_path / "shard2", 2, 2)
    assert (first, second) == ({task_id(2)}, {task_id(3)})
