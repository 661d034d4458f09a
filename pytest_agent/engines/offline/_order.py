"""A pytest plugin of the validation sessions: run the listed tests, in the list's order.

A candidate's session runs the accept tests that fail at the base first, then the other
accept tests, then the tests of their files that passed at the base (``-x``: the first
failure ends it). Given as node ids, that is one argument per test, and pytest matches
every argument against the collected tree on its own: on a test file of 280 tests that
matching took half of each session (0.17 of 0.35 s, semver), for sessions that mostly
stop at their first test. The engine passes the test *files* instead, with
``--offline-order=<json>``: ``[[entries], ...]``, groups in run order, each entry a node
id or a prefix of node ids (a file, a class) in the form of the arguments (relative to
the directory pytest runs in). This plugin keeps the collected items that match an entry,
orders them by group (and by the entry's place in its group), and deselects the rest.

An entry that matches no collected item ends the session with exit code 4, as pytest
does for a node id that is not found: a candidate that removes or renames a test must
not pass by running fewer tests.

PYTEST_DONT_REWRITE: loaded with ``-p`` by sessions of a process that may have imported
it already (no assertions here; pytest would warn that it cannot rewrite it, an error
under ``-W error``).
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Sequence

import pytest

__all__ = ["NOT_FOUND", "ORDER_OPTION", "PLUGIN", "order_arg", "ordered_args"]

#: The module, for ``-p``.
PLUGIN = "pytest_agent.engines.offline._order"
ORDER_OPTION = "--offline-order"
#: The exit code of a session in which a listed test was not collected (pytest's own for
#: a node id argument that is not found).
NOT_FOUND = int(pytest.ExitCode.USAGE_ERROR)


def _normal(entry: str) -> str:
    """``entry`` with its path part normalized (``./a//b.py::t`` -> ``a/b.py::t``)."""
    path, sep, rest = entry.partition("::")
    return posixpath.normpath(path.replace(os.sep, "/")) + sep + rest


def order_arg(groups: Sequence[Sequence[str]]) -> str:
    """The one argument (``--offline-order=...``) that asks for ``groups`` in order."""
    return f"{ORDER_OPTION}={json.dumps([[_normal(e) for e in g] for g in groups])}"


def ordered_args(session_args: Sequence[str], groups: Sequence[Sequence[str]]) -> list[str]:
    """A ``-x`` session of the tests of ``groups``, in order: their files (or
    directories) as the arguments, the plugin choosing and ordering the tests."""
    paths = dict.fromkeys(_normal(e).split("::", 1)[0] for g in groups for e in g)
    return ["-x", *session_args, "-p", PLUGIN, order_arg(groups), *paths]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(ORDER_OPTION, dest="offline_order", default=None,
                     help="(pytest-agent) run only these tests, in this order (JSON groups)")


def _arg_form(item: pytest.Item, cwd: str) -> str:
    """The item's node id as the arguments write it (relative to the invocation dir)."""
    rel = os.path.relpath(str(item.path), cwd).replace(os.sep, "/")
    tail = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
    return f"{rel}::{tail}" if tail else rel


def _prefixes(nodeid: str) -> list[str]:
    """``nodeid`` and every entry that would contain it: ``d/f.py::C::t[x]`` -> itself,
    ``d/f.py::C::t``, ``d/f.py::C``, ``d/f.py``, ``d``."""
    found = [nodeid]
    base = nodeid.split("[", 1)[0]
    if base != nodeid:
        found.append(base)
    parts = base.split("::")
    found.extend("::".join(parts[:n]) for n in range(len(parts) - 1, 0, -1))
    folders = parts[0].split("/")[:-1]
    found.extend("/".join(folders[:n]) for n in range(len(folders), 0, -1))
    return found


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    raw = config.getoption("offline_order")
    if not raw:
        return
    groups: list[list[str]] = json.loads(raw)
    if not any(groups):
        return
    place: dict[str, tuple[int, int]] = {}
    for g, entries in enumerate(groups):
        for i, entry in enumerate(entries):
            place.setdefault(entry, (g, i))
    cwd = str(config.invocation_params.dir)
    keyed: list[tuple[tuple[int, int, int], pytest.Item]] = []
    deselected: list[pytest.Item] = []
    matched: set[str] = set()
    for index, item in enumerate(items):
        hits = [(place[p], p) for p in _prefixes(_arg_form(item, cwd)) if p in place]
        if not hits:
            deselected.append(item)
            continue
        (g, i), entry = min(hits)
        matched.update(p for _, p in hits)
        keyed.append(((g, i, index), item))
    missing = [e for e in place if e not in matched]
    if missing:
        pytest.exit(f"not found: {missing[0]}", returncode=NOT_FOUND)
    keyed.sort(key=lambda t: t[0])
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = [item for _, item in keyed]
