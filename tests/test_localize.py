"""Fault localization and the context pack, on real projects in temp dirs (issue #5)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from localize_project import Project

from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize import estimate_tokens
from pytest_agent.localize import localize
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._rank import rank
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

PRICING = '''\
"""Prices with tax and discounts."""


def tax(amount, rate):
    return round(amount * rate, 2)


def discount(amount, percent):
    if percent < 0 or percent > 100:
        raise ValueError("bad percent")
    return amount * percent / 1000


def price(amount, rate=0.2, percent=0):
    net = amount - discount(amount, percent)
    return round(net + tax(net, rate), 2)


def label(amount):
    return f"{amount:.2f} EUR"
'''

PRICING_TESTS = '''\
import pytest

from pricing import discount, label, price, tax


def test_tax():
    assert tax(100, 0.2) == 20


def test_price_no_discount():
    assert price(100) == 120


def test_discount():
    assert discount(200, 10) == 20


def test_price_with_discount():
    assert price(100, percent=50) == 60


def test_bad_percent():
    with pytest.raises(ValueError):
        discount(1, 101)


def test_label():
    assert label(3) == "3.00 EUR"
'''


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project.new(tmp_path)


@pytest.fixture
def pricing(proj: Project) -> Project:
    proj.write("pricing.py", PRICING)
    proj.write("tests/test_pricing.py", PRICING_TESTS)
    return proj


def line_of(project: Project, rel: str, text: str) -> int:
    lines = (project.root / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


class TestRanking:
    def test_faulty_function_first_with_line_and_span(self, pricing: Project) -> None:
        task = pricing.task("tests/test_pricing.py::test_discount",
                            "tests/test_pricing.py::test_price_with_discount")
        found = pricing.localize(task)
        top = found.functions[0]
        assert (top.path, top.function) == ("pricing.py", "discount")
        assert (top.start_line, top.end_line) == (8, 11)
        assert top.line == line_of(pricing, "pricing.py", "percent / 1000")
        assert any(e.startswith("ochiai") for e in top.evidence)
        assert found.method.startswith("coverage")
        # Passing-only code is never suspicious; tests are never locations.
        assert "label" not in {loc.function for loc in found.functions}
        assert all(not loc.path.startswith("tests/") for loc in found.functions + found.lines)
        assert found.lines[0].line == top.line

    def test_dstar_agrees_on_the_top_function(self, pricing: Project) -> None:
        task = pricing.task("tests/test_pricing.py::test_discount",
                            "tests/test_pricing.py::test_price_with_discount")
        found = pricing.localize(task, AgentSettings(localize_formula="dstar"))
        assert found.functions[0].function == "discount"
        assert any(e.startswith("dstar") for e in found.functions[0].evidence)
        assert all(0 <= loc.score <= 2 for loc in found.functions)

    def test_public_api_returns_functions_and_pack(self, pricing: Project) -> None:
        task = pricing.task("tests/test_pricing.py::test_discount")
        baseline = pricing.baseline(task)
        locations, pack = localize(task, pricing.workspace(), baseline, AgentSettings())
        assert locations[0].function == "discount"
        assert "# Task T-1" in pack and "discount" in pack

    def test_methods_have_qualnames(self, proj: Project) -> None:
        proj.write("shapes.py", '''\
            class Rect:
                def __init__(self, w, h):
                    self.w, self.h = w, h

                def area(self):
                    return self.w * self.h

                def perimeter(self):
                    return 2 * self.w + self.h
            ''')
        proj.write("tests/test_shapes.py", '''\
            from shapes import Rect

            def test_area():
                assert Rect(2, 3).area() == 6

            def test_perimeter():
                assert Rect(2, 3).perimeter() == 10
            ''')
        found = proj.localize(proj.task("tests/test_shapes.py::test_perimeter"))
        assert found.functions[0].function == "Rect.perimeter"
        assert found.lines[0].line == 9


class TestTracebackSignals:
    NUMS = """\
        def average(values):
            count = len(values)
            total = sum(values)
            scaled = total * 1.0
            return scaled / count


        def double(x):
            return 2 * x
        """
    NUMS_TESTS = """\
        from nums import average, double

        def test_average_empty():
            assert average([]) == 0

        def test_double():
            assert double(2) == 4
        """

    def test_raising_line_ranks_first_in_a_tie(self, proj: Project) -> None:
        # Every line of ``average`` runs in the failing test only: Ochiai ties them;
        # the line that raised wins.
        proj.write("nums.py", self.NUMS)
        proj.write("tests/test_nums.py", self.NUMS_TESTS)
        found = proj.localize(proj.task("tests/test_nums.py::test_average_empty"))
        assert found.lines[0].line == 5
        assert any("raised here: ZeroDivisionError" in e for e in found.lines[0].evidence)

    def test_explicit_raise_points_at_the_caller(self, proj: Project) -> None:
        proj.write("booking.py", '''\
            def check_nights(nights):
                if nights < 1:
                    raise ValueError("at least one night")
                return nights


            def book(arrive, leave):
                nights = check_nights(arrive - leave)
                return {"nights": nights}
            ''')
        proj.write("tests/test_booking.py", '''\
            import pytest
            from booking import book, check_nights

            def test_book():
                assert book(3, 5) == {"nights": 2}

            def test_check():
                with pytest.raises(ValueError):
                    check_nights(0)
            ''')
        found = proj.localize(proj.task("tests/test_booking.py::test_book"))
        assert found.functions[0].function == "book"
        assert found.lines[0].line == 8
        assert "called the check that raised" in found.lines[0].evidence

    def test_traceback_text_when_the_coverage_run_gives_nothing(self, proj: Project) -> None:
        # The test file is gone by the time of the coverage run: the baseline's
        # failure text is parsed for frames instead.
        proj.write("nums.py", self.NUMS)
        proj.write("tests/test_nums.py", self.NUMS_TESTS)
        task = proj.task("tests/test_nums.py::test_average_empty")
        baseline = proj.baseline(task)
        (proj.root / "tests" / "test_nums.py").unlink()
        found = proj.localize(task, baseline=baseline)
        assert found.method == "traceback"
        assert (found.lines[0].function, found.lines[0].line) == ("average", 5)


class TestCollectionErrors:
    def test_syntax_error_in_project_module(self, proj: Project) -> None:
        proj.write("calc.py", "def add(a, b):\n    return a +\n\n\ndef sub(a, b):\n"
                              "    return a - b\n")
        proj.write("tests/test_calc.py", "from calc import add\n\n\ndef test_add():\n"
                                         "    assert add(1, 2) == 3\n")
        found = proj.localize(proj.task("tests/test_calc.py::test_add"))
        top = found.lines[0]
        assert (top.path, top.function, top.line) == ("calc.py", "add", 2)
        assert "error while importing: SyntaxError: invalid syntax" in top.evidence
        assert "calc.py" in found.pack

    def test_name_error_at_import(self, proj: Project) -> None:
        proj.write("config.py", '''\
            DEFAULTS = {"retries": 3}


            def get(key):
                return DEFAULTS[key]


            TIMEOUT = get("timeout_s") if HAS_TIMEOUT else 10
            ''')
        proj.write("tests/test_config.py", '''\
            import config

            def test_retries():
                assert config.get("retries") == 3
            ''')
        found = proj.localize(proj.task("tests/test_config.py::test_retries"))
        top = found.functions[0]
        assert (top.path, top.function, top.line) == ("config.py", "<module>", 8)
        assert any("while importing: NameError: name 'HAS_TIMEOUT'" in e for e in top.evidence)

    def test_missing_name_points_at_the_module(self, proj: Project) -> None:
        proj.write("src/__init__.py", "")
        proj.write("src/hello.py", "def other():\n    return 1\n")
        proj.write("tests/test_hello.py", "from src.hello import greet\n\n\ndef test_greet():\n"
                                          "    assert greet('Ada') == 'Hello, Ada!'\n")
        task = proj.task("tests/test_hello.py::test_greet",
                         description="greet(name) returns 'Hello, <name>!'")
        found = proj.localize(task)
        assert found.functions[0].path == "src/hello.py"
        assert any("cannot import name 'greet'" in e for e in found.functions[0].evidence)
        assert "src/hello.py" in found.pack


class TestFallbacks:
    def test_code_coverage_cannot_see_ranks_by_names(self, proj: Project) -> None:
        # The test runs the program in a child process: coverage sees none of it.
        proj.write("banner.py", '''\
            import sys


            def render_banner(name):
                return "=" * len(name) + "\\n" + name.upper()


            def render_footer():
                return "-" * 10


            if __name__ == "__main__":
                print(render_banner(sys.argv[1]))
            ''')
        proj.write("tests/test_banner.py", '''\
            import subprocess
            import sys

            def test_cli():
                out = subprocess.run([sys.executable, "banner.py", "hi"], capture_output=True,
                                     text=True, timeout=30).stdout
                assert out == "==\\nhi\\n"
            ''')
        task = proj.task("tests/test_banner.py::test_cli", files=("banner.py",),
                         description="render_banner() must keep the name's case")
        found = proj.localize(task)
        assert found.method == "names"
        assert found.functions[0].function == "render_banner"
        assert "named in the task" in found.functions[0].evidence


class TestHangingTests:
    LOOP = '''\
        def countdown(n):
            steps = []
            while n != 0:
                steps.append(n)
                n -= 2
            return steps


        def ok():
            return 1
        '''

    def test_hanging_test_is_stopped_and_located(self, proj: Project) -> None:
        proj.write("loop.py", self.LOOP)
        proj.write("tests/test_loop.py", '''\
            from loop import countdown, ok

            def test_even():
                assert countdown(4) == [4, 2]

            def test_odd():
                assert countdown(3) == [3, 1]

            def test_ok():
                assert ok() == 1
            ''')
        task = proj.task("tests/test_loop.py::test_odd")
        # 1 s per test (the per-test cap); the whole run may take 90 s, so a loaded
        # machine's slow start-up cannot be mistaken for the hang.
        settings = AgentSettings(test_timeout=60, per_test_timeout_max=1)
        baseline = TestRun(outcomes={}, failures={}, output="", exit_code=-9, duration=4.0,
                           timed_out=True)
        found = proj.localize(task, settings, baseline=baseline)
        # Only the hanging test was stopped (by its per-test alarm): the run as a whole
        # finished, with coverage, inside its own limit.
        assert not found.timed_out
        assert found.method.startswith("coverage")
        assert found.functions[0].function == "countdown"
        assert any("hung here" in e for loc in found.lines[:3] for e in loc.evidence)

    def test_a_hang_is_the_loop_not_the_helper_it_was_calling(self, proj: Project) -> None:
        # ``wrap`` makes no progress on a word wider than the width; the alarm strikes in
        # ``display_width`` (almost all the time of each turn is spent there), below the
        # loop that does not end. Counted at the helper, the hang put the helper first.
        proj.write("wrapping.py", '''\
            def shout(s):
                return s.upper()


            def display_width(s):
                return sum(2 if ord(c) > 0x1100 else 1 for c in s)


            def wrap(words, width):
                lines, line, i = [], [], 0
                while i < len(words):
                    if display_width("".join(line + [words[i]])) <= width:
                        line.append(words[i])
                        i += 1
                    elif line:
                        lines.append("".join(line))
                        line = []
                if line:
                    lines.append("".join(line))
                return lines
            ''')
        proj.write("tests/test_wrapping.py", '''\
            from wrapping import display_width, shout, wrap

            def test_shout():
                assert shout("a") == "A"

            def test_width():
                assert display_width("a\uac00") == 3

            def test_one_line():
                assert wrap(["ab", "cd"], 4) == ["abcd"]

            def test_two_lines():
                assert wrap(["ab", "cd"], 3) == ["ab", "cd"]

            def test_long_word():
                assert wrap(["x" * 5000], 100) == ["x" * 100] * 50
            ''')
        task = proj.task("tests/test_wrapping.py::test_long_word")
        settings = AgentSettings(test_timeout=60, per_test_timeout_max=1)
        baseline = TestRun(outcomes={}, failures={}, output="", exit_code=-9, duration=4.0,
                           timed_out=True)
        found = proj.localize(task, settings, baseline=baseline)
        assert [loc.function for loc in found.functions[:2]] == ["wrap", "display_width"]
        assert any(e.startswith("the test hung in this loop (stopped below it")
                   for e in found.functions[0].evidence)

    def test_run_killed_when_the_alarm_is_ignored(self, proj: Project) -> None:
        proj.write("loop.py", self.LOOP)
        proj.write("tests/test_loop.py", '''\
            import signal
            from loop import countdown

            def test_odd():
                signal.signal(signal.SIGALRM, signal.SIG_IGN)
                assert countdown(3) == [3, 1]
            ''')
        task = proj.task("tests/test_loop.py::test_odd", description="countdown(3) hangs")
        settings = AgentSettings(test_timeout=1)
        baseline = TestRun(outcomes={}, failures={"tests/test_loop.py::test_odd": "timed out"},
                           output="", exit_code=-9, duration=1.0, timed_out=True)
        found = proj.localize(task, settings, baseline=baseline)
        assert found.timed_out  # the whole run was killed at its limit
        assert "coverage" not in found.method
        # No coverage and no traceback: the names in the task still point somewhere.
        assert found.functions and found.functions[0].function == "countdown"


class TestPack:
    def test_sections_and_line_numbers(self, pricing: Project) -> None:
        task = pricing.task("tests/test_pricing.py::test_discount",
                            description="discount() is ten times too small")
        pack = pricing.localize(task).pack
        assert pack.index("# Task T-1") < pack.index("## Failing tests") \
            < pack.index("## Suspicious code") < pack.index("## Outline of pricing.py")
        assert "def test_discount():" in pack
        assert "assert 2.0 == 20" in pack  # the failure, as pytest reported it
        assert f">{line_of(pricing, 'pricing.py', 'percent / 1000')} |" in pack
        assert "def label(amount):" in pack  # the outline of the module around
        assert str(pricing.root) not in pack

    def test_deterministic(self, pricing: Project) -> None:
        task = pricing.task("tests/test_pricing.py::test_discount",
                            "tests/test_pricing.py::test_price_with_discount")
        baseline = pricing.baseline(task)
        first = pricing.localize(task, baseline=baseline)
        second = pricing.localize(task, baseline=baseline)
        assert first.pack == second.pack
        assert first.functions == second.functions and first.lines == second.lines

    @pytest.mark.parametrize("budget", [500, 900, 3000])
    def test_budget_is_respected(self, proj: Project, budget: int) -> None:
        body = "\n".join(f"    total += {i} * x  # step {i}" for i in range(400))
        proj.write("big.py", f"def big(x):\n    total = 0\n{body}\n    return total / x\n")
        proj.write("tests/test_big.py", "from big import big\n\n\ndef test_big():\n"
                                        "    assert big(0) == 0\n")
        task = proj.task("tests/test_big.py::test_big", description="big(0) " * 300)
        pack = proj.localize(task, AgentSettings(context_token_budget=budget)).pack
        assert estimate_tokens(pack) <= budget
        assert "# Task T-1" in pack
        if budget >= 900:
            # A long function is cut to a window around its most suspicious line.
            assert ">403 |     return total / x" in pack


class TestPaths:
    def test_rootdir_below_the_repository_root(self, tmp_path: Path) -> None:
        # Node ids are rooted at the rootdir (``app/``); locations at the repository root.
        repo = Project(tmp_path / "repo")
        repo.write("app/pytest.ini", "[pytest]\n")
        repo.write("app/pricing.py", PRICING)
        repo.write("app/tests/test_pricing.py", PRICING_TESTS)
        repo.write("app/.venv/lib/site-packages/helper.py", "def discount():\n    return 0\n")
        task = repo.task("tests/test_pricing.py::test_discount")
        ws = Workspace(root=repo.root, branch="agent/T-1", base_commit="0" * 40,
                       repo_root=repo.root, rootdir=repo.root / "app")
        baseline = run_tests(ws.test_root, task.accept_tests, timeout=30)
        found = localize_detailed(task, ws, baseline, AgentSettings())
        assert (found.functions[0].path, found.functions[0].function) == ("app/pricing.py",
                                                                          "discount")
        assert all(".venv" not in loc.path for loc in found.functions)
        assert "def test_discount():" in found.pack


class TestFormulas:
    def test_ochiai_and_dstar_values(self) -> None:
        from pytest_agent.localize._sbfl import dstar
        from pytest_agent.localize._sbfl import ochiai
        from pytest_agent.localize._sbfl import suspiciousness

        assert ochiai(ef=2, ep=2, nf=0, np=3) == pytest.approx(2 / (2 * 4) ** 0.5)
        assert ochiai(ef=0, ep=4, nf=2, np=0) == 0.0
        assert dstar(ef=2, ep=1, nf=1, np=0) == 2.0
        assert dstar(ef=3, ep=0, nf=0, np=5) == 10.0  # zero denominator: ef**2 + 1
        coverage = {"m.py": {"t_fail": [1, 2], "t_pass": [1, 3]}}
        stats = suspiciousness(coverage, frozenset({"t_fail"}), frozenset({"t_pass"}), "dstar")
        assert stats[("m.py", 2)].score == 1.0  # normalized by the maximum
        assert stats[("m.py", 1)].score == pytest.approx(1 / 2)
        assert ("m.py", 3) not in stats  # run by no failing test


class TestEvidenceOfTheFault:
    """The defects of issue #17, each on a small project shaped like the real bug."""

    MONEY = '''\
        class Money:
            def __init__(self, cents):
                self.cents = cents

            def __eq__(self, other):
                return isinstance(other, Money) and self.cents == other.cents

            def __repr__(self):
                return f"Money({self.cents})"


        class RateError(Exception):
            def __init__(self, rate):
                self.rate = rate

            def __str__(self):
                return f"bad rate {self.rate}"


        def scale(money, factor):
            return Money(money.cents * factor if factor > 0 else 0)


        def convert(money, rate):
            if rate < 1:
                raise RateError(rate)
            return Money(money.cents * rate)
        '''

    def test_code_run_to_report_a_failure_is_no_evidence(self, proj: Project) -> None:
        # pytest renders the failed assertion's operands with ``Money.__repr__`` and
        # the raised error with ``RateError.__str__``: only the failing tests run them
        # (Ochiai 1.0), yet they only *explain* the failure.
        proj.write("money.py", self.MONEY)
        proj.write("tests/test_money.py", '''\
            from money import Money, convert, scale

            def test_scale():
                assert scale(Money(3), 2) == Money(6)

            def test_scale_negative():
                assert scale(Money(3), -1) == Money(-3)

            def test_convert():
                assert convert(Money(3), 2) == Money(6)

            def test_convert_fraction():
                assert convert(Money(4), 0.5) == Money(2)
            ''')
        found = proj.localize(proj.task("tests/test_money.py::test_scale_negative",
                                        "tests/test_money.py::test_convert_fraction"))
        names = [loc.function for loc in found.functions]
        assert names[0] == "convert" and "scale" in names[:3]
        for reporting in ("Money.__repr__", "RateError.__str__"):
            assert reporting not in names
            assert all(loc.function != reporting for loc in found.lines)

    def test_lines_run_at_import_or_by_every_test_are_no_evidence(self, proj: Project
                                                                   ) -> None:
        # ``audit`` is imported lazily, first by the failing test: its module-level
        # lines run once, under that test, and used to get Ochiai 1.0.
        proj.write("shop/__init__.py", "")
        proj.write("shop/audit.py", '''\
            """Audit trail, loaded on first use."""
            import warnings

            LOG = []
            LEVEL = "info"
            warnings.warn("audit: legacy module", DeprecationWarning, stacklevel=2)


            def record(event, size):
                LOG.append((event, size))
            ''')
        proj.write("shop/cart.py", '''\
            def check(rows):
                return [r for r in rows if r[1] >= 0]


            def total(rows):
                from shop import audit
                audit.record("total", len(rows))
                return sum(amount for _, amount in check(rows)[1:])
            ''')
        proj.write("tests/test_cart.py", '''\
            from shop.cart import total

            def test_total():
                assert total([("tea", 2), ("cake", 3)]) == 5

            def test_total_empty():
                assert total([]) == 0

            def test_total_negative_dropped():
                assert total([("x", -1)]) == 0
            ''')
        found = proj.localize(proj.task("tests/test_cart.py::test_total"))
        assert found.functions[0].function == "total"
        # No module-level line has a spectrum (a ``<module>`` line may still come from
        # a constant that a suspicious function reads, below it).
        assert not [e for loc in found.lines + found.functions if loc.function == "<module>"
                    for e in loc.evidence if e.startswith("ochiai")]
        assert all(any("is read by" in e for e in loc.evidence)
                   for loc in found.lines if loc.function == "<module>")
        # ``check`` runs in every test: ranked, but its lines have no evidence behind
        # their score. (With arcs, the default, the filter's branch that only the
        # failing input takes is evidence of its own: read below.)
        task = proj.task("tests/test_cart.py::test_total")
        lines_only = proj.localize(task, AgentSettings(localize_arc_weight=0))
        check = next(loc for loc in lines_only.lines if loc.function == "check")
        # 1% of its Ochiai, plus the module its test file is named after.
        assert check.score == pytest.approx(0.58 * 0.01 + 0.1, abs=0.001)
        assert check.score < lines_only.functions[0].score
        assert any("run by every test (ochiai 0.58): no evidence" in e for e in check.evidence)
        with_arcs = next(loc for loc in found.lines if loc.function == "check")
        assert any(e.startswith("arc ") for e in with_arcs.evidence), with_arcs.evidence
        assert with_arcs.score < found.functions[0].score

    POINT = '''\
        class Point:
            """A point in the plane."""

            def __init__(self, x, y):
                self.x = x
                self.y = y

            def moved(self, dx, dy):
                return Point(self.x + dx, self.y + dy)


        def midpoint(a, b):
            return Point((a.x + b.x) / 2, (a.y + b.y) / 2)
        '''

    def test_a_missing_member_gives_the_class_and_where_it_goes(self, proj: Project) -> None:
        proj.write("geometry.py", self.POINT)
        proj.write("tests/test_geometry.py", '''\
            from geometry import Point, midpoint

            def test_midpoint():
                m = midpoint(Point(0, 0), Point(2, 4))
                assert (m.x, m.y) == (1, 2)

            def test_moved():
                assert Point(1, 2).moved(1, 1) == Point(2, 3)

            def test_distinct_points():
                assert len({Point(1, 2), Point(1, 2)}) == 1
            ''')
        task = proj.task("tests/test_geometry.py::test_moved",
                         "tests/test_geometry.py::test_distinct_points")
        found = proj.localize(task)
        top = found.functions[0]
        end = line_of(proj, "geometry.py", "return Point(self.x + dx")
        assert (top.function, top.start_line, top.end_line, top.line) == ("Point", 1, end, end)
        assert any("`Point.__eq__`" in e for e in top.evidence)
        assert f"# a new member of Point goes after line {end}" in found.pack
        assert "def moved(self, dx, dy):" in found.pack

    def test_a_missing_attribute_of_a_project_class(self, proj: Project) -> None:
        proj.write("geometry.py", self.POINT)
        proj.write("tests/test_geometry.py", '''\
            from geometry import Point

            def test_moved():
                assert Point(1, 2).moved(1, 1).x == 2

            def test_distance():
                assert Point(0, 0).distance(Point(3, 4)) == 5
            ''')
        found = proj.localize(proj.task("tests/test_geometry.py::test_distance"))
        top = found.functions[0]
        assert top.function == "Point"
        assert any("`Point.distance`" in e for e in top.evidence)

    def test_the_function_that_produced_the_checked_value_leads(self, proj: Project) -> None:
        # Both functions run in the failing test only (Ochiai ties them) and the test
        # calls the caller; the callee computed the value the assertion checks.
        proj.write("prices.py", '''\
            def parse_price(text):
                whole, _, cents = text.partition(".")
                return int(whole) * 100 + int(cents[:1] or 0)


            def parse_line(line):
                name, price = line.split(",")
                return parse_price(price.strip())


            def currency(code):
                return code.upper()
            ''')
        proj.write("tests/test_prices.py", '''\
            from prices import currency, parse_line

            def test_parse_line():
                assert parse_line("tea, 2.50") == 250

            def test_currency():
                assert currency("eur") == "EUR"
            ''')
        found = proj.localize(proj.task("tests/test_prices.py::test_parse_line"))
        assert [loc.function for loc in found.functions[:2]] == ["parse_price", "parse_line"]
        assert any("produced (2 calls down)" in e for e in found.functions[0].evidence)

    def test_a_hang_reported_by_the_per_test_timeout_is_the_strongest_evidence(
        self, proj: Project
    ) -> None:
        proj.write("loop.py", '''\
            def countdown(n):
                steps = []
                while n != 0:
                    steps.append(n)
                    n -= 2
                return steps


            def ok():
                return 1
            ''')
        proj.write("tests/test_loop.py", '''\
            from loop import countdown, ok

            def test_odd():
                assert ok() == 1
                assert countdown(3) == [3, 1]
            ''')
        nodeid = "tests/test_loop.py::test_odd"
        task = proj.task(nodeid)
        baseline = TestRun(
            outcomes={nodeid: TestOutcome.FAILED},
            failures={nodeid: "Failed: hung in countdown (loop.py:4) after 2.0s"},
            output="", exit_code=1, duration=2.0,
        )
        # The ranking alone (no coverage run): the evidence is the failure text.
        ranking = rank(proj.root, task, None, baseline, "ochiai",
                       [str(proj.root / "tests/test_loop.py")], proj.root)
        assert (ranking.lines[0].function, ranking.lines[0].line) == ("countdown", 4)
        assert "the test hung here (countdown)" in ranking.lines[0].evidence
        assert ranking.functions[0].function == "countdown"

    def test_other_failing_tests_of_the_file_are_not_the_task(self, proj: Project) -> None:
        # An old code base on a new Python: ``legacy`` fails already, in a test that is
        # not the task's. Its failure says nothing about the task's fault.
        proj.write("textops.py", '''\
            import collections


            def legacy(x):
                return isinstance(x, collections.Sequence)


            def shout(text):
                return text.upper() + "!"


            def whisper(text):
                return text.upper() + "..."
            ''')
        proj.write("tests/test_textops.py", '''\
            from textops import legacy, shout, whisper

            def test_legacy():
                assert legacy([1])

            def test_shout():
                assert shout("hi") == "HI!"

            def test_whisper():
                assert whisper("Hi") == "hi..."
            ''')
        found = proj.localize(proj.task("tests/test_textops.py::test_whisper"))
        assert found.functions[0].function == "whisper"
        assert "legacy" not in {loc.function for loc in found.functions}

    def test_a_member_that_refuses_is_not_missing(self, proj: Project) -> None:
        # ``'<' not supported between instances of 'Version' and 'tuple'``: the class has
        # ``__lt__``; it returned NotImplemented. The member's code is the place.
        proj.write("version.py", '''\
            class Version:
                def __init__(self, major):
                    self.major = major

                def __lt__(self, other):
                    if not isinstance(other, Version):
                        return NotImplemented
                    return self.major < other.major
            ''')
        proj.write("tests/test_version.py", '''\
            from version import Version

            def test_order():
                assert Version(1) < Version(2)

            def test_order_with_tuple():
                assert Version(1) < (2,)
            ''')
        found = proj.localize(proj.task("tests/test_version.py::test_order_with_tuple"))
        assert found.functions[0].function == "Version.__lt__"
        assert all(loc.function != "Version" for loc in found.functions)

    def test_a_module_constant_read_by_the_suspicious_function(self, proj: Project) -> None:
        # The fault is in a module-level regex: its line ran at import (no spectrum);
        # it is reached through the function that reads it. That function's check
        # only tests for a match, computed by the regex alone, so the constant leads
        # it (#17, eighth round: a constant that alone computed what a plain guard
        # refused); before, the reader came first and the constant within the top 3.
        proj.write("dates.py", '''\
            import re

            _DATE = re.compile(r"(\\d{4})-(\\d{2})-(\\d)")


            def parse_date(text):
                match = _DATE.fullmatch(text)
                if match is None:
                    raise ValueError(f"not a date: {text}")
                return tuple(int(part) for part in match.groups())


            def format_date(year, month, day):
                return f"{year:04d}-{month:02d}-{day:02d}"
            ''')
        proj.write("tests/test_dates.py", '''\
            from dates import format_date, parse_date

            def test_format():
                assert format_date(2024, 1, 15) == "2024-01-15"

            def test_parse():
                assert parse_date("2024-01-15") == (2024, 1, 15)
            ''')
        found = proj.localize(proj.task("tests/test_dates.py::test_parse"))
        names = [loc.function for loc in found.functions]
        assert names[:2] == ["<module>", "parse_date"], names
        module = found.functions[0]
        assert module.line == line_of(proj, "dates.py", "_DATE = re.compile")
        assert any("`_DATE`" in e for e in module.evidence)

    def test_did_not_raise_has_no_checked_value(self, proj: Project) -> None:
        # ``with pytest.raises(...)`` fails on the ``with`` line; the values its body used
        # are not what the failure checks.
        proj.write("comments.py", '''\
            def make_doc():
                return {"lines": []}


            def add_comment(doc, text):
                doc["lines"].append("# " + text)
                return doc
            ''')
        proj.write("tests/test_comments.py", '''\
            import pytest
            from comments import add_comment, make_doc

            def test_empty():
                assert make_doc() == {"lines": []}

            def test_add():
                assert add_comment(make_doc(), "hi")["lines"] == ["# hi"]

            def test_multiline_rejected():
                doc = make_doc()
                with pytest.raises(ValueError):
                    add_comment(doc, "a\\nb")
            ''')
        found = proj.localize(proj.task("tests/test_comments.py::test_multiline_rejected"))
        assert found.functions[0].function == "add_comment"
        assert not [e for loc in found.functions for e in loc.evidence
                    if "the value the failing line checks" in e]


