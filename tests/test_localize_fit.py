"""benchmarks/localize/fit.py: the pieces that read a bug (no cache, no coverage run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import benchmark_script


@pytest.fixture(scope="module")
def fit() -> object:
    # It imports its sibling scripts (spectrum_cache, topk).
    return benchmark_script("localize/fit.py", "fit", sibling_imports=True)


def test_targets_use_the_benchmarks_own_matching(fit: object, tmp_path: Path) -> None:
    # The function the developer changed, matched as the benchmark matches it (a
    # method the fix added counts as its class); the imports behind it must resolve
    # (run.py's split once moved the matcher and broke this silently).
    (tmp_path / "shapes.py").write_text(
        "class Box:\n    def area(self):\n        return 1\n\n\ndef size():\n    return 2\n")
    meta = {"changed": [{"file": "shapes.py", "function": "Box.area"},
                        {"file": "shapes.py", "function": "Box.volume"}]}
    keys = [("shapes.py", "Box.area"), ("shapes.py", "Box"), ("shapes.py", "size")]
    found = fit._targets(tmp_path, meta, keys)  # type: ignore[attr-defined]
    assert found[0] == {("shapes.py", "Box.area")}
    assert found[1] == {("shapes.py", "Box")}  # an added method: its class
