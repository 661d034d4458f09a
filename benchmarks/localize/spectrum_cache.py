"""The localization benchmark's ``--cache``: runs stored relative to the bug's directory.

A cached bug is ``<cache>/<bug id>/``: the materialized tree (``<bug id>/``), the
baseline (``baseline.pickle``) and the coverage run (``spectrum.pickle``, and one
``spectrum-<key>.pickle`` per further run of other targets). The pickled runs hold
absolute paths (coverage per file, traceback frames, failure texts); stored as they
were, a copy of the cache elsewhere (``cp -a``) kept every run but matched none of
its files, and every bug silently lost its coverage (the ranking fell back to
tracebacks and names).

Format 2 (this module) stores every path under the bug's directory with a marker in
its place, and puts the directory where the cache is read back in: a cache can be
copied or moved. A format-1 file (a bare pickled run, written before) is read when
the directory it was made in can be told from its paths (``/<id>/<id>/`` in them):
those paths are moved to the current directory, with one line on stderr. One whose
paths are under neither is refused with a message naming the file.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "CacheError", "load", "store"]

FORMAT = "pytest-agent-localize-cache/2"
#: Stands for the bug's directory in stored strings.
MARKER = "\x00bug-dir\x00"


class CacheError(Exception):
    """A cached run that cannot be used where it is."""


def _map_strings(obj: Any, fn: Callable[[str], str]) -> Any:
    """``obj`` with ``fn`` applied to every string inside it (keys included), through
    dataclasses, mappings, lists, tuples and sets; other values as they are."""
    if type(obj) is str:  # not an enum's member (``TestOutcome`` is a ``str``)
        return fn(obj)
    if isinstance(obj, (set, frozenset)) and all(_numbers(v) for v in obj):
        return obj  # a test's lines or arcs: no strings inside
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # A field the stored run lacks (a run cached before it was added: ``arcs``)
        # gets its default.
        changes = {f.name: _map_strings(getattr(obj, f.name), fn)
                   for f in dataclasses.fields(obj) if f.init and hasattr(obj, f.name)}
        return type(obj)(**changes)
    if isinstance(obj, dict):
        return {_map_strings(k, fn): _map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        mapped = [_map_strings(v, fn) for v in obj]
        return mapped if isinstance(obj, list) else type(obj)(mapped)
    return obj


def _numbers(value: object) -> bool:
    """A line number, or an arc (a pair of them)."""
    return type(value) is int or (type(value) is tuple and all(type(v) is int for v in value))


def _strings(obj: Any) -> Iterator[str]:
    if type(obj) is str:
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _strings(getattr(obj, f.name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _strings(v)


def _spellings(bug_dir: Path) -> list[str]:
    """The bug directory as paths in a run may spell it (as given and resolved),
    longest first so that one does not cut another."""
    names = {str(bug_dir), os.path.realpath(bug_dir)}
    return sorted(names, key=len, reverse=True)


def _replacer(olds: list[str], new: str) -> Callable[[str], str]:
    pattern = re.compile("|".join(re.escape(o) for o in olds))
    return lambda s: pattern.sub(lambda _: new, s)


def store(path: Path, run: object) -> None:
    """Write ``run`` to ``path`` (a file in the bug's directory), paths made relative."""
    bug_dir = path.parent
    relative = _map_strings(run, _replacer(_spellings(bug_dir), MARKER))
    path.write_bytes(pickle.dumps({"format": FORMAT, "run": relative}))


def load(path: Path) -> Any:
    """The run stored at ``path``, its paths under the bug's directory where it is now.

    :raises CacheError: an old-format file made in another directory that cannot be
        told from its paths.
    """
    bug_dir = path.parent
    stored = pickle.loads(path.read_bytes())
    if isinstance(stored, dict) and stored.get("format") == FORMAT:
        return _map_strings(stored["run"], _replacer([MARKER], str(bug_dir)))
    if isinstance(stored, dict) and "format" in stored:
        raise CacheError(f"{path}: cache format {stored['format']!r}, this code reads"
                         f" {FORMAT!r} (and the older bare pickles): rebuild the cache")
    return _relocate_old(path, stored)


def _relocate_old(path: Path, run: Any) -> Any:
    """A format-1 run (a bare pickle with absolute paths) moved to ``path``'s directory."""
    bug_dir = path.parent
    bug_id = bug_dir.name
    here = _spellings(bug_dir)
    made_in = _made_in(run, bug_id)
    if made_in is None or made_in in here:
        if made_in is None and _has_paths(run) and not any(
                h in s for s in _strings(run) for h in here):
            raise CacheError(f"{path}: an old-format cache made elsewhere (its paths are not"
                             f" under {bug_dir}): use it where it was made, or rebuild it")
        return _map_strings(run, str)  # the same strings; fields it lacks get defaults
    print(f"{path}: old-format cache made in {made_in}; its paths moved to {bug_dir}",
          file=sys.stderr)
    return _map_strings(run, _replacer([made_in], str(bug_dir)))


def _made_in(run: Any, bug_id: str) -> str | None:
    """The directory a format-1 run of ``bug_id`` was made in: what comes before
    ``/<id>/`` in a path to the materialized tree (``<dir>/<id>/...``)."""
    pattern = re.compile(r"(/[^\s\"'()\[\],:]*?/" + re.escape(bug_id) + r")/"
                         + re.escape(bug_id) + "/")
    for text in _strings(run):
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None


def _has_paths(run: Any) -> bool:
    coverage = getattr(run, "coverage", None)
    return bool(coverage)