class TestNamesAndCrashes:
    def test_name_tokens(self) -> None:
        from pytest_agent.localize._signals import name_tokens

        assert name_tokens("_parse_number") == {"parse", "number"}
        assert name_tokens("ParseNumbers") == {"parse", "number"}
        assert name_tokens("test_replace_at_keeps_HTTPHeaders") == {
            "replace", "keep", "http", "header"}
        assert name_tokens("__init__") == {"init"}

    def test_a_function_named_like_the_failing_test_leads_a_tie(self, proj: Project) -> None:
        # ``tidy``, ``shout`` and the branch of ``headline`` run in the failing test only
        # (Ochiai ties them); the test calls ``headline`` (its words are no news) and is
        # named after ``tidy``.
        proj.write("text.py", '''\
            def shout(s):
                return s.upper()


            def tidy(s):
                return s.replace("\\t", " ")


            def headline(s, loud=False):
                if loud:
                    return shout(tidy(s))
                return s
            ''')
        proj.write("tests/test_text.py", '''\
            import pytest
            from text import headline

            def test_headline_quiet():
                assert headline("a") == "a"

            def test_headline_tidy_rejects_tabs():
                with pytest.raises(ValueError):
                    headline("a\\tb", loud=True)
            ''')
        found = proj.localize(proj.task("tests/test_text.py::test_headline_tidy_rejects_tabs"))
        assert [loc.function for loc in found.functions[:2]] == ["tidy", "headline"]
        assert "named like the failing test (tidy)" in found.functions[0].evidence

    def test_where_the_interpreter_raised_outweighs_a_path_only_the_failure_took(
        self, proj: Project
    ) -> None:
        # ``unit_of``'s percent branch runs in the failing test only (Ochiai 1.0);
        # ``parse_amount`` runs in two passing tests too, and ``float("50%")`` raised
        # there: where the interpreter raised is the stronger evidence.
        proj.write("amounts.py", '''\
            def unit_of(text):
                if text.endswith("%"):
                    return "percent"
                return "plain"


            def parse_amount(text):
                unit = unit_of(text)
                number = float(text)
                return number / 100 if unit == "percent" else number


            def total(texts):
                return sum(parse_amount(t) for t in texts)
            ''')
        proj.write("tests/test_amounts.py", '''\
            from amounts import parse_amount, total, unit_of

            def test_total_plain():
                assert total(["1", "2"]) == 3

            def test_total_empty():
                assert total([]) == 0

            def test_amount_plain():
                assert parse_amount("4") == 4

            def test_unit():
                assert unit_of("1") == "plain"

            def test_total_with_percent():
                assert total(["50%"]) == 0.5
            ''')
        found = proj.localize(proj.task("tests/test_amounts.py::test_total_with_percent"))
        top = found.functions[0]
        assert (top.function, top.line) == ("parse_amount", 9)
        assert any(e.startswith("raised here: ValueError") for e in top.evidence)

    def test_the_module_the_test_file_is_named_after_leads_a_tie(self, proj: Project) -> None:
        # ``scale`` and ``to_cm`` run in the failing test only and return nothing (no
        # value flow): the test file ``test_units.py`` says which module it tests.
        proj.write("shapes.py", '''\
            def scale(values, k):
                values[:] = [v * k for v in values]
            ''')
        proj.write("units.py", '''\
            def to_cm(values):
                values[:] = [v * 2.5 for v in values]
            ''')
        proj.write("tests/test_units.py", '''\
            from shapes import scale
            from units import to_cm

            def test_nothing():
                assert [] == []

            def test_box_in_cm():
                vals = [1.0]
                scale(vals, 2)
                to_cm(vals)
                assert vals == [5.08]
            ''')
        found = proj.localize(proj.task("tests/test_units.py::test_box_in_cm"))
        assert [loc.function for loc in found.functions[:2]] == ["to_cm", "scale"]
        assert ("in the module the failing test's file is named after"
                in found.functions[0].evidence)


