"""One test per use of pytest's and xdist's private API (pytest_agent/_compat.py).

When pytest or xdist is upgraded and one of these fails, the module docstring of
``_compat`` lists which feature depends on the name that changed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent import _compat


def test_default_plugin_names_are_importable() -> None:
    names = _compat.default_plugin_names()
    assert {"python", "terminal", "runner"} <= set(names)


def test_prepare_config_then_run_and_unconfigure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_ok():\n    assert 1\n")
    seen: list[str] = []

    class Recorder:
        def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
            if report.when == "call":
                seen.append(report.outcome)

        def pytest_unconfigure(self) -> None:
            seen.append("unconfigured")

    config = _compat.prepare_config(
        [str(pytester.path / "test_one.py"), "-p", "no:cacheprovider", "-q"], [Recorder()]
    )
    try:
        rc = config.hook.pytest_cmdline_main(config=config)
    finally:
        _compat.ensure_unconfigure(config)
    assert rc == 0
    assert seen == ["passed", "unconfigured"]


def test_rewrite_cache_is_asked_first_and_installed_once(tmp_path: Path) -> None:
    # In a child process: the patch is process-wide and must not leak into this session.
    script = tmp_path / "check.py"
    script.write_text(
        "from pathlib import Path\n"
        "from _pytest.assertion import rewrite\n"
        "from pytest_agent import _compat\n"
        "asked = []\n"
        "def lookup(p):\n"
        "    asked.append(p.name)\n"
        "    return 'CACHED' if p.name == 'hit.py' else None\n"
        "original = _compat.install_rewrite_cache(lookup)\n"
        "assert _compat.install_rewrite_cache(lambda p: None) is original\n"
        "assert rewrite._rewrite_test(Path('hit.py'), None) == 'CACHED'\n"
        "miss = Path(__file__).with_name('miss.py')\n"
        "miss.write_text('assert 1\\n')\n"
        "config = _compat.prepare_config([str(miss), '-p', 'no:cacheprovider'], [])\n"
        "stat, code = rewrite._rewrite_test(miss, config)\n"
        "_compat.ensure_unconfigure(config)\n"
        "assert code.co_filename == str(miss), code.co_filename\n"
        "assert asked[0] == 'hit.py' and asked[-1] == 'miss.py', asked\n"
        "print('ok')\n",
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.stdout.strip() == "ok", out.stderr


REUSE_CHECK = """\
import os, sys
from pathlib import Path
from pytest_agent import _compat

here = Path(__file__).parent
log = here / "imports.log"
args = [str(here / "sub" / "test_one.py"), "-p", "no:cacheprovider", "-q", "--flavour=x"]
first = _compat.prepare_config(args, [])
modules = _compat.conftest_modules(first)
_compat.ensure_unconfigure(first)
assert set(modules) == {str((here / "conftest.py").resolve()),
                        str((here / "sub" / "conftest.py").resolve())}, modules
assert log.read_text() == "root\\nsub\\n", log.read_text()
_compat.reuse_conftests(modules)
second = _compat.prepare_config(args, [])
try:
    rc = second.hook.pytest_cmdline_main(config=second)
finally:
    _compat.ensure_unconfigure(second)
assert rc == 0, rc
assert log.read_text() == "root\\nsub\\n", "a conftest body ran again: " + log.read_text()
assert set(_compat.conftest_modules(second).values()) == set(modules.values())
assert sys.modules["conftest"] is modules[str((here / "sub" / "conftest.py").resolve())]
_compat.reuse_conftests({})
third = _compat.prepare_config(args, [])
_compat.ensure_unconfigure(third)
assert log.read_text() == "root\\nsub\\nroot\\nsub\\n", log.read_text()
print("ok")
"""


def test_conftest_modules_are_reused_by_a_later_config(tmp_path: Path) -> None:
    # Two conftests outside a package (both named "conftest"), one with an option and a
    # configure hook: a later config takes the modules, registers them (the option is
    # parsed, the hook runs, the fixture is found) and executes neither file again.
    # In a child process: the patch is process-wide and must not leak into this session.
    (tmp_path / "sub").mkdir()
    (tmp_path / "conftest.py").write_text(
        "import pytest\n"
        "open(__file__.replace('conftest.py', 'imports.log'), 'a').write('root\\n')\n"
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--flavour')\n"
        "def pytest_configure(config):\n"
        "    config.configured_here = True\n"
        "@pytest.fixture\n"
        "def flavour(request):\n"
        "    assert request.config.configured_here\n"
        "    return request.config.getoption('--flavour')\n")
    (tmp_path / "sub" / "conftest.py").write_text(
        "open(__file__.replace('sub/conftest.py', 'imports.log'), 'a').write('sub\\n')\n")
    (tmp_path / "sub" / "test_one.py").write_text(
        "def test_flavour(flavour):\n    assert flavour == 'x'\n")
    script = tmp_path / "check.py"
    script.write_text(REUSE_CHECK, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60, check=False, cwd=tmp_path)
    assert out.stdout.strip().endswith("ok"), out.stdout + out.stderr


def test_set_nodeid_changes_the_node_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_ok():\n    pass\n")
    (item,) = pytester.getitems(pytester.path / "test_one.py")
    _compat.set_nodeid(item, f"{item.nodeid}@grp")
    assert item.nodeid == "test_one.py::test_ok@grp"


def test_xdist_group_suffix_added_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_a():\n    pass\ndef test_b():\n    pass\n")
    items = pytester.getitems(pytester.path / "test_one.py")
    items[0].add_marker(pytest.mark.xdist_group("g1"))
    _compat.add_xdist_group_suffix(items)
    _compat.add_xdist_group_suffix(items)  # already suffixed: unchanged
    assert [i.nodeid for i in items] == ["test_one.py::test_a@g1", "test_one.py::test_b"]


def test_xdist_workerinput_outside_a_worker(pytestconfig: pytest.Config) -> None:
    # Inside an xdist worker of this suite it is the real dict; outside, empty.
    expected = getattr(pytestconfig, "workerinput", {})
    assert _compat.xdist_workerinput(pytestconfig) == expected
