"""The offline engine's operators, ranking and candidate stream (no processes)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pytest_agent._types import Location
from pytest_agent.engines.offline._operators import PRIORS
from pytest_agent.engines.offline._operators import mutations
from pytest_agent.engines.offline._search import Suspiciousness
from pytest_agent.engines.offline._search import candidates
from pytest_agent.engines.offline._search import is_test_file
from pytest_agent.engines.offline._search import pairs
from pytest_agent.engines.offline._search import rank_singles
from pytest_agent.engines.offline._source import Edit
from pytest_agent.engines.offline._source import SourceFile
from pytest_agent.engines.offline._source import apply_edits
from pytest_agent.engines.offline._source import unified_diff

MODULE = textwrap.dedent("""\
    LIMIT = 10  # the most items


    def take(items, count):
        # Keep the order of the input.
        result = []
        for i in range(count):
            if i <= len(items):
                result.append(items[i])
        total = count * 2
        total += 1
        return result[1:count]


    def helper(a, b):
        return a - b
    """)


def edits_of(text: str, first: int = 1, last: int = 10**6) -> list[Edit]:
    return list(mutations(SourceFile("m.py", text), first, last))


def results(text: str, op: str | None = None) -> set[str]:
    return {apply_edits(text, [e]) for e in edits_of(text) if op is None or e.op == op}


def test_compare_swap_is_a_one_line_diff_that_keeps_comments() -> None:
    found = [e for e in edits_of(MODULE) if e.op == "compare" and e.what == "<= -> <"]
    assert len(found) == 1
    after = apply_edits(MODULE, found)
    assert "if i < len(items):" in after
    diff = unified_diff("m.py", MODULE, after)
    changed = [ln for ln in diff.splitlines() if ln.startswith(("+", "-"))]
    assert changed == ["--- a/m.py", "+++ b/m.py",
                       "-        if i <= len(items):", "+        if i < len(items):"]
    assert "# Keep the order of the input." in after
    assert "LIMIT = 10  # the most items" in after


def test_arithmetic_augassign_and_constants() -> None:
    assert MODULE.replace("count * 2", "count / 2") in results(MODULE, "arith")
    assert MODULE.replace("total += 1", "total -= 1") in results(MODULE, "augassign")
    assert MODULE.replace("LIMIT = 10", "LIMIT = 11") in results(MODULE, "constant")
    assert MODULE.replace("LIMIT = 10", "LIMIT = 9") in results(MODULE, "constant")


def test_off_by_one_on_ranges_slices_and_indices() -> None:
    found = results(MODULE, "off-by-one")
    assert MODULE.replace("range(count)", "range(count + 1)") in found
    assert MODULE.replace("result[1:count]", "result[1:count - 1]") in found
    assert MODULE.replace("items[i]", "items[i + 1]") in found
    assert MODULE.replace("result[1:count]", "result[1:]") in found
    assert MODULE.replace("result[1:count]", "result[0:count]") in results(MODULE, "constant")


def test_swaps_variables_and_guards() -> None:
    assert MODULE.replace("a - b", "b - a") in results(MODULE, "swap-operands")
    text = "def f(a, b):\n    return g(a, b)\n\n\ndef g(x, y):\n    return x\n"
    assert text.replace("g(a, b)", "g(b, a)") in results(text, "swap-args")
    assert MODULE.replace("result.append(items[i])", "result.append(items[count])") in \
        results(MODULE, "variable")
    guarded = results(MODULE, "guard")
    expected = MODULE.replace(
        "        result = []\n", "        if not items:\n            return result[1:count]\n"
        "        result = []\n", 1)
    # A guard before a statement, indented like it, returning a value the module returns.
    assert any("    if not items:\n        return result[1:count]\n    result = []" in g
               for g in guarded), expected
    for g in guarded:
        compile(g, "m.py", "exec")


def test_call_replacement_and_condition_edits() -> None:
    text = "def f(xs, lo):\n    if xs and lo > 0:\n        return min(xs)\n    return 0\n"
    assert text.replace("min(xs)", "max(xs)") in results(text, "call")
    assert text.replace("xs and lo > 0", "xs or lo > 0") in results(text, "boolop")
    assert text.replace("if xs and lo > 0", "if lo > 0") in results(text, "drop-conjunct")
    assert text.replace("lo > 0", "not (lo > 0)") in results(text, "negate")


def test_statement_delete_keeps_blocks_valid_and_move_swaps() -> None:
    text = "def f(x):\n    if x:\n        x = 1\n    y = x\n    x = 2\n    return y\n"
    deleted = results(text, "delete")
    assert text.replace("        x = 1\n", "        pass\n") in deleted
    assert text.replace("    x = 2\n", "") in deleted
    assert text.replace("    y = x\n    x = 2\n", "    x = 2\n    y = x\n") in \
        results(text, "move")


def test_byte_columns_with_non_ascii_text() -> None:
    text = 'def f(x):\n    return ("é", x < 3)\n'
    assert 'def f(x):\n    return ("é", x <= 3)\n' in results(text, "compare")


def test_every_edit_of_a_real_module_is_a_splice_that_parses_or_is_dropped() -> None:
    # Edits never reformat: outside the edited span the text is byte-identical.
    for edit in edits_of(MODULE):
        after = apply_edits(MODULE, [edit])
        assert after[: edit.start] == MODULE[: edit.start]
        assert after[edit.start + len(edit.new):] == MODULE[edit.end:]
        assert edit.prior == PRIORS[edit.op]


def locs(path: str, first: int, last: int, line: int, score: float = 1.0) -> Location:
    return Location(path=path, function="take", start_line=first, end_line=last,
                    score=score, line=line)


def test_ranking_puts_the_most_suspicious_line_first() -> None:
    src = SourceFile("m.py", MODULE)
    fn = locs("m.py", 4, 12, 8)
    line8 = Location(path="m.py", function="take", start_line=8, end_line=8, score=0.9, line=8)
    line11 = Location(path="m.py", function="take", start_line=11, end_line=11, score=0.3,
                      line=11)
    susp = Suspiciousness.from_locations([fn], [line8, line11], set())
    ranked = rank_singles({"m.py": src}, susp)
    assert ranked[0].line == 8 and ranked[0].op == "compare"
    # Only the located function is searched.
    assert all(4 <= e.line <= 12 for e in ranked)


def test_test_files_are_never_searched() -> None:
    assert is_test_file("tests/test_x.py") and is_test_file("conftest.py")
    assert is_test_file("pkg/x_test.py") and not is_test_file("src/pkg/mod.py")
    fns = [locs("tests/test_m.py", 1, 5, 2), locs("conftest.py", 1, 5, 2),
           locs("src/other.py", 1, 5, 2), locs("src/m.py", 1, 5, 2)]
    susp = Suspiciousness.from_locations(fns, [], {"src/other.py"})
    assert [s[0] for s in susp.spans] == ["src/m.py"]


def test_candidates_compile_dedupe_and_skip_previous_diffs() -> None:
    src = SourceFile("m.py", MODULE)
    sources = {"m.py": src}
    lt = next(e for e in edits_of(MODULE) if e.what == "<= -> <")
    same_ast = Edit("m.py", lt.start, lt.end, "<  ", lt.line, "compare", 1.0, "spacing only")
    broken = Edit("m.py", lt.start, lt.end, "<<<", lt.line, "compare", 1.0, "syntax error")
    gt = next(e for e in edits_of(MODULE) if e.what == "<= -> >")
    groups = [((lt,), 1.0), ((same_ast,), 0.9), ((broken,), 0.8), ((gt,), 0.7)]
    got = list(candidates(groups, sources, (), set()))
    assert [c.edits[0].what for c in got] == ["<= -> <", "<= -> >"]
    for c in got:
        ast.parse(c.files["m.py"])
        assert c.diff.startswith("--- a/m.py\n+++ b/m.py\n@@")
    # A diff tried in an earlier attempt is not proposed again.
    again = list(candidates(groups, sources, (got[0].diff,), set()))
    assert [c.edits[0].what for c in again] == ["<= -> >"]


def test_pairs_skip_overlapping_edits_and_order_by_product() -> None:
    edits = edits_of(MODULE)
    lt = next(e for e in edits if e.what == "<= -> <")
    gt = next(e for e in edits if e.what == "<= -> >")
    one = next(e for e in edits if e.op == "augassign")
    got = list(pairs([(lt, 0.9), (gt, 0.8), (one, 0.5)], 10))
    assert [tuple(e.what for e in p) for p, _ in got] == [(lt.what, one.what),
                                                          (gt.what, one.what)]
    assert got[0][1] == pytest.approx(0.45)
    both = apply_edits(MODULE, list(got[0][0]))
    assert "if i < len(items):" in both and "total -= 1" in both


# -- fix templates (issue #12): one example of each kind the issue lists ---------------


def changed_line(text: str, op: str) -> set[str]:
    """The edited lines (stripped) of every edit of ``op``."""
    out: set[str] = set()
    before = text.splitlines()
    for after in results(text, op):
        out.update(ln.strip() for ln in after.splitlines() if ln not in before)
    return out


@pytest.mark.parametrize(("op", "code", "expected"), [
    ("swap-concat", """
        def join(items):
            acc = ""
            for item in items:
                acc = acc + item
            return acc
        """, "acc = item + acc"),
    ("offset-variable", """
        def cell(t, r, c):
            if r > 0 and c > 0:
                return t[r - 1, c]
            return 0
        """, "return t[r - 1, c - r]"),
    ("off-by-one", """
        def cell(t, r, c):
            if r > 0 and c > 0:
                return t[r - 1, c]
            return 0
        """, "return t[r - 1, c - 1]"),
    ("offset-variable", """
        def pick(rest, n, m):
            if m > n:
                return None
            return select(rest, n)
        """, "return select(rest, n - m)"),
    ("slice-sequence", """
        def tail_sum(items, n):
            total = 0
            for v in items:
                total += v
            return total
        """, "for v in items[n:]:"),
    ("slice-sequence", """
        def same(a, b):
            return compare(a[1:], b)
        """, "return compare(a[1:], b[1:])"),
    ("slice-sequence", """
        class Version:
            def __hash__(self):
                return hash(self.to_tuple())
        """, "return hash(self.to_tuple()[:-1])"),
    ("own-class", """
        class Version:
            def bump(self):
                return Version(self.major + 1)
        """, "return type(self)(self.major + 1)"),
    ("use-parameter", """
        def join(parts, sep=","):
            return " ".join(parts)
        """, "return sep.join(parts)"),
    ("wrap-call", """
        def clamp_add(s, v):
            total = s + v
            return total
        """, "total = max(0, s + v)"),
    ("return-expression", """
        def settled(entries):
            balance = 0
            for e in entries:
                balance += e
            return True
        """, "return balance == 0"),
    ("return-expression", """
        def wrap(x):
            if x is None:
                return None
            return []
        """, "return [x]"),
    ("loop-condition", """
        def drain(start):
            pending = [start]
            done = []
            while True:
                done.append(pending.pop())
            return done
        """, "while pending:"),
    ("none-guard", """
        def last(node):
            while True:
                if node.next is None:
                    return node
                node = node.next
        """, "if node is None or node.next is None:"),
    ("insert-statement", """
        def pairs(items):
            prev = None
            out = []
            for cur in items:
                if prev is not None:
                    out.append((prev, cur))
            return out
        """, "prev = cur"),
    ("insert-statement", """
        def unique(values):
            seen = set()
            out = []
            for v in values:
                if v in seen:
                    continue
                out.append(v)
            return out
        """, "seen.add(v)"),
    ("insert-statement", """
        def evens(values):
            out = []
            for v in values:
                if v % 2:
                    continue
            return out
        """, "out.append(v)"),
    ("reuse-expression", """
        def relax(graph, x, w):
            dist = lookup(x)
            if dist < 0:
                return None
            return lookup(x) + w
        """, "return dist + w"),
    ("synthesize-condition", """
        def first_positive(values, limit):
            for i in range(len(values)):
                if values[i] > 0:
                    return i
            return -1
        """, "if values[i] > 0 and i < limit:"),
])
def test_each_fix_template_makes_the_edit_of_its_kind(op: str, code: str, expected: str) -> None:
    text = textwrap.dedent(code)
    assert expected in changed_line(text, op)
    assert op in PRIORS


def test_self_is_never_replaced_by_another_name() -> None:
    text = textwrap.dedent("""
        LIMIT = 3


        class Box:
            def size(self, other):
                return self.count + other
        """)
    assert not any(line.startswith(("return LIMIT.", "return other."))
                   for line in changed_line(text, "variable"))


def test_templates_only_write_names_bound_before_the_edit() -> None:
    text = textwrap.dedent("""
        def f(items):
            for v in items:
                late = v
            return True
        """)
    assert "return late == 0" not in changed_line(text, "return-expression")
    # ``items`` is a collection: never offset by a variable, never wrapped in max().
    assert not any("items -" in line for line in changed_line(text, "offset-variable"))
