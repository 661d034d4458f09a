"""Lint before vs after a change sees each file with its own mode.

The text before a change is linted in a temporary tree; the change is linted in place
(the final verify) or in a temporary tree too (the offline engine's ``_lint_clean``). A
finding about the file's mode (ruff's EXE002: "the file is executable but no shebang is
present") was then new in the verify and absent from the engine's check: a repair of
more-itertools-f51a53b (tuned; ``more.py`` is executable in its repository) passed its
accept tests and the regression set and was refused for it.
"""

from __future__ import annotations

from pathlib import Path

from pytest_agent._lintdiff import new_lint_findings
from pytest_agent.settings import AgentSettings

BEFORE = "def last(xs):\n    return xs[-1]\n"
AFTER = "def last(xs):\n    if not xs:\n        return None\n    return xs[-1]\n"


def test_an_executable_files_mode_is_not_a_new_finding(tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["EXE", "F"]\n')
    module = tmp_path / "pkg" / "more.py"
    module.parent.mkdir()
    module.write_text(AFTER)
    module.chmod(0o755)
    settings = AgentSettings()
    in_place, _ = new_lint_findings(tmp_path, ["pkg/more.py"], {"pkg/more.py": BEFORE},
                                    settings)
    as_texts, _ = new_lint_findings(tmp_path, ["pkg/more.py"], {"pkg/more.py": BEFORE},
                                    settings, after={"pkg/more.py": AFTER})
    assert in_place == [] and as_texts == []
    # The finding exists (the check is not vacuous): a new unused import is still new.
    module.write_text("import os\n" + AFTER)
    found, _ = new_lint_findings(tmp_path, ["pkg/more.py"], {"pkg/more.py": BEFORE},
                                 settings)
    assert [f.code for f in found or []] == ["F401"]