class TestWhatTheFailingTestChecks:
    """Round 3 of issue #17: reading the failing test's own statements more closely."""

    def test_did_not_raise_points_at_what_the_block_called(self, proj: Project) -> None:
        # ``with pytest.raises(ValueError): Bits(4, 2)`` fails on the ``with`` line with
        # DID NOT RAISE: the constructor the block called should have refused its input.
        # Without that, ``as_bin`` (every one of its lines run by the failing test, as
        # often as the constructor's) wins the tie on its mean.
        proj.write("bits.py", '''\
            class Bits:
                def __init__(self, val, len_=None):
                    if len_ is None:
                        len_ = len(f"{val:b}")
                    if val > 2 ** len_:
                        raise ValueError("too big")
                    self.val = val
                    self.len = len_

                def as_bin(self):
                    return f"{self.val:b}".zfill(self.len)
            ''')
        proj.write("tests/test_bits.py", '''\
            import pytest
            from bits import Bits

            def test_default_len():
                assert Bits(5).as_bin() == "101"

            def test_bits_len_bound():
                assert Bits(3, 2).as_bin() == "11"
                with pytest.raises(ValueError):
                    Bits(4, 2)
            ''')
        found = proj.localize(proj.task("tests/test_bits.py::test_bits_len_bound"))
        assert [loc.function for loc in found.functions[:2]] == ["Bits.__init__", "Bits.as_bin"]
        assert "called on the failing line of a test" in found.functions[0].evidence

    def test_the_call_that_computed_the_checked_name_and_how_it_was_called(
        self, proj: Project
    ) -> None:
        # ``found = [... for i in search.findall(...)]`` then ``assert found == []``: the
        # failing line calls nothing and no project function returned ``found`` (a new
        # list); the statement that assigned it called ``search.findall``, the module's
        # function, not the method ``Matcher.findall`` of the same name. Every line runs
        # in both tests, so nothing else tells them apart.
        proj.write("search.py", '''\
            class Matcher:
                def __init__(self, word, case_sensitive=False):
                    self.word = word if case_sensitive else word.lower()
                    self.case_sensitive = case_sensitive

                def findall(self, text):
                    hay = text if self.case_sensitive else text.lower()
                    return [i for i in range(len(hay)) if hay.startswith(self.word, i)]


            def findall(word, text, case_sensitive=False):
                wanted = Matcher(word, case_sensitive=case_sensitive)
                return Matcher(word).findall(text)
            ''')
        proj.write("tests/test_search.py", '''\
            import search

            def test_plain():
                assert [i for i in search.findall("a", "bab")] == [1]

            def test_case_sensitive():
                found = [i for i in search.findall("A", "bab", case_sensitive=True)]
                assert found == []
            ''')
        found = proj.localize(proj.task("tests/test_search.py::test_case_sensitive"))
        top = found.functions[0]
        assert top.function == "findall"
        assert "computed a value the failing line checks" in top.evidence
        method = next(loc for loc in found.functions if loc.function == "Matcher.findall")
        assert "called by a failing test" not in method.evidence


