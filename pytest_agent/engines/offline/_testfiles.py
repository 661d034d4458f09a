"""Which files of a project are test modules: its ``python_files`` ini option.

The winner's check against the project's other test files (``_engine``) must find
them by the project's own rule, not pytest's default ``test_*.py *_test.py``: a
project with ``python_files = check_*.py`` (or ``tests.py``) would otherwise get no
check at all. The option is read as pytest's config discovery finds it (its
documented order, without importing pytest's private ``findpaths``): from the tests'
directory upward, the first ``pytest.ini``/``.pytest.ini``, ``pyproject.toml`` with
``[tool.pytest.ini_options]``, ``tox.ini`` with ``[pytest]`` or ``setup.cfg`` with
``[tool:pytest]``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Final

import iniconfig

__all__ = ["DEFAULT_PYTHON_FILES", "is_test_module", "python_files"]

#: pytest's default ``python_files``.
DEFAULT_PYTHON_FILES: Final = ("test_*.py", "*_test.py")


def _ini_section(path: Path, section: str) -> list[str] | None:
    """``python_files`` of ``section`` of an ini file; ``[]`` for a section without it,
    ``None`` when the file has no such section (or cannot be read)."""
    try:
        ini = iniconfig.IniConfig(str(path))
    except (OSError, iniconfig.ParseError, UnicodeDecodeError):
        return None
    if section not in ini:
        return None
    value = ini[section].get("python_files")
    return value.split() if value else []


def _pyproject(path: Path) -> list[str] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    options = data.get("tool", {}).get("pytest", {}).get("ini_options")
    if not isinstance(options, dict):
        return None
    value = options.get("python_files")
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value] if isinstance(value, list) else []


def _config_in(folder: Path) -> list[str] | None:
    """The ``python_files`` of the pytest config file of ``folder`` (``[]``: the file is
    the config and leaves the option unset), or ``None`` when it holds none."""
    for name in ("pytest.ini", ".pytest.ini"):
        if (folder / name).is_file():
            found = _ini_section(folder / name, "pytest")
            return found if found is not None else []
    if (folder / "pyproject.toml").is_file():
        found = _pyproject(folder / "pyproject.toml")
        if found is not None:
            return found
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if (folder / name).is_file():
            found = _ini_section(folder / name, section)
            if found is not None:
                return found
    return None


def python_files(start: Path, stop: Path) -> tuple[str, ...]:
    """The project's test module patterns: the ``python_files`` of the first pytest
    config file from ``start`` up to ``stop`` (both included), else pytest's default."""
    folder = start.resolve()
    stop = stop.resolve()
    while True:
        found = _config_in(folder)
        if found is not None:
            return tuple(found) or DEFAULT_PYTHON_FILES
        if folder == stop or folder.parent == folder or not folder.is_relative_to(stop):
            return DEFAULT_PYTHON_FILES
        folder = folder.parent


def is_test_module(path: Path, patterns: tuple[str, ...]) -> bool:
    """``path`` matches one of ``patterns`` as pytest matches ``python_files``
    (``fnmatch_ex``): a pattern without a ``/`` against the file name, one with a ``/``
    against the end of the path."""
    return any(fnmatch.fnmatch(path.name, p) if "/" not in p
               else fnmatch.fnmatch(path.as_posix(), p if p.startswith("/") else "*/" + p)
               for p in patterns)
