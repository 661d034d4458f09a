"""What a process forked by the harness does first, and what its parent warms for it.

Shared by the warm test server (:mod:`pytest_agent._serve`) and the candidate
validators (:mod:`pytest_agent._candidates`): die with the parent, a memory limit,
and importing modules once in the parent without keeping the project's own.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import signal
import sys
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["as_fresh_pytest", "data_bytes", "die_with_parent", "import_outside", "limit_memory"]


def _load_libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None


_LIBC = _load_libc()


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this child when its parent dies (Linux).

    The child has its own process group, so killing the parent's group would not
    reach it.
    """
    if _LIBC is not None:
        with contextlib.suppress(Exception):
            _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the line above


def data_bytes() -> int:
    """The process's data segment (heap and private mappings), from ``/proc/self/statm``."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[5])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def limit_memory(headroom: int) -> None:
    """Let this process allocate at most ``headroom`` more bytes of data.

    RLIMIT_DATA, not RLIMIT_AS: the address-space limit made every session with
    many plugins loaded slower (measured in the offline engine); the data limit
    covers what a memory hog allocates (heap and anonymous mappings).
    """
    if headroom > 0:
        limit = data_bytes() + headroom
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def import_outside(names: Sequence[str], of_project: Callable[[ModuleType], bool]) -> None:
    """Import ``names`` here, once, so that forked children find them imported.

    An import that pulls in a module for which ``of_project`` is true is undone
    entirely: that module would be stale in the children, which must import the
    project's code afresh. Used by the warm server and the offline engine's workers.
    """
    for name in names:
        if name in sys.modules:
            continue
        before = set(sys.modules)
        # Not BaseException: a KeyboardInterrupt stops the process. A failed import
        # costs nothing: a child imports it again and reports.
        with contextlib.suppress(Exception, SystemExit):
            importlib.import_module(name)
        new = set(sys.modules) - before
        if any(of_project(sys.modules[m]) for m in new):
            for m in new:
                del sys.modules[m]


def as_fresh_pytest(args: Sequence[str]) -> None:
    """Give this forked process the ``sys.argv`` and ``__main__`` of ``python -m pytest
    args``: it was started as another program (the test server), and code under test
    reads them (a CLI parser given no ``argv`` reads ``sys.argv[1:]``; a program's name
    comes from ``__main__``)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pytest.__main__")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        sys.argv = ["pytest", *args]
        return
    sys.argv = [spec.origin, *args]
    main = ModuleType("__main__")
    main.__file__ = spec.origin
    main.__spec__ = spec
    main.__loader__ = spec.loader
    main.__package__ = "pytest"
    sys.modules["__main__"] = main
