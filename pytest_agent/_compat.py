"""Every use of pytest's and pytest-xdist's private API, in one place.

Private names change between releases without notice; keeping them here means a
pytest upgrade is reviewed in one module, and ``tests/test_compat.py`` checks each
use against the installed versions (one test per function below). Each function
says which releases it was checked with and what it does when the private name is
gone: a :class:`CompatError` naming the pytest version, which callers turn into a
slower public path or a clear message.

Uses:

* :func:`prepare_config`, :func:`ensure_unconfigure`, :func:`default_plugin_names`:
  the offline engine's warm workers build a ``Config`` once and run sessions
  from it in forked children (``_pytest.config._prepareconfig``,
  ``Config._ensure_unconfigure``, ``_pytest.config.default_plugins``).
* :func:`install_rewrite_cache`: the same workers reuse assertion-rewritten code
  objects (``_pytest.assertion.rewrite._rewrite_test``, patched in place).
* :func:`conftest_modules`, :func:`import_mode` and :func:`reuse_conftests`: sessions
  forked from the warm test server take the conftest modules the server imported
  instead of executing their files again (``_pytest.config.import_path``, as called by
  ``PytestPluginManager._importconftest``, replaced in the forked process).
* :func:`set_nodeid` and :func:`add_xdist_group_suffix`: the ``@<group>`` suffix
  that pytest-xdist's ``loadgroup`` needs on node ids, which xdist writes into
  ``Node._nodeid`` and pytest 9.2 no longer reads (pytest-xdist#1386).
* :func:`xdist_workerinput`: what the xdist controller hands a worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any
from typing import Final

import pytest

__all__ = [
    "PYTEST_VERSION",
    "CompatError",
    "add_xdist_group_suffix",
    "conftest_modules",
    "default_plugin_names",
    "ensure_unconfigure",
    "import_mode",
    "install_rewrite_cache",
    "prepare_config",
    "reuse_conftests",
    "set_nodeid",
    "xdist_workerinput",
]

#: The installed pytest's (major, minor).
PYTEST_VERSION: Final = tuple(int(p) for p in pytest.__version__.split(".")[:2] if p.isdigit())

#: The pytest release structured node ids came with (``Node._id``; ``_nodeid`` unused).
_STRUCTURED_NODEIDS: Final = (9, 2)


class CompatError(RuntimeError):
    """A private pytest/xdist name this module relies on is missing in this release."""

    def __init__(self, what: str) -> None:
        super().__init__(f"pytest {pytest.__version__}: {what} is missing "
                         "(private API used by pytest-agent; see pytest_agent/_compat.py)")


# -- warm workers: a Config made once, sessions run from it ------------------------------


def default_plugin_names() -> tuple[str, ...]:
    """The names of pytest's built-in plugins (``_pytest.<name>``); checked with 8.0-9.2."""
    try:
        from _pytest.config import default_plugins
    except ImportError:
        raise CompatError("_pytest.config.default_plugins") from None
    return tuple(default_plugins)


def prepare_config(args: Sequence[str], plugins: Sequence[object]) -> pytest.Config:
    """A configured ``Config`` for ``args``, as ``pytest.main`` makes it before running.

    ``_pytest.config._prepareconfig``; checked with 8.0-9.2. Raises what pytest raises
    for bad arguments (``UsageError``, ``SystemExit``), :class:`CompatError` when gone.
    """
    try:
        from _pytest.config import _prepareconfig
    except ImportError:
        raise CompatError("_pytest.config._prepareconfig") from None
    return _prepareconfig(list(args), plugins=list(plugins))


def ensure_unconfigure(config: pytest.Config) -> None:
    """Run ``pytest_unconfigure`` and the cleanups once (``Config._ensure_unconfigure``)."""
    method = getattr(config, "_ensure_unconfigure", None)
    if method is None:
        raise CompatError("Config._ensure_unconfigure")
    method()


_RewriteTest = Callable[[Path, Any], Any]


def install_rewrite_cache(lookup: Callable[[Path], Any | None]) -> _RewriteTest:
    """Patch pytest's assertion rewriter to ask ``lookup`` first; return the original.

    ``lookup(path)`` gives the ``_rewrite_test`` result cached for ``path`` or ``None``.
    Installed once per process (a second call only returns the original, so a fork
    never stacks patches). ``_pytest.assertion.rewrite._rewrite_test(fn, config)``,
    checked with 8.0-9.2.
    """
    try:
        from _pytest.assertion import rewrite
    except ImportError:
        raise CompatError("_pytest.assertion.rewrite") from None
    original: _RewriteTest | None = getattr(rewrite, "_agent_original_rewrite_test", None)
    if original is not None:
        return original
    if not callable(getattr(rewrite, "_rewrite_test", None)):
        raise CompatError("_pytest.assertion.rewrite._rewrite_test")
    original = rewrite._rewrite_test

    def cached(fn: Path, config: Any) -> Any:
        hit = lookup(Path(fn))
        return hit if hit is not None else original(fn, config)

    rewrite._agent_original_rewrite_test = original  # type: ignore[attr-defined]
    rewrite._rewrite_test = cached
    return original


