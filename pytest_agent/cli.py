"""The ``pytest-agent`` console command (also ``python -m pytest_agent``).

The plugin itself is driven through pytest (``pytest --agent-all``); this command only
holds what does not fit there: ``demo``, the README's first command, which builds a
throw-away git repository with a real bug, its tests and a plan, runs
``pytest --agent-all`` on it with the offline engine, and shows what happened.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

from pytest_agent._types import BRANCH_PREFIX

__all__ = ["DEMO_FILES", "main", "make_demo_repo", "run_demo"]

#: The demo project: a shopping-cart module with a boundary bug, its tests and a plan.
DEMO_FILES: dict[str, str] = {
    "shop/__init__.py": "",
    "shop/cart.py": '''\
        """Totals for a small web shop."""

        from __future__ import annotations

        DISCOUNT_RATE = 0.10


        def subtotal(items: list[tuple[str, float, int]]) -> float:
            """Sum of price * quantity over (name, price, quantity) items."""
            return sum(price * quantity for _name, price, quantity in items)


        def total(items: list[tuple[str, float, int]], threshold: float = 100.0) -> float:
            """The amount due: orders of at least ``threshold`` get the discount."""
            amount = subtotal(items)
            if amount > threshold:
                amount -= amount * DISCOUNT_RATE
            return round(amount, 2)
        ''',
    "tests/__init__.py": "",
    "tests/test_cart.py": '''\
        from shop.cart import subtotal
        from shop.cart import total


        def test_subtotal():
            assert subtotal([("pen", 1.5, 4), ("pad", 3.0, 1)]) == 9.0


        def test_small_order_pays_full_price():
            assert total([("pen", 1.5, 4)]) == 6.0


        def test_large_order_gets_discount():
            assert total([("chair", 150.0, 1)]) == 135.0


        def test_order_of_exactly_the_threshold_gets_discount():
            assert total([("desk", 60.0, 1), ("lamp", 40.0, 1)]) == 90.0
        ''',
    "plans/demo.yaml": """\
        # The team's plan. pytest-agent fills in the harness-owned fields below
        # and keeps these comments as they are.
        tasks:
          - id: SHOP-1
            description: >-
              Customers whose order is exactly the discount threshold are charged
              full price; "at least the threshold" must get the discount.
            files: [shop/cart.py]
            accept_tests:
              - tests/test_cart.py::test_order_of_exactly_the_threshold_gets_discount
              - tests/test_cart.py::test_small_order_pays_full_price
              - tests/test_cart.py::test_large_order_gets_discount
            # harness-owned:
            status: pending
            attempts: 0
        """,
    "pyproject.toml": """\
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    ".gitignore": "__pycache__/\nmemory/\n",
}

_GIT_TIMEOUT = 60.0
_RUN_TIMEOUT = 600.0
_IDENTITY = ("-c", "user.name=pytest-agent demo", "-c", "user.email=demo@localhost")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *_IDENTITY, *args], cwd=root, check=True, capture_output=True, text=True,
        timeout=_GIT_TIMEOUT,
    ).stdout


def make_demo_repo(root: Path) -> Path:
    """Write the demo project into ``root`` (created, must be empty) as a git repository."""
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; the demo needs an empty directory")
    for rel, text in DEMO_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "shop: cart totals with a volume discount")
    return root


def _demo_env() -> dict[str, str]:
    env = dict(os.environ)
    # Only this plugin, whatever else is installed: the demo must behave the same everywhere
    # (and skipping the autoload of unrelated plugins makes every inner test run faster).
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTEST_PLUGINS"] = "pytest_agent.plugin"
    env["AGENT_ENGINE"] = "offline"
    for name in ("AGENT_API_KEY", "OPENAI_API_KEY", "AGENT_BASE_URL", "OPENAI_BASE_URL"):
        env.pop(name, None)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def _section(title: str) -> None:
    print(f"\n{'=' * 8} {title} {'=' * max(0, 70 - len(title))}", flush=True)


def run_demo(root: Path) -> int:
    """Build the demo repository in ``root``, run the agent there and show the outcome."""
    make_demo_repo(root)
    _section(f"a git repository with a bug: {root}")
    print(_git(root, "log", "--oneline").rstrip())
    print((root / "shop/cart.py").read_text(encoding="utf-8").rstrip())
    _section("its tests fail")
    env = _demo_env()
    before = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        check=False, cwd=root, env=env, capture_output=True, text=True, timeout=_RUN_TIMEOUT,
    )
    print("\n".join(before.stdout.rstrip().splitlines()[-4:]))
    _section("the plan: plans/demo.yaml")
    print((root / "plans/demo.yaml").read_text(encoding="utf-8").rstrip())
    _section("pytest --agent-all  (offline engine, no key, no network)")
    sys.stdout.flush()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--agent-all", "-v", "-p", "no:cacheprovider"],
        check=False, cwd=root, env=env, timeout=_RUN_TIMEOUT,
    )
    branches = _git(root, "branch", "--list", f"{BRANCH_PREFIX}*",
                    "--format=%(refname:short)").split()
    for branch in branches:
        _section(f"branch {branch}")
        print(_git(root, "show", "--stat", "--patch", "--format=commit %H%n%n    %s%n",
                   branch).rstrip())
    _section("the updated plan (comments kept)")
    print((root / "plans/demo.yaml").read_text(encoding="utf-8").rstrip())
    _section("git status: only the plan changed in your checkout")
    print(_git(root, "status", "--short").rstrip() or "(clean)")
    print(f"\nThe demo repository stays in {root}: try `git log --all --oneline` there.")
    if run.returncode != 0 or not branches:
        print("\npytest-agent demo: the task did not pass (see above).", file=sys.stderr)
        return run.returncode or 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-agent",
        description="pytest-agent: tasks in plans/*.yaml, fixed and proven fixed by your tests. "
        "Run tasks with `pytest --agent-run ID` or `pytest --agent-all`.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo", help="build a small git repo with a bug and a plan, and fix it offline",
    )
    demo.add_argument(
        "--dir", type=Path, default=None,
        help="an empty (or new) directory for the demo repository; default: a new temp dir",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        root = args.dir or Path(tempfile.mkdtemp(prefix="pytest-agent-demo-"))
        try:
            return run_demo(root.resolve())
        except (FileExistsError, subprocess.SubprocessError, OSError) as exc:
            print(f"pytest-agent demo: {exc}", file=sys.stderr)
            return 2
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse forbids this
