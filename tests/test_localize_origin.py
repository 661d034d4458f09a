"""Where the wrong text of a failing comparison was made (issue #17, ninth round: origin).

The wrong segment of two compared texts (pure functions), then real inner runs on small
text pipelines in temp dirs (the coverage run as the harness starts it, then the
ranking): the stage that first made the wrong text is recorded and leads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_project import Project

from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.localize._origin import TextOrigin
from pytest_agent.localize._origin import chosen_origins
from pytest_agent.localize._origin import compared_texts
from pytest_agent.localize._origin import wrong_segment
from pytest_agent.localize._origin import wrong_segments


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project.new(tmp_path)


class TestWrongSegment:
    def test_the_first_differing_character_when_the_other_text_lacks_it(self) -> None:
        assert wrong_segment("<p><em>y</en></p>", "<p><em>y</em></p>") == "n"
        # "m" and "m>" occur in the other text ("<em>"): the window grows.
        assert wrong_segment("<p><em>y</em></p>", "<p><em>y</en></p>") == "m><"
        # Every window of that length, rightmost first (which one a function made, the
        # returns decide).
        assert wrong_segments("<p><em>y</em></p>", "<p><em>y</en></p>") == ["m><", "/em"]

    def test_grows_until_the_other_text_lacks_it_rightwards_first(self) -> None:
        # "0" alone occurs in the other text; the text before the difference is right
        # (and may come from another function): the window grows to the right first.
        assert wrong_segment("abc 10 apples", "abc 11 apples 0") == "0 "

    def test_a_deletion_is_the_junction_of_both_sides(self) -> None:
        assert wrong_segment("ab-cd", "ab-XY-cd") == "b-c"
        assert wrong_segment("ab-XY-cd", "ab-cd") == "X"

    def test_nothing_when_every_window_occurs_in_the_other_text(self) -> None:
        # One row fewer of a repeated row: the shorter text has no text of its own.
        assert wrong_segment("row\n" * 3, "row\n" * 4) is None
        assert wrong_segment("abc", "abcd") is None
        assert wrong_segment("", "x") is None
        assert wrong_segment("same", "same") is None

    def test_bytes(self) -> None:
        assert wrong_segment(b"key = 1\n", b"key = 2\n") == b"1"


def _origin(side: int, segment: str, qualname: str = "f", literal: bool = False,
            returned: int = 3, output: int = 9, line: int = 1, piece: bool = False
            ) -> TextOrigin:
    return TextOrigin(file="/p/m.py", line=line, qualname=qualname, segment=repr(segment),
                      returned=returned, output=output, makers=1, side=side, literal=literal,
                      piece=piece)


class TestChosen:
    def test_the_side_a_project_function_made(self) -> None:
        assert chosen_origins([_origin(0, "85")]) == [_origin(0, "85")]

    def test_not_the_test_s_own_text(self) -> None:
        assert chosen_origins([_origin(0, "85", literal=True)]) == []

    def test_not_whitespace_and_punctuation(self) -> None:
        # Separators, padding and markup: made by whichever stage assembles the text.
        assert chosen_origins([_origin(1, " \x01"), _origin(0, "-|-")]) == []

    def test_both_sides_the_output_or_one_function(self) -> None:
        out = _origin(0, "85", qualname="g", returned=9, output=9, piece=True)
        assert chosen_origins([out, _origin(1, "80", qualname="h", line=2)]) == [out]
        same = [_origin(0, "85"), _origin(1, "80")]
        assert chosen_origins(same) == [same[0]]
        assert chosen_origins([_origin(0, "85", qualname="g"),
                               _origin(1, "80", qualname="h", line=2)]) == []


class TestComparedTexts:
    def test_strings_bytes_and_lists_of_lines(self) -> None:
        assert compared_texts([("a", "b")]) == ("a", "b")
        assert compared_texts([(b"a", b"b")]) == (b"a", b"b")
        assert compared_texts([(["a", "b"], ("a", "c"))]) == ("a\nb", "a\nc")

    def test_not_texts(self) -> None:
        assert compared_texts([(b"a", "a")]) is None
        assert compared_texts([(1, 2), ("x", "x")]) is None
        assert compared_texts([(["a", 1], ["a", 2])]) is None

    def test_the_last_pair_of_texts_counts(self) -> None:
        # assertSequenceEqual renders the two lists, then their first differing items.
        assert compared_texts([([1, "a"], [1, "b"]), ("a", "b"), (3, 4)]) == ("a", "b")


RENDER = '''\
def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;")


def emphasis(text):
    if text.endswith("_"):
        return "<em>" + escape(text[:-1]) + "</en>"
    return "<em>" + escape(text) + "</em>"


def inline(words):
    out = []
    for word in words:
        if word.startswith("*"):
            out.append(emphasis(word.strip("*")))
        else:
            out.append(escape(word))
    return " ".join(out)


def paragraph(line):
    return "<p>" + inline(line.split()) + "</p>"


def render(text):
    return "\\n".join(paragraph(line) for line in text.splitlines() if line.strip())
'''


def _origins(proj: Project, target: str) -> list[tuple[str, str, int, int]]:
    run = run_spectrum(proj.root, proj.root, [target], timeout=120, per_test_limit=30)
    return [(o.qualname, o.segment, o.side, o.order)
            for rec in run.exceptions for o in rec.origins]


class TestRecorded:
    def test_a_pytest_assert_names_the_stage_that_made_the_wrong_text(
            self, proj: Project) -> None:
        proj.write("render.py", RENDER)
        proj.write("tests/test_render.py", '''\
            from render import render

            def test_emphasis():
                assert render("x *y_* z\\nw") == "<p>x <em>y</em> z</p>\\n<p>w</p>"
            ''')
        found = _origins(proj, "tests/test_render.py")
        # The output (left) lacks nothing the callers added: ``emphasis`` made "n", and
        # ``inline``, ``paragraph`` and ``render`` passed it on (after it, in time order).
        assert found[0] == ("emphasis", "'n'", 0, 0)
        assert [q for q, *_ in found] == [
            "emphasis", "inline", "paragraph", "render.<locals>.<genexpr>", "render"]
        assert {side for _, _, side, _ in found} == {0}  # the expected literal: nobody's

    def test_unittest_assert_equal_with_calls_as_arguments(self, proj: Project) -> None:
        proj.write("render.py", RENDER)
        proj.write("tests/test_render.py", '''\
            import unittest
            from render import render

            class TestRender(unittest.TestCase):
                def test_emphasis(self):
                    self.assertEqual("<p><em>y</em></p>", render("*y_*"))

                def test_lines(self):
                    self.assertListEqual(["<p>a</p>", "<p><em>b</em></p>"],
                                         render("a\\n*b_*").splitlines())
            ''')
        found = _origins(proj, "tests/test_render.py")
        # The program's output is the right operand here.
        assert [(q, side) for q, _, side, order in found if order == 0] == [
            ("emphasis", 1), ("emphasis", 1)]

    def test_an_assert_pytest_did_not_rewrite_in_a_helper_module(self, proj: Project) -> None:
        # tabulate's shape: ``test/common.py``'s ``assert_equal(expected, result)`` is no
        # test module, so its assert is plain Python; its names are read from the frame.
        # The maker returns a tuple holding the text (``pattern_to_regex``'s shape).
        proj.write("render.py", RENDER + "\n\ndef compile_(text):\n"
                   "    return render(text), len(text)\n")
        proj.write("tests/common.py", '''\
            def assert_equal(expected, result):
                assert expected == result
            ''')
        proj.write("tests/test_render.py", '''\
            from common import assert_equal
            from render import compile_

            def test_emphasis():
                html, _ = compile_("*y_*")
                assert_equal("<p><em>y</em></p>", html)
            ''')
        found = _origins(proj, "tests/test_render.py")
        assert [(q, side) for q, _, side, _ in found][:1] == [("emphasis", 1)]
        assert "compile_" in [q for q, *_ in found]

    def test_a_window_inside_what_one_function_made_beats_one_across_its_neighbour(
            self, proj: Project) -> None:
        # "5 " (rightmost) reaches into the row's separator; "85" is inside the cell
        # that ``cell`` made, returned before the row joined it.
        proj.write("table.py", '''\
            def cell(value):
                return "%.6f" % float(value)


            def row(values):
                return "  ".join(cell(v) for v in values)
            ''')
        proj.write("tests/test_table.py", '''\
            from decimal import Decimal
            from table import row

            def test_decimal():
                assert row([Decimal("99999998999.999980"), 1.5]) == (
                    "99999998999.999980  1.500000")
            ''')
        found = _origins(proj, "tests/test_table.py")
        assert found[0] == ("cell", "'85'", 0, 0)

    def test_text_of_the_test_s_input_is_marked_as_passed_on(self, proj: Project) -> None:
        proj.write("render.py", RENDER)
        proj.write("tests/test_render.py", '''\
            import pytest
            from render import render

            @pytest.mark.parametrize("text", ["a > b"])
            def test_escaped(text):
                assert render(text) == "<p>a &gt; b</p>"
            ''')
        run = run_spectrum(proj.root, proj.root, ["tests/test_render.py"], timeout=120,
                           per_test_limit=30)
        origins = [o for rec in run.exceptions for o in rec.origins]
        # "a >" came from the test's own text: ``escape`` passed it on (it should have
        # changed it); nothing is chosen.
        assert origins and all(o.literal for o in origins)
        assert chosen_origins(origins) == []

    def test_a_deletion_names_the_function_that_dropped_the_text(self, proj: Project) -> None:
        proj.write("table.py", '''\
            def cell(value):
                return str(value)


            def row(values):
                cells = [cell(v) for v in values]
                return " | ".join(cells[:2])


            def table(rows):
                return "\\n".join(row(r) for r in rows)
            ''')
        proj.write("tests/test_table.py", '''\
            from table import table

            def test_three_columns():
                assert table([[1, 2, 3], [4, 5, 6]]) == "1 | 2 | 3\\n4 | 5 | 6"
            ''')
        found = _origins(proj, "tests/test_table.py")
        # "2\\n" (the junction where " | 3" is missing): ``row`` returned "1 | 2" without
        # it, and only ``table``'s join made the junction.
        assert found[0][:3] == ("table", "'2\\n'", 0)

    def test_nothing_when_the_segment_is_in_the_expected_text_too(
            self, proj: Project) -> None:
        proj.write("rows.py", '''\
            def line(name):
                return name + "\\n"


            def lines(names):
                return "".join(line(n) for n in names[:-1])
            ''')
        proj.write("tests/test_rows.py", '''\
            from rows import lines

            def test_repeated():
                assert lines(["row"] * 4) == "row\\n" * 4
            ''')
        # The output is the expected text less one repeated row: every window around the
        # gap occurs in the expected text, and the expected text's own segment (its last
        # rows) was made by no project function.
        assert _origins(proj, "tests/test_rows.py") == []

    def test_expected_text_made_by_the_project_too(
            self, proj: Project) -> None:
        proj.write("render.py", RENDER)
        proj.write("tests/test_render.py", '''\
            from render import render

            def test_same_as_plain():
                assert render("*y_*") == render("*y*")
            ''')
        run = run_spectrum(proj.root, proj.root, ["tests/test_render.py"], timeout=120,
                           per_test_limit=30)
        origins = [o for rec in run.exceptions for o in rec.origins]
        # The right text's windows "m><" (rightmost) and "/em" (inside what
        # ``emphasis`` made, returned first): ``emphasis`` on both sides. Which text is
        # wrong the run cannot tell, but both were made by one function: it is chosen.
        assert {(o.qualname, o.side) for o in origins if o.order == 0} == {
            ("emphasis", 0), ("emphasis", 1)}
        assert [o.qualname for o in chosen_origins(origins)] == ["emphasis"]


ENTITIES = '''\
def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&lt;")


def inline(words):
    return " ".join(escape(word) for word in words)


def paragraph(line):
    return "<p>" + inline(line.split()) + "</p>"


def render(text):
    return "\\n".join(paragraph(line) for line in text.splitlines())
'''


class TestRanked:
    """Every test runs every function (no spectrum evidence): the entry point the test
    calls returned the checked value (value flow, 0.2), and without the origin it leads;
    the origin's 0.3 puts the stage that made the wrong text above it."""

    @pytest.mark.parametrize("test", [
        '''\
        from render import render

        def test_plain():
            assert render("a b") == "<p>a b</p>"

        def test_greater():
            assert render("a > b\\nc") == "<p>a &gt; b</p>\\n<p>c</p>"
        ''',
        '''\
        import unittest
        from render import render

        class TestRender(unittest.TestCase):
            def test_plain(self):
                self.assertEqual(render("a b"), "<p>a b</p>")

            def test_greater(self):
                self.assertEqual(render("a > b\\nc"), "<p>a &gt; b</p>\\n<p>c</p>")
        ''',
    ], ids=["pytest", "unittest"])
    def test_the_stage_that_made_the_wrong_text_leads(self, proj: Project, test: str) -> None:
        proj.write("render.py", ENTITIES)
        proj.write("tests/test_render.py", test)
        found = proj.localize(proj.task("tests/test_render.py"))
        top = found.functions[0]
        assert top.function == "escape"
        assert any("first returned the text 'l'" in e for e in top.evidence)

    def test_without_the_origin_the_entry_point_leads(self, proj: Project,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        from pytest_agent.localize import _signals

        monkeypatch.setattr(_signals, "W_TEXT_ORIGIN", 0.0)
        proj.write("render.py", ENTITIES)
        proj.write("tests/test_render.py", '''\
            from render import render

            def test_plain():
                assert render("a b") == "<p>a b</p>"

            def test_greater():
                assert render("a > b\\nc") == "<p>a &gt; b</p>\\n<p>c</p>"
            ''')
        found = proj.localize(proj.task("tests/test_render.py"))
        assert found.functions[0].function == "render"
