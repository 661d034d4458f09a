"""The README's first command: ``python -m pytest_agent demo``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git

from pytest_agent.cli import main
from pytest_agent.cli import make_demo_repo
from pytest_agent.plan import load_plans

ACCEPT = [
    "tests/test_cart.py::test_order_of_exactly_the_threshold_gets_discount",
    "tests/test_cart.py::test_small_order_pays_full_price",
    "tests/test_cart.py::test_large_order_gets_discount",
]


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        check=False, cwd=root, capture_output=True, text=True, timeout=120,
    )


def test_the_demo_bug_is_real_and_its_fix_is_known(tmp_path: Path) -> None:
    root = make_demo_repo(tmp_path / "demo")
    assert git(root, "status", "--short") == ""
    tasks = load_plans([root / "plans/demo.yaml"])
    assert [t.spec.accept_tests for t in tasks] == [ACCEPT]
    assert _pytest(root, ACCEPT[0]).returncode == 1
    cart = root / "shop/cart.py"
    cart.write_text(cart.read_text().replace("amount > threshold", "amount >= threshold"))
    assert _pytest(root).returncode == 0


def test_demo_refuses_a_non_empty_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["demo", "--dir", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_demo_fixes_the_bug_offline(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    # As on a fresh machine: git knows no user (the demo and the harness commit as
    # pytest-agent then).
    (tmp_path / "no-identity.gitconfig").write_text("")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(tmp_path / "no-identity.gitconfig")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest_agent", "demo", "--dir", str(root)],
        check=False, capture_output=True, text=True, timeout=300, env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "plans/demo.yaml::SHOP-1 PASSED" in run.stdout
    assert "branch agent/SHOP-1" in run.stdout
    # The fix is on the task's branch, committed; the user's branch still has the bug.
    fixed = git(root, "show", "agent/SHOP-1:shop/cart.py")
    author = git(root, "log", "-1", "--format=%an <%ae>", "agent/SHOP-1").strip()
    assert author == "pytest-agent <pytest-agent@localhost>"
    assert "amount >= threshold" in fixed
    assert "amount > threshold" in (root / "shop/cart.py").read_text()
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    spec = load_plans([root / "plans/demo.yaml"])[0].spec
    assert spec.status.value == "done"
    assert spec.branch == "agent/SHOP-1"
    assert spec.commit == git(root, "rev-parse", "agent/SHOP-1").strip()
    # The user's comments in the plan survive the write-back.
    assert "# and keeps these comments as they are." in (root / "plans/demo.yaml").read_text()