# -- warm server: conftest modules imported once, reused by forked sessions -------------


def conftest_modules(config: pytest.Config) -> dict[str, ModuleType]:
    """The conftest modules ``config`` imported, by resolved path.

    pytest registers each conftest module under its path (``str(conftestpath)`` in
    ``PytestPluginManager._importconftest``); checked with 8.0-9.2.
    """
    found: dict[str, ModuleType] = {}
    for name, plugin in config.pluginmanager.list_name_plugin():
        if isinstance(plugin, ModuleType) and name and os.path.isabs(name) \
                and os.path.basename(name) == "conftest.py":
            found[os.path.realpath(name)] = plugin
    return found


def import_mode(config: pytest.Config) -> str:
    """The ``--import-mode`` of ``config`` ("prepend", "append", "importlib")."""
    mode = getattr(config.known_args_namespace, "importmode", "prepend")
    return str(getattr(mode, "value", mode))


def reuse_conftests(modules: Mapping[str, ModuleType], mode: str = "prepend") -> None:
    """Make every later config of this process take the conftest at each resolved path
    of ``modules`` from there instead of executing the file again, when it imports
    conftests with the import mode ``mode`` (the one they were imported with: the
    mode decides their module names); empty ``modules``: undo.

    For a forked process only: the modules must be as they were right after their
    import (the parent never ran a session on them), and unchanged on disk, as must be
    what they imported (the caller checks). pytest goes on doing everything else it
    does with a conftest: it registers the module with the new config's plugin
    manager, so its ``pytest_addoption``, ``pytest_configure`` and fixtures take effect
    per config as in a fresh process; the module is put into ``sys.modules`` under its
    name, as importing it would (``import conftest`` in a test finds it).

    ``PytestPluginManager._importconftest`` deletes ``sys.modules["conftest"]`` for a
    conftest outside a package and calls ``_pytest.config.import_path``, which is
    replaced here; checked with 8.0-9.2. Raises :class:`CompatError` when pytest
    imports conftests another way (the caller then lets them be imported again).
    """
    try:
        from _pytest import config as pytest_config
    except ImportError:
        raise CompatError("_pytest.config") from None
    original: Callable[..., ModuleType] | None = getattr(
        pytest_config, "_agent_original_import_path", None)
    if original is None:
        original = getattr(pytest_config, "import_path", None)
        if not callable(original) or not callable(
                getattr(pytest_config.PytestPluginManager, "_importconftest", None)):
            raise CompatError("_pytest.config.import_path / PytestPluginManager._importconftest")
    if not modules:
        pytest_config.import_path = original  # type: ignore[attr-defined]
        return
    table = dict(modules)
    import_path = original

    def import_conftest(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> ModuleType:
        asked = kwargs.get("mode", args[0] if args else "prepend")
        module = table.get(os.path.realpath(path)) \
            if os.path.basename(path) == "conftest.py" \
            and str(getattr(asked, "value", asked)) == mode else None
        if module is None:
            return import_path(path, *args, **kwargs)
        sys.modules[module.__name__] = module
        return module

    pytest_config._agent_original_import_path = original  # type: ignore[attr-defined]
    pytest_config.import_path = import_conftest  # type: ignore[attr-defined]


# -- xdist -------------------------------------------------------------------------------


def set_nodeid(item: pytest.Item, nodeid: str) -> None:
    """Give ``item`` another node id (private either way, as in xdist).

    pytest < 9.2 keeps it in ``Node._nodeid`` (a string); 9.2 builds ``nodeid`` from
    ``Node._id`` (``_pytest.nodeid.coerce_node_id``).
    """
    if not hasattr(item, "_id"):  # pytest < 9.2: a plain string attribute
        if PYTEST_VERSION >= _STRUCTURED_NODEIDS:
            raise CompatError("Node._id")
        item._nodeid = nodeid  # type: ignore[attr-defined,unused-ignore]
        return
    try:
        from _pytest import nodeid as pytest_nodeid  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise CompatError("_pytest.nodeid.coerce_node_id") from None
    item._id = pytest_nodeid.coerce_node_id(nodeid)


def add_xdist_group_suffix(items: Sequence[pytest.Item]) -> None:
    """Make sure node ids of ``xdist_group`` items carry xdist's ``@<group>`` suffix.

    xdist's loadgroup scheduler reads the group from that suffix, which its worker
    writes into the private ``Node._nodeid``. pytest 9.2 builds ``nodeid`` from a
    structured id instead, so the write is lost and dependent tasks would land on
    other workers (pytest-xdist#1386). Call after xdist's own
    ``pytest_collection_modifyitems``; a no-op where the suffix took effect.
    """
    for item in items:
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                         for m in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid:
            set_nodeid(item, f"{item.nodeid}@{'_'.join(groups)}")


def xdist_workerinput(config: pytest.Config) -> dict[str, Any]:
    """What the xdist controller handed this worker (``config.workerinput``); ``{}`` when
    this process is no worker."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    return workerinput
