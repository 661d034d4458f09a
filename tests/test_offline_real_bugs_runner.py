"""The real-bug runner's held-out check (benchmarks/real_bugs/run.py) on a small git repo."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from conftest import benchmark_script
from conftest import git

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "real_bugs"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return benchmark_script("real_bugs/run.py", "_real_bugs_run")  # it adds its own dir


BUGGY = "def inc(x):\n    return x + 2\n"
FIX = """\
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def inc(x):
-    return x + 2
+    return x + 1
"""
TESTS = "from calc import inc\n\n\ndef test_inc():\n    assert inc(1) == 2\n"
#: A stress test that runs until its per-test timeout (60 s) at the developer's fix too.
STRESS = "import time\n\n\ndef test_stress():\n    time.sleep(50)\n"


def _repo(root: Path, repair: str) -> Path:
    root.mkdir()
    (root / "tests").mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    (root / "tests" / "test_zz_stress.py").write_text(STRESS)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=a@b.c", "-c", "user.name=a", "add", "calc.py", "tests")
    git(root, "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "buggy")
    (root / "fix.diff").write_text(FIX)  # untracked, as the materializer leaves it
    git(root, "checkout", "-qb", "agent/T")
    (root / "calc.py").write_text(repair)
    git(root, "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qam", "repair")
    git(root, "checkout", "-q", "main")
    return root


def test_the_held_out_check_is_cut_at_its_budget_and_says_so(
        runner: ModuleType, tmp_path: Path) -> None:
    root = _repo(tmp_path / "bug", "def inc(x):\n    return 1 + x\n")
    passed, cut = runner.heldout(root, {"heldout_tests": ["tests/test_calc.py"]}, "agent/T",
                                 budget=3.0)
    # The stress test never finished: the check compared the tests both runs finished
    # (the outcomes of a run cut at its budget are kept).
    assert cut
    assert passed
