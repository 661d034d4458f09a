"""The validation sessions' order plugin (``_order``): files as arguments, the listed
tests chosen and run in the list's order, a missing test reported as pytest does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_agent.engines.offline._order import NOT_FOUND
from pytest_agent.engines.offline._order import ordered_args

pytest_plugins = ["pytester"]

SESSION = ("-q", "--tb=no", "-p", "no:cacheprovider")

TESTS = textwrap.dedent("""\
    import pytest

    RAN = []

    def test_a():
        RAN.append("a")

    def test_b():
        RAN.append("b")

    @pytest.mark.parametrize("n", [1, 2])
    def test_p(n):
        RAN.append(f"p{n}")

    class TestK:
        def test_k(self):
            RAN.append("k")

    def test_broken():
        assert False

    def test_last():
        RAN.append("last")
        assert RAN == EXPECTED, RAN
    """)


def _project(pytester: pytest.Pytester, expected: list[str]) -> None:
    pytester.makepyfile(test_m=TESTS + f"\nEXPECTED = {[*expected, 'last']!r}\n")
    pytester.mkpydir("sub")
    Path(pytester.path / "sub" / "test_s.py").write_text(
        "def test_s():\n    pass\n", encoding="utf-8")


def test_the_listed_tests_run_in_the_groups_order_and_the_rest_is_deselected(
        pytester: pytest.Pytester) -> None:
    _project(pytester, ["k", "p2", "b"])
    groups = [["test_m.py::TestK"], ["test_m.py::test_p[2]"], ["test_m.py::test_b"],
              ["test_m.py::test_last"]]
    result = pytester.runpytest(*ordered_args(SESSION, groups))
    # test_a, test_p[1], test_broken and the other file's test were not selected.
    result.assert_outcomes(passed=4, deselected=3)
    assert result.ret == 0


def test_x_stops_at_the_first_listed_failure(pytester: pytest.Pytester) -> None:
    _project(pytester, [])
    groups = [["test_m.py::test_broken"], [], ["test_m.py::test_a", "test_m.py::test_last"]]
    result = pytester.runpytest(*ordered_args(SESSION, groups))
    result.assert_outcomes(failed=1, deselected=4)


def test_a_directory_and_a_file_select_every_test_under_them(
        pytester: pytest.Pytester) -> None:
    _project(pytester, [])
    result = pytester.runpytest(*ordered_args(SESSION, [["./sub"], ["test_m.py::test_a"]]))
    result.assert_outcomes(passed=2, deselected=6)


def test_a_listed_test_that_is_not_collected_ends_the_session_as_not_found(
        pytester: pytest.Pytester) -> None:
    _project(pytester, [])
    result = pytester.runpytest(*ordered_args(SESSION, [["test_m.py::test_a"],
                                                        ["test_m.py::test_gone"]]))
    assert result.ret == NOT_FOUND
    result.assert_outcomes()


def test_without_the_option_the_plugin_changes_nothing(pytester: pytest.Pytester) -> None:
    _project(pytester, ["a", "b", "p1", "p2", "k"])
    result = pytester.runpytest(*SESSION, "-p", "pytest_agent.engines.offline._order",
                                "--deselect", "test_m.py::test_broken")
    result.assert_outcomes(passed=7, deselected=1)


def test_the_plugin_module_is_not_rewritten_again_under_warnings_as_errors(
        pytester: pytest.Pytester) -> None:
    """Imported already (as in a validator that parsed another session), ``-p`` loads it
    again without pytest's "cannot be rewritten" warning, which ``-W error`` would raise."""
    _project(pytester, [])
    result = pytester.runpytest(*ordered_args(("-W", "error", *SESSION),
                                              [["test_m.py::test_a"]]))
    result.assert_outcomes(passed=1, deselected=6)