def test_calls_are_read_with_their_receivers() -> None:
    import ast

    from pytest_agent.localize._traceback import assigned_calls
    from pytest_agent.localize._traceback import called_targets

    tree = ast.parse(textwrap.dedent('''\
        def test_it(self):
            r = mod.parse("x")
            r = other(r)
            for item in self.p.items():
                pass
            self.assertEqual(r[0], item)
        '''))
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    failing = function.body[-1]
    assert called_targets(failing) == [("self", "assertEqual")]
    # The last assignment of each name the failing line reads, one step back.
    assert assigned_calls(function, failing) == [("", "other"), ("self.p", "items")]
    # A method's receiver is not a checked value: the call on the line is the news.
    tree = ast.parse(textwrap.dedent('''\
        def test_bucket():
            bucket = Bucket(rate=1)
            assert [bucket.allow() for _ in range(3)] == [True, True, False]
        '''))
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert assigned_calls(function, function.body[-1]) == []


class TestOneFactOnce:
    def test_the_checked_call_counts_once_however_it_is_seen(self, proj: Project) -> None:
        # ``convert`` is called on the failing line *and* returned the checked value: one
        # fact seen two ways, counted once. ``convert`` runs in 25 of 26 tests (Ochiai
        # 0.2); the prefix branch of ``_digits`` in the failing test and three passing
        # ones (Ochiai 0.5): counted twice, the API entry would lead.
        proj.write("radix.py", '''\
            def _digits(text):
                if text.startswith("0") and len(text) > 1:
                    return text[2:] or "0"
                return text


            def convert(text, base=10):
                digits = _digits(text)
                return int(digits, base)
            ''')
        plain = ", ".join(f'"{n}"' for n in range(1, 22))
        proj.write("tests/test_radix.py", f'''\
            import pytest
            from radix import _digits, convert

            def test_digits_unprefixed():
                assert _digits("7") == "7"

            @pytest.mark.parametrize("text", [{plain}])
            def test_plain(text):
                assert convert(text) == int(text)

            @pytest.mark.parametrize("text", ["0x1", "0b1", "0o1"])
            def test_prefixed_one(text):
                assert convert(text, 16) == 1

            def test_hex_zero_b():
                assert convert("0B", 16) == 11
            ''')
        found = proj.localize(proj.task("tests/test_radix.py::test_hex_zero_b"))
        assert [loc.function for loc in found.functions[:2]] == ["_digits", "convert"]
        entry = found.functions[1]
        assert "called on the failing line of a test" in entry.evidence
        assert any("returned the value the failing line checks" in e for e in entry.evidence)


