"""Which files are project code: the rules shared by the ranking and the inner run's plugin."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXCLUDED_DIRS", "is_excluded", "is_test_path"]

EXCLUDED_DIRS = frozenset({
    "site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "node_modules", ".git",
    "__pycache__", "build", "dist", ".eggs",
})
_TEST_DIRS = frozenset({"tests", "test", "testing"})


def is_test_path(rel: Path) -> bool:
    """A test file or a test directory's file: ``test_*.py``, ``*_test.py``, ``conftest.py``."""
    name = rel.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in _TEST_DIRS for part in rel.parts[:-1]))


def is_excluded(rel: Path) -> bool:
    """Installed or generated code inside the tree (a virtualenv, a build directory)."""
    return any(part in EXCLUDED_DIRS for part in rel.parts)
