"""Property tests: any proposal text gives a parse result or a clean refusal, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent.patch import PatchPlan
from pytest_agent.patch import plan_patch
from pytest_agent.patch._model import PatchError
from pytest_agent.patch._parse import Parsed
from pytest_agent.patch._parse import parse_proposal

SOURCE = "import os\n\n\ndef add(a, b):\n    total = a + b\n    return total\n"
TASK = Task(id="T-1", description="", accept_tests=("tests/test_app.py::t",), files=("app.py",))

# Lines that look like the pieces of every format, mixed with noise.
_pieces = st.sampled_from([
    "--- a/app.py", "+++ b/app.py", "--- /dev/null", "+++ /dev/null",
    "diff --git a/app.py b/app.py", "@@ -1,3 +1,3 @@", "@@ -4 +4 @@", "@@ ... @@", "@@",
    "@@ -0,0 +1,2 @@", " def add(a, b):", "-    total = a + b", "+    total = a - b",
    "     return total", " ", "", "\\ No newline at end of file",
    "```diff", "```", "```python", "app.py", "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE",
    "rename from app.py", "deleted file mode 100644", "--- ../x.py", "+++ b/.git/config",
    "Binary files a/x and b/x differ", "index 1..2", "# ... rest unchanged", "\r", "\t",
])
_lines = st.lists(st.one_of(_pieces, st.text(max_size=30)), max_size=25)
_texts = st.one_of(st.text(max_size=300), _lines.map("\n".join), _lines.map("\r\n".join))


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_parser_gives_a_result_or_a_clean_error(text: str) -> None:
    try:
        parsed = parse_proposal(text)
    except PatchError as exc:
        assert exc.rule and exc.message
    else:
        assert isinstance(parsed, Parsed)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "app.py").write_text(SOURCE)
    return path


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_planning_gives_a_plan_or_a_refusal(root: Path, text: str) -> None:
    got = plan_patch(root, text, task=TASK, timeout=10.0)
    if isinstance(got, Applied):
        assert not got.ok and got.rule and got.reason
    else:
        assert isinstance(got, PatchPlan) and got.changes
        assert all(not c.path.startswith(("/", "..", ".git")) for c in got.changes)
    assert (root / "app.py").read_text() == SOURCE  # planning never writes


_file_lines = st.lists(st.sampled_from(["a = 1", "b = 2", "", "    return a", "if a:", "pass"]),
                       min_size=0, max_size=30)


@settings(max_examples=150, deadline=None)
@given(_file_lines, _file_lines, st.integers(0, 30), st.integers(0, 5),
       st.sampled_from([0, 1, 3]))
def test_a_correct_diff_always_applies_exactly(tmp_path_factory: pytest.TempPathFactory,
                                               before: list[str], insert: list[str], at: int,
                                               cut: int, context: int) -> None:
    """Even in files full of repeated lines, a right diff lands where it says."""
    import difflib

    at = min(at, len(before))
    after = before[:at] + insert + before[at + cut:]
    old_text = "".join(line + "\n" for line in before)
    new_text = "".join(line + "\n" for line in after)
    root = tmp_path_factory.mktemp("roundtrip")
    (root / "m.py").write_text(old_text)
    diff = "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True),
                                        "a/m.py", "b/m.py", n=context))
    got = plan_patch(root, diff, task=TASK)
    if old_text == new_text:
        assert isinstance(got, Applied) and got.rule in ("parse-error", "empty")
    else:
        assert isinstance(got, PatchPlan), got
        assert got.changes[0].after == new_text.encode()