class TestModuleTables:
    def test_the_table_entry_the_failing_test_names(self, proj: Project) -> None:
        # Every test runs every line of ``render``; only the failing test names the
        # ``"github"`` entry of the module-level table ``FORMATS``, which is wrong.
        proj.write("fmt.py", '''\
            FORMATS = {
                "plain": (" ", ""),
                "pipe": ("|", "|"),
                "github": ("|", ""),
            }


            def render(cells, fmt):
                sep, edge = FORMATS[fmt]
                return edge + sep.join(cells) + edge
            ''')
        proj.write("tests/test_fmt.py", '''\
            from fmt import render

            def test_plain():
                assert render(["a", "b"], "plain") == "a b"

            def test_pipe():
                assert render(["a", "b"], "pipe") == "|a|b|"

            def test_github():
                assert render(["a", "b"], fmt="github") == "|a|b|"
            ''')
        found = proj.localize(proj.task("tests/test_fmt.py::test_github"))
        top = found.functions[0]
        assert (top.function, top.line) == ("<module>", line_of(proj, "fmt.py", '"github"'))
        assert any("select entry 'github' of `FORMATS`" in e for e in top.evidence)
        assert found.functions[1].function == "render"

    def test_a_copied_object_whose_class_has_no_copy_protocol(self, proj: Project) -> None:
        # ``c = copy.copy(b)`` shares ``b``'s list: the class defines none of the members
        # copying uses (``__copy__``, ``__reduce__``, ...); the place is the class, where
        # ``__copy__`` would go.
        proj.write("basket.py", '''\
            class Basket:
                def __init__(self, items=()):
                    self.items = list(items)

                def add(self, item):
                    self.items.append(item)
                    return self


            def total(prices):
                return sum(prices)
            ''')
        proj.write("tests/test_basket.py", '''\
            import copy
            from basket import Basket, total

            def test_total():
                assert total([1, 2]) == 3

            def test_add():
                assert Basket().add("x").items == ["x"]

            def test_copy_is_independent():
                b = Basket(["a"])
                c = copy.copy(b)
                b.add("x")
                assert c.items == ["a"]
            ''')
        found = proj.localize(proj.task("tests/test_basket.py::test_copy_is_independent"))
        top = found.functions[0]
        assert (top.function, top.line) == ("Basket", 7)
        assert any("needs `Basket.__copy__`" in e for e in top.evidence)


