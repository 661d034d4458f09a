"""The patch engine (issue #4): formats, strictness levels, rules, atomicity, line endings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent.patch import Limits
from pytest_agent.patch import PatchPlan
from pytest_agent.patch import apply_proposal
from pytest_agent.patch import plan_patch

APP = """\
import os


def add(a, b):
    total = a + b
    return total


def sub(a, b):
    return a - b
"""


def make_task(*, files: tuple[str, ...] = (), allow: bool = False) -> Task:
    return Task(id="T-1", description="", accept_tests=("tests/test_app.py::test_add",),
                files=files, allow_test_edits=allow)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text("def test_add():\n    assert True\n")
    return tmp_path


def apply(root: Path, text: str, **kw: object) -> Applied:
    task = kw.pop("task", make_task())
    assert isinstance(task, Task)
    return apply_proposal(root, text, task=task, **kw)  # type: ignore[arg-type]


def plan(root: Path, text: str, task: Task | None = None) -> PatchPlan:
    got = plan_patch(root, text, task=task or make_task())
    assert isinstance(got, PatchPlan), got
    return got


def refused(root: Path, text: str, rule: str, **kw: object) -> Applied:
    got = apply(root, text, **kw)
    assert not got.ok
    assert got.rule == rule, got.reason
    assert got.changed_files == ()
    return got


CHANGE_ADD = """\
--- a/app.py
+++ b/app.py
@@ -4,3 +4,3 @@
 def add(a, b):
-    total = a + b
+    total = a + b + 1
     return total