class TestThinDelegation:
    # ``prices`` only delegates to ``_line_prices`` in one statement; every test runs
    # both, so the spectrum cannot separate them, and ``prices`` is what the failing
    # line calls and what returned the checked list. The list was built below it.
    CART = '''\
        def prices(cart):
            """The price of each line of the cart."""
            return _line_prices(cart, discount=0)


        def _line_prices(cart, discount):
            found = []
            for item in cart[:2]:
                found.append(item["price"] * item.get("qty", 1) - discount)
            return found
        '''
    TESTS = '''\
        from cart import prices


        def test_one():
            assert prices([{"price": 2}]) == [2]


        def test_two():
            assert prices([{"price": 2}, {"price": 3, "qty": 2}]) == [2, 6]


        def test_three():
            assert prices([{"price": 1}, {"price": 2}, {"price": 3}]) == [1, 2, 3]
        '''

    def test_a_one_statement_delegation_passes_the_checked_value_down(
            self, proj: Project) -> None:
        proj.write("cart.py", self.CART)
        proj.write("tests/test_cart.py", self.TESTS)
        found = proj.localize(proj.task("tests/test_cart.py::test_three"))
        assert [f.function for f in found.functions[:2]] == ["_line_prices", "prices"]
        assert any("it only delegates" in e for e in found.functions[1].evidence)

    @pytest.mark.parametrize(("body", "thin"), [
        ("return self._update(arg)", True),
        ("return getattr(self.table(self.name), name)", True),
        ('"""Doc."""\n    self._update(arg)', True),
        ("return list(self.cache.keys())", True),
        ("return self._key", False),  # calls nothing: nothing below it to blame
        ('return name.replace("-", "_")', False),  # computes on an argument's value
        ("return len(arg)", False),  # a builtin
        ("return _helper(arg)", True),
        ("return mod.helper(arg)", True),
        ("return 80", False),
        ("return self._update(arg) + 1", False),
        ("return [f(x) for x in arg]", False),
        ("return f(arg[0])", False),
        ("x = f(arg)\n    return x", False),
    ])
    def test_what_counts_as_a_delegation(self, proj: Project, body: str, thin: bool) -> None:
        from pytest_agent.localize._ranker import Ranker

        proj.write("mod.py", f"def f(self, arg, name):\n    {body}\n")
        ranker = Ranker(proj.root, [])
        info = ranker.module("mod.py")
        assert info is not None
        assert ranker.delegates("mod.py", info.spans[0]) is thin