"""
ADDED = APP.replace("total = a + b\n", "total = a + b + 1\n")


class TestFormats:
    def test_well_formed_unified_diff(self, repo: Path) -> None:
        got = apply(repo, CHANGE_ADD)
        assert got.ok and got.changed_files == ("app.py",)
        assert (repo / "app.py").read_text() == ADDED

    def test_fenced_with_prose(self, repo: Path) -> None:
        text = f"Here is the fix:\n\n```diff\n{CHANGE_ADD}```\n\nIt adds one.\n"
        assert apply(repo, text).ok
        assert (repo / "app.py").read_text() == ADDED

    def test_wrong_counts_and_no_line_numbers(self, repo: Path) -> None:
        wrong = CHANGE_ADD.replace("@@ -4,3 +4,3 @@", "@@ -4,9 +4,1 @@")
        assert plan(repo, wrong).changes[0].after == ADDED.encode()
        bare = CHANGE_ADD.replace("@@ -4,3 +4,3 @@", "@@ ... @@")
        assert plan(repo, bare).changes[0].after == ADDED.encode()

    def test_context_line_without_its_space(self, repo: Path) -> None:
        text = CHANGE_ADD.replace(" def add(a, b):", "def add(a, b):")
        assert plan(repo, text).changes[0].after == ADDED.encode()

    def test_no_prefixes(self, repo: Path) -> None:
        text = CHANGE_ADD.replace("a/app.py", "app.py").replace("b/app.py", "app.py")
        assert apply(repo, text).ok
        assert (repo / "app.py").read_text() == ADDED

    def test_directory_named_a_is_not_a_prefix(self, tmp_path: Path) -> None:
        (tmp_path / "a").mkdir()
        (tmp_path / "a" / "x.py").write_text("x = 1\n")
        text = "--- a/x.py\n+++ a/x.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
        assert apply(tmp_path, text).changed_files == ("a/x.py",)

    def test_headers_missing_file_named_in_prose(self, repo: Path) -> None:
        body = CHANGE_ADD.split("\n", 2)[2]
        got = apply(repo, f"In `app.py`, change add:\n\n{body}")
        assert got.ok and got.changed_files == ("app.py",)

    def test_headers_missing_single_task_file(self, repo: Path) -> None:
        body = CHANGE_ADD.split("\n", 2)[2]
        assert apply(repo, body, task=make_task(files=("app.py",))).ok
        assert (repo / "app.py").read_text() == ADDED

    def test_headers_missing_and_no_file_named(self, repo: Path) -> None:
        body = CHANGE_ADD.split("\n", 2)[2]
        got = refused(repo, body, "parse-error", task=make_task(files=("a.py", "b.py")))
        assert "header" in got.reason

    def test_model_names_file_without_its_directory(self, tmp_path: Path) -> None:
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "app.py").write_text(APP)
        got = apply(tmp_path, CHANGE_ADD, task=make_task(files=("src/app.py",)))
        assert got.changed_files == ("src/app.py",)

    def test_git_diff_with_index_lines(self, repo: Path) -> None:
        text = "diff --git a/app.py b/app.py\nindex 83db48f..bf269f4 100644\n" + CHANGE_ADD
        assert apply(repo, text).ok

    def test_two_hunks_and_two_files(self, repo: Path) -> None:
        (repo / "other.py").write_text("x = 1\n")
        text = CHANGE_ADD + (
            "@@ -9,2 +9,2 @@\n def sub(a, b):\n-    return a - b\n+    return b - a\n"
            "--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
        )
        got = apply(repo, text)
        assert got.changed_files == ("app.py", "other.py")
        assert (repo / "app.py").read_text() == ADDED.replace("a - b", "b - a")
        assert (repo / "other.py").read_text() == "x = 2\n"

    def test_new_file_in_new_directory(self, repo: Path) -> None:
        text = "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+def f():\n+    return 1\n"
        got = apply(repo, text)
        assert got.changed_files == ("pkg/new.py",)
        assert (repo / "pkg" / "new.py").read_text() == "def f():\n    return 1\n"

    def test_new_file_that_exists_is_refused(self, repo: Path) -> None:
        text = "--- /dev/null\n+++ b/app.py\n@@ -0,0 +1 @@\n+x = 1\n"
        assert "already exists" in refused(repo, text, "hunk-failed").reason

    def test_deleted_file(self, repo: Path) -> None:
        (repo / "old.py").write_text("a = 1\nb = 2\n")
        text = "--- a/old.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a = 1\n-b = 2\n"
        assert apply(repo, text).changed_files == ("old.py",)
        assert not (repo / "old.py").exists()

    def test_git_deleted_file_mode_without_hunks(self, repo: Path) -> None:
        (repo / "old.py").write_text("a = 1\n")
        text = "diff --git a/old.py b/old.py\ndeleted file mode 100644\nindex 1..0\n"
        assert apply(repo, text).ok
        assert not (repo / "old.py").exists()

    def test_rename_is_refused_with_advice(self, repo: Path) -> None:
        text = "diff --git a/app.py b/main.py\nsimilarity index 100%\nrename from app.py\n" \
               "rename to main.py\n"
        assert "/dev/null" in refused(repo, text, "parse-error").reason

    def test_search_replace(self, repo: Path) -> None:
        text = (
            "app.py\n```python\n<<<<<<< SEARCH\n    total = a + b\n=======\n"
            "    total = a + b + 1\n>>>>>>> REPLACE\n```\n"
        )
        assert apply(repo, text).ok
        assert (repo / "app.py").read_text() == ADDED

    def test_search_replace_blocks_apply_in_order_across_files(self, repo: Path) -> None:
        (repo / "b.py").write_text("y = 1\n")
        text = (
            "app.py\n<<<<<<< SEARCH\n    total = a + b\n=======\n    total = a + b + 1\n"
            ">>>>>>> REPLACE\n\n<<<<<<< SEARCH\n    total = a + b + 1\n=======\n"
            "    total = a + b + 2\n>>>>>>> REPLACE\n\nb.py\n<<<<<<< SEARCH\ny = 1\n=======\n"
            "y = 3\n>>>>>>> REPLACE\n"
        )
        got = apply(repo, text)
        assert got.changed_files == ("app.py", "b.py")
        assert "a + b + 2" in (repo / "app.py").read_text()
        assert (repo / "b.py").read_text() == "y = 3\n"

    def test_search_replace_empty_search_creates_a_file(self, repo: Path) -> None:
        text = "new.py\n<<<<<<< SEARCH\n=======\nz = 1\n>>>>>>> REPLACE\n"
        assert apply(repo, text).changed_files == ("new.py",)
        assert (repo / "new.py").read_text() == "z = 1\n"
        text = "app.py\n<<<<<<< SEARCH\n=======\nz = 1\n>>>>>>> REPLACE\n"
        refused(repo, text, "hunk-failed")

    def test_search_replace_without_divider(self, repo: Path) -> None:
        text = "app.py\n<<<<<<< SEARCH\n    total = a + b\n>>>>>>> REPLACE\n"
        assert "=======" in refused(repo, text, "parse-error").reason

    def test_whole_file(self, repo: Path) -> None:
        text = "Here is the whole file.\n\napp.py\n```python\n" + ADDED + "```\n"
        assert apply(repo, text).ok
        assert (repo / "app.py").read_text() == ADDED
        text = "**`pkg/made.py`**:\n```python\nx = 1\n```\n"
        assert apply(repo, text).changed_files == ("pkg/made.py",)

    def test_whole_file_with_elision_is_refused(self, repo: Path) -> None:
        text = "app.py\n```python\nimport os\n# ... rest of the file unchanged\n```\n"
        assert "elides" in refused(repo, text, "parse-error").reason

    def test_prose_only(self, repo: Path) -> None:
        assert "unified diff" in refused(repo, "I think add is fine.", "parse-error").reason

    def test_empty(self, repo: Path) -> None:
        refused(repo, "  \n", "empty")


class TestLevels:
    def level(self, root: Path, text: str) -> str:
        return plan(root, text).hunks[0].level

    def test_exact(self, repo: Path) -> None:
        assert self.level(repo, CHANGE_ADD) == "exact"

    def test_drift_nearest_match_wins(self, tmp_path: Path) -> None:
        block = "def f():\n    x = 1\n    return x\n"
        (tmp_path / "m.py").write_text(block + "\n" * 30 + block + "\n" * 30 + block)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -30,3 +30,3 @@\n def f():\n-    x = 1\n+    x = 2\n" \
               "     return x\n"
        got = plan(tmp_path, diff)
        assert got.hunks[0].level == "drift" and got.hunks[0].line == 34
        assert got.changes[0].after is not None
        lines = got.changes[0].after.decode().splitlines()
        assert [i + 1 for i, line in enumerate(lines) if line == "    x = 2"] == [35]

    def test_drift_not_clearly_nearer_is_ambiguous(self, tmp_path: Path) -> None:
        block = "def f():\n    x = 1\n    return x\n"
        (tmp_path / "m.py").write_text(block + "pass\n" * 20 + block + "pass\n" * 10 + block)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -30,3 +30,3 @@\n def f():\n-    x = 1\n+    x = 2\n" \
               "     return x\n"
        assert "does not clearly point" in refused(tmp_path, diff, "hunk-failed").reason

    def test_exact_far_away_but_stated_place_fits_is_ambiguous(self, tmp_path: Path) -> None:
        near = "def lock(self):\n    if not self.locked:\n        self.f = open(p)\n" \
               "        lock_file(self.f)\n        self.locked = True\n"
        far = "def lock(self):\n    if not self.locked:\n        lock_file(self.f)\n" \
              "        self.locked = True\n"
        (tmp_path / "m.py").write_text(far + "pass\n" * 40 + near)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -45,4 +45,5 @@\n def lock(self):\n" \
               "     if not self.locked:\n+        log()\n         lock_file(self.f)\n" \
               "         self.locked = True\n"
        assert "nearly as well" in refused(tmp_path, diff, "hunk-failed").reason

    def test_fuzzy_far_away_but_stated_place_fits_is_ambiguous(self, tmp_path: Path) -> None:
        # Found by the patch benchmark (stdlib tracemalloc: Statistic / StatisticDiff): the
        # model dropped a context line of the block it meant, and a look-alike block above
        # fitted fuzzily better; the insertion landed in the wrong __init__.
        first = ("class Stat:\n    def __init__(self, tb, size, count):\n"
                 "        self.tb = tb\n        self.size = size\n        self.count = count\n\n")
        second = ("class StatDiff:\n"
                  "    def __init__(self, tb, size, size_diff, count, count_diff):\n"
                  "        self.tb = tb\n        self.size = size\n"
                  "        self.size_diff = size_diff\n        self.count = count\n"
                  "        self.count_diff = count_diff\n\n")
        (tmp_path / "m.py").write_text(first + "pass\n" * 30 + second)
        diff = ("--- a/m.py\n+++ b/m.py\n@@ -38,5 +38,6 @@\n"
                "     def __init__(self, tb, size, size_diff, count, count_diff):\n"
                "         self.tb = tb\n+        mark = 1\n         self.size = size\n"
                "         self.count = count\n \n")
        reason = refused(tmp_path, diff, "hunk-failed").reason
        assert "lines 2-6 best" in reason and "stated place, lines 38-44" in reason

    def test_drift_equidistant_is_ambiguous(self, tmp_path: Path) -> None:
        block = "def f():\n    x = 1\n    return x\n"
        (tmp_path / "m.py").write_text(block + "pass\n" * 5 + block)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -5,3 +5,3 @@\n def f():\n-    x = 1\n+    x = 2\n" \
               "     return x\n"
        assert "ambiguous" in refused(tmp_path, diff, "hunk-failed").reason

    def test_no_line_number_and_two_places_is_ambiguous(self, tmp_path: Path) -> None:
        block = "def f():\n    x = 1\n    return x\n"
        (tmp_path / "m.py").write_text(block + "\n" + block)
        diff = "--- a/m.py\n+++ b/m.py\n@@ @@\n def f():\n-    x = 1\n+    x = 2\n"
        got = refused(tmp_path, diff, "hunk-failed")
        assert "ambiguous" in got.reason and "lines 1, 5" in got.reason
        assert "Lines 5-6 of the file" in got.reason and "4 | \n5 | def f():" in got.reason
        sr = "m.py\n<<<<<<< SEARCH\n    x = 1\n=======\n    x = 2\n>>>>>>> REPLACE\n"
        refused(tmp_path, sr, "hunk-failed")
        assert (tmp_path / "m.py").read_text() == block + "\n" + block

    def test_whitespace_reindents_the_replacement(self, repo: Path) -> None:
        dedented = (
            "--- a/app.py\n+++ b/app.py\n@@ -4,3 +4,4 @@\ndef add(a,  b):\n-total = a + b\n"
            "+total = a + b\n+if total < 0:\n+    total = 0\nreturn total\n"
        ).replace("\ndef add", "\n def add").replace("\nreturn", "\n return")
        got = plan(repo, dedented)
        assert got.hunks[0].level == "whitespace"
        assert got.changes[0].after == APP.replace(
            "    total = a + b\n",
            "    total = a + b\n    if total < 0:\n        total = 0\n").encode()

    def test_whitespace_inside_lines(self, repo: Path) -> None:
        text = CHANGE_ADD.replace(" def add(a, b):", " def add(a,b):   ")
        got = plan(repo, text)
        assert got.hunks[0].level == "whitespace"
        assert got.changes[0].after == ADDED.encode()

    def test_fuzzy_paraphrased_context(self, repo: Path) -> None:
        text = CHANGE_ADD.replace(" def add(a, b):", " def add(a, c):")
        got = plan(repo, text)
        assert got.hunks[0].level == "fuzzy" and got.hunks[0].score >= 0.8
        assert got.changes[0].after == ADDED.encode()

    def test_fuzzy_missing_context_line(self, tmp_path: Path) -> None:
        src = "def f(x):\n    a = 1\n    b = 2\n    c = 3\n    d = 4\n    return a\n"
        (tmp_path / "m.py").write_text(src)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -1,6 +1,6 @@\n def f(x):\n     a = 1\n     b = 2\n" \
               "-    d = 4\n+    d = 5\n     return a\n"
        got = plan(tmp_path, diff)
        assert got.hunks[0].level == "fuzzy"
        assert got.changes[0].after == src.replace("d = 4", "d = 5").encode()

    def test_insertion_next_to_omitted_line_is_ambiguous(self, tmp_path: Path) -> None:
        src = "def f(x):\n    a = 1\n    b = 2\n    c = 3\n    d = 4\n    return a\n"
        (tmp_path / "m.py").write_text(src)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -1,6 +1,7 @@\n def f(x):\n     a = 1\n     b = 2\n" \
               "+    new = 0\n     d = 4\n     return a\n"
        assert "unclear" in refused(tmp_path, diff, "hunk-failed").reason

    def test_weak_match_is_refused_with_the_closest_region(self, repo: Path) -> None:
        text = "--- a/app.py\n+++ b/app.py\n@@ -4,3 +4,3 @@\n def add(x, y, z):\n" \
               "-    result = x * y\n+    result = x * y * z\n     return result\n"
        got = refused(repo, text, "hunk-failed")
        assert "@@ -4 @@" in got.reason  # the hunk
        assert "5 |     total = a + b" in got.reason  # the closest region, numbered
        assert (repo / "app.py").read_text() == APP

    def test_removed_lines_must_be_found(self, repo: Path) -> None:
        text = CHANGE_ADD.replace("-    total = a + b", "-    totl = a + b")
        refused(repo, text, "hunk-failed")

    def test_fuzzy_ambiguity_is_refused(self, tmp_path: Path) -> None:
        block = "def f(a):\n    x = a + 1\n    y = x * 2\n    return y\n"
        (tmp_path / "m.py").write_text(block + "\n" * 20 + block)
        diff = "--- a/m.py\n+++ b/m.py\n@@ @@\n def f(b):\n     x = a + 1\n-    y = x * 2\n" \
               "+    y = x * 3\n     return y\n"
        assert "ambiguous" in refused(tmp_path, diff, "hunk-failed").reason

    def test_timeout(self, repo: Path) -> None:
        text = CHANGE_ADD.replace(" def add(a, b):", " def add(a, c):")  # needs fuzzy search
        refused(repo, text, "timeout", timeout=-1.0)

    def test_no_op_is_refused(self, repo: Path) -> None:
        text = CHANGE_ADD.replace("+    total = a + b + 1", "+    total = a + b")
        refused(repo, text, "no-op")
        refused(repo, "app.py\n```python\n" + APP + "```\n", "no-op")

    def test_already_applied_is_said(self, repo: Path) -> None:
        assert apply(repo, CHANGE_ADD).ok
        assert "already in the file" in refused(repo, CHANGE_ADD, "hunk-failed").reason

    def test_overlapping_hunks_are_refused(self, repo: Path) -> None:
        text = CHANGE_ADD + "@@ -5,1 +5,1 @@\n-    total = a + b\n+    total = 0\n"
        assert "overlap" in refused(repo, text, "hunk-failed").reason


class TestRules:
    def test_absolute_path(self, repo: Path) -> None:
        refused(repo, "--- /dev/null\n+++ /tmp/evil.py\n@@ -0,0 +1 @@\n+x\n", "absolute-path")
        refused(repo, CHANGE_ADD.replace("a/app.py", "C:\\app.py"), "absolute-path")

    def test_path_escape(self, repo: Path) -> None:
        text = CHANGE_ADD.replace("a/app.py", "a/../app.py").replace("b/app.py", "b/../app.py")
        refused(repo, text, "path-escape")
        text = "..\\x.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
        refused(repo, text, "path-escape")

    def test_git_dir(self, repo: Path) -> None:
        (repo / ".git").mkdir()
        (repo / ".git" / "config").write_text("[core]\n")
        refused(repo, "--- a/.git/config\n+++ b/.git/config\n@@ -1 +1 @@\n-[core]\n+[x]\n",
                "git-dir")
        refused(repo, "--- /dev/null\n+++ b/sub/.GIT/hooks/x\n@@ -0,0 +1 @@\n+x\n", "git-dir")
        assert (repo / ".git" / "config").read_text() == "[core]\n"

    def test_symlink_escape(self, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
        outside = tmp_path_factory.mktemp("outside")
        (outside / "app.py").write_text(APP)
        os.symlink(outside, repo / "linkdir")
        os.symlink(outside / "app.py", repo / "link.py")
        text = CHANGE_ADD.replace("app.py", "linkdir/app.py")
        refused(repo, text, "symlink-escape")
        refused(repo, CHANGE_ADD.replace("app.py", "link.py"), "symlink-escape")
        refused(repo, "--- /dev/null\n+++ b/linkdir/new.py\n@@ -0,0 +1 @@\n+x\n",
                "symlink-escape")
        assert (outside / "app.py").read_text() == APP
        assert not (outside / "new.py").exists()

    def test_symlink_inside_is_followed(self, repo: Path) -> None:
        os.symlink(repo / "app.py", repo / "alias.py")
        assert apply(repo, CHANGE_ADD.replace("app.py", "alias.py")).ok
        assert (repo / "alias.py").is_symlink()
        assert (repo / "app.py").read_text() == ADDED

    def test_deleting_a_symlink_deletes_the_link(self, repo: Path) -> None:
        os.symlink(repo / "app.py", repo / "alias.py")
        text = "--- a/alias.py\n+++ /dev/null\n@@ -1,10 +0,0 @@\n" + "".join(
            f"-{line}\n" for line in APP.splitlines())
        assert apply(repo, text).changed_files == ("alias.py",)
        assert not (repo / "alias.py").is_symlink() and (repo / "app.py").read_text() == APP

    def test_test_edit(self, repo: Path) -> None:
        text = "--- a/tests/test_app.py\n+++ b/tests/test_app.py\n@@ -1,2 +1,2 @@\n" \
               " def test_add():\n-    assert True\n+    pass\n"
        refused(repo, text, "test-edit")
        assert apply(repo, text, task=make_task(allow=True)).ok

    def test_binary(self, repo: Path) -> None:
        refused(repo, "diff --git a/x.bin b/x.bin\nGIT binary patch\nliteral 1\nA\n", "binary")
        refused(repo, "Binary files a/x.bin and b/x.bin differ\n", "binary")
        (repo / "data.txt").write_bytes(b"a\x00b\n")
        refused(repo, "--- a/data.txt\n+++ b/data.txt\n@@ -1 +1 @@\n-a\n+b\n", "binary")

    def test_too_large(self, repo: Path) -> None:
        refused(repo, CHANGE_ADD, "too-large", limits=Limits(max_diff_bytes=50))
        refused(repo, CHANGE_ADD, "too-large", limits=Limits(max_file_bytes=50))
        two = CHANGE_ADD + "--- /dev/null\n+++ b/n.py\n@@ -0,0 +1 @@\n+x\n"
        refused(repo, two, "too-large", limits=Limits(max_files=1))

    def test_not_a_file(self, repo: Path) -> None:
        refused(repo, "--- a/tests\n+++ b/tests\n@@ -1 +1 @@\n-a\n+b\n", "not-a-file")

    def test_missing_file(self, repo: Path) -> None:
        assert "does not exist" in refused(
            repo, CHANGE_ADD.replace("app.py", "nope.py"), "hunk-failed").reason


class TestAtomicity:
    def test_a_failing_hunk_in_a_later_file_writes_nothing(self, repo: Path) -> None:
        (repo / "other.py").write_text("x = 1\n")
        text = CHANGE_ADD + "--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-nothing here\n+x\n"
        refused(repo, text, "hunk-failed")
        assert (repo / "app.py").read_text() == APP
        assert (repo / "other.py").read_text() == "x = 1\n"

    def test_a_rule_in_a_later_file_writes_nothing(self, repo: Path) -> None:
        text = CHANGE_ADD + "--- /dev/null\n+++ b/../escape.py\n@@ -0,0 +1 @@\n+x\n"
        refused(repo, text, "path-escape")
        assert (repo / "app.py").read_text() == APP

    def test_plan_writes_nothing(self, repo: Path) -> None:
        got = plan(repo, CHANGE_ADD + "--- /dev/null\n+++ b/n.py\n@@ -0,0 +1 @@\n+x\n")
        assert got.changed_files == ("app.py", "n.py")
        assert [c.action for c in got.changes] == ["modify", "create"]
        assert (repo / "app.py").read_text() == APP and not (repo / "n.py").exists()

    def test_mode_is_kept(self, repo: Path) -> None:
        os.chmod(repo / "app.py", 0o755)
        assert apply(repo, CHANGE_ADD).ok
        assert (repo / "app.py").stat().st_mode & 0o777 == 0o755


class TestLineEndingsAndEncodings:
    def test_crlf_file_stays_crlf(self, repo: Path) -> None:
        (repo / "app.py").write_bytes(APP.replace("\n", "\r\n").encode())
        assert apply(repo, CHANGE_ADD).ok
        assert (repo / "app.py").read_bytes() == ADDED.replace("\n", "\r\n").encode()

    def test_crlf_diff_on_lf_file(self, repo: Path) -> None:
        assert apply(repo, CHANGE_ADD.replace("\n", "\r\n")).ok
        assert (repo / "app.py").read_bytes() == ADDED.encode()

    def test_mixed_endings_are_kept_line_by_line(self, tmp_path: Path) -> None:
        (tmp_path / "m.py").write_bytes(b"a = 1\r\nb = 2\nc = 3\r\nd = 4\r\n")
        diff = "--- a/m.py\n+++ b/m.py\n@@ -1,4 +1,4 @@\n a = 1\n b = 2\n-c = 3\n+c = 30\n d = 4\n"
        assert apply(tmp_path, diff).ok
        assert (tmp_path / "m.py").read_bytes() == b"a = 1\r\nb = 2\nc = 30\r\nd = 4\r\n"

    def test_no_newline_at_end_of_file(self, tmp_path: Path) -> None:
        (tmp_path / "m.py").write_bytes(b"a = 1\nb = 2")
        diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n" \
               "\\ No newline at end of file\n+b = 3\n\\ No newline at end of file\n"
        assert apply(tmp_path, diff).ok
        assert (tmp_path / "m.py").read_bytes() == b"a = 1\nb = 3"
        add_eol = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 3\n" \
                  "\\ No newline at end of file\n+b = 4\n"
        assert apply(tmp_path, add_eol).ok
        assert (tmp_path / "m.py").read_bytes() == b"a = 1\nb = 4\n"

    def test_latin1_bytes_round_trip(self, tmp_path: Path) -> None:
        data = "# caf\u00e9\nx = 1\ny = 'd\u00e9j\u00e0'\n".encode("latin-1")
        (tmp_path / "m.py").write_bytes(data)
        diff = "--- a/m.py\n+++ b/m.py\n@@ -2 +2 @@\n-x = 1\n+x = 2\n"
        assert apply(tmp_path, diff).ok
        assert (tmp_path / "m.py").read_bytes() == data.replace(b"x = 1", b"x = 2")

    def test_utf8_bom_is_kept(self, tmp_path: Path) -> None:
        (tmp_path / "m.py").write_bytes(b"\xef\xbb\xbfx = 1\n")
        diff = "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n+x = '\u00e9'\n"
        assert apply(tmp_path, diff).ok
        assert (tmp_path / "m.py").read_bytes() == "\ufeffx = '\u00e9'\n".encode()

    def test_non_latin1_text_into_latin1_file(self, tmp_path: Path) -> None:
        (tmp_path / "m.py").write_bytes(b"# caf\xe9\nx = 1\n")
        diff = "--- a/m.py\n+++ b/m.py\n@@ -2 +2 @@\n-x = 1\n+x = '\u2603'\n"
        refused(tmp_path, diff, "encoding")


def test_public_face() -> None:
    import pytest_agent.patch as patch

    assert set(patch.__all__) >= {"apply_proposal", "plan_patch", "PatchPlan", "Limits"}
    assert patch.PatchPlan.__module__ == "pytest_agent.patch"


def test_unidiff_is_imported_only_when_a_diff_is_parsed(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("x = 1\n")
    code = (
        "import sys; from pathlib import Path; import pytest_agent.patch as p\n"
        "from pytest_agent._types import Task\n"
        "assert 'unidiff' not in sys.modules\n"
        f"r = p.apply_proposal(Path({str(tmp_path)!r}), '--- a/a.py\\n+++ b/a.py\\n"
        "@@ -1 +1 @@\\n-x = 1\\n+x = 2\\n', task=Task(id='t', description='', accept_tests=()))\n"
        "assert r.ok and 'unidiff' in sys.modules, r\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.py").read_text() == "x = 2\n"
