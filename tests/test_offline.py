"""The offline engine's operators, ranking and candidate stream (no processes)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pytest_agent._types import Location
from pytest_agent.engines.offline._evidence import Evidence
from pytest_agent.engines.offline._operators import PRIORS
from pytest_agent.engines.offline._operators import mutations
from pytest_agent.engines.offline._search import Suspiciousness
from pytest_agent.engines.offline._search import candidates
from pytest_agent.engines.offline._search import is_test_file
from pytest_agent.engines.offline._search import pairs
from pytest_agent.engines.offline._search import rank_singles
from pytest_agent.engines.offline._search import same_edits
from pytest_agent.engines.offline._search import with_copies
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


CLASS_MODULE = textwrap.dedent("""\
    from __future__ import annotations


    class Stack:
        limit = 3

        def push(self, items, x):
            if len(items) <= self.limit:
                items.append(x)
            return items

        @property
        def size(self):
            total = 0

            return total


    class Queue:
        kind = "fifo"

        order = 1


    def top(items):
        return items[-1]
    """)


def test_candidates_of_an_edited_def_are_judged_as_the_whole_module_judges_them() -> None:
    """An edit inside one def is parsed, dumped and compiled alone (a module that is one
    big class no longer dumps the class per candidate); the fingerprint and the verdict
    are those of the whole edited module."""
    from pytest_agent.engines.offline._search import _Module

    module = _Module(CLASS_MODULE, "m.py")
    edits = [e for e in edits_of(CLASS_MODULE, 1, CLASS_MODULE.count("\n"))]
    assert len(edits) > 20
    quick = 0
    for edit in edits:
        text = apply_edits(CLASS_MODULE, [edit])
        try:
            whole: str | None = module._whole(text, [edit])
        except (SyntaxError, ValueError):
            whole = None
        alone = module._by_region([edit])
        quick += alone is not None
        assert alone is None or alone == whole, edit
    assert quick > 10  # most edits are inside a def
    # Spelled differently, one program: one candidate; ``await`` outside an async def
    # parses but does not compile: none.
    src = SourceFile("m.py", CLASS_MODULE)
    at = CLASS_MODULE.index("return total")
    end = at + len("return total")
    zero = Edit("m.py", at, end, "return 0", 16, "x", 1.0, "zero")
    spaced = Edit("m.py", at, end, "return (0)", 16, "x", 1.0, "zero again")
    awaits = Edit("m.py", at, end, "return await total", 16, "x", 1.0, "await")
    got = list(candidates([((zero,), 1.0), ((spaced,), 0.9), ((awaits,), 0.8)],
                          {"m.py": src}, (), set()))
    assert [c.edits[0].what for c in got] == ["zero"]


def test_deleting_the_last_line_of_two_classes_gives_two_candidates() -> None:
    """A deleted last line is an edit of the statement that loses it: the two programs
    differ (the edited-text lines alone missed both classes, and both were taken for the
    original module, one a duplicate of the other)."""
    src = SourceFile("m.py", CLASS_MODULE)
    ends = [CLASS_MODULE.index("return total\n"), CLASS_MODULE.index("order = 1\n")]
    deletes = [Edit("m.py", at, CLASS_MODULE.index("\n", at) + 1, "", 1, "delete", 0.35,
                    f"delete at {at}") for at in ends]
    got = list(candidates([((d,), 1.0) for d in deletes], {"m.py": src}, (), set()))
    assert len(got) == 2
    assert "return total" not in got[0].files["m.py"]
    assert "order = 1" not in got[1].files["m.py"]


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


# -- search order by the failing tests' evidence and static hints (#12 follow-up) -------

INDEX_ERROR = """\
    def first(xs):
>       return xs[0]
E       IndexError: list index out of range

m.py:2: IndexError
"""


@pytest.mark.parametrize(("text", "symptom"), [
    (INDEX_ERROR, "guard"),
    ("E       StopIteration\n", "guard"),
    ("E       ZeroDivisionError: division by zero\n", "guard"),
    ("E       TypeError: 'NoneType' object is not subscriptable\n", "none"),
    ("E       AttributeError: 'NoneType' object has no attribute 'x'\n", "none"),
    ("E       TypeError: f() takes 2 positional arguments but 3 were given\n", "signature"),
    ("E       TypeError: can only concatenate str (not \"int\") to str\n", "types"),
    ("E       AttributeError: 'Box' object has no attribute 'size'\n", "attribute"),
    ("E       AttributeError: 'int' object has no attribute 'strip'\n", "types"),
    ("E       Failed: DID NOT RAISE <class 'ValueError'>\n", "not-raised"),
    ("E       assert None is False\n", "type-mismatch"),
    ("E       AssertionError: assert 1.5 == '1.5'\n", "type-mismatch"),
    ("E    AssertionError: None is not False\n", "type-mismatch"),        # unittest
    ("E       AssertionError: 1 != '1'\n", "type-mismatch"),
    ("E        +  where False = isinstance('1.3.3', Version)\n", "type-mismatch"),
])
def test_failure_texts_name_their_symptom(text: str, symptom: str) -> None:
    assert symptom in Evidence.from_failures({"t": text}, ["t"]).symptoms


@pytest.mark.parametrize("text", [
    "E       assert 1.0 == 1\n",          # int and float compare equal: no conversion
    "E       assert 'ab' == 'abc'\n",     # same type: a wrong value, not a wrong type
    "E       assert 3 is None\n",          # None expected: a guard or a return
    "    raise ValueError('bad')\n",       # a source line of the traceback, not the error
])
def test_failure_texts_without_a_symptom(text: str) -> None:
    assert not Evidence.from_failures({"t": text}, ["t"]).symptoms


def test_evidence_only_reads_the_failing_tests() -> None:
    found = Evidence.from_failures({"a": INDEX_ERROR, "b": "E   Failed: DID NOT RAISE "
                                    "<class 'KeyError'>\n"}, ["a"])
    assert found.symptoms == {"guard"} and found.not_raised == ()
    assert Evidence.from_failures({"b": "E   Failed: DID NOT RAISE <class "
                                   "'pkg.errors.BadInput'>\n"}, ["b"]).not_raised == (
        "BadInput",)


def ranked(text: str, evidence: Evidence | None, line: int) -> list[Edit]:
    susp = Suspiciousness.from_locations(
        [Location("m.py", "f", 1, len(text.splitlines()), 1.0, line=line)], [], set())
    return rank_singles({"m.py": SourceFile("m.py", text)}, susp, evidence)


def test_a_guard_error_moves_guards_ahead_of_mutations_at_the_same_line() -> None:
    text = "def f(xs, k):\n    n = len(xs)\n    return xs[0] * k\n"
    plain = ranked(text, None, 3)
    crash = ranked(text, Evidence(frozenset({"guard"})), 3)

    def first(edits: list[Edit], op: str) -> int:
        return next(i for i, e in enumerate(edits) if e.op == op)

    assert first(plain, "guard") > first(plain, "constant")
    assert first(crash, "guard") < first(crash, "constant")
    # The evidence reorders, never adds or drops an edit.
    assert sorted(map(repr, plain)) == sorted(map(repr, crash))


def test_guards_test_local_state_and_only_read_names_bound_there() -> None:
    text = textwrap.dedent("""
        def spread(items, lengths):
            dims = len(lengths)
            order = sorted(range(dims))
            head = order[0]
            return [x for x in items if x > head]
        """)
    guarded = {ln for ln in changed_line(text, "guard") if ln.startswith("if ")}
    assert "if not dims:" in guarded and "if not order:" in guarded
    # ``x > head`` is written in the module, but ``x`` is bound only inside the
    # comprehension: a guard reading it would raise NameError.
    assert "if x > head:" not in guarded


def test_variables_are_never_read_before_they_are_bound() -> None:
    text = textwrap.dedent("""
        def f(a):
            b = a + 1
            late = b * 2
            return [y for y in range(b)] + [late]
        """)
    lines = changed_line(text, "variable")
    assert "b = late + 1" not in lines          # ``late`` is bound only after
    assert "late = a * 2" in lines              # ``a`` is bound before
    assert not any(ln.startswith("b = y") for ln in lines)  # a comprehension's own name
    looped = textwrap.dedent("""
        def g(xs):
            total = 0
            for x in xs:
                total = total + last
                last = x
            return total
        """)
    # In a loop a later binding holds a value on the next turn: still tried.
    assert "total = total + x" in changed_line(looped, "variable")


def test_an_edit_that_reads_a_dead_store_is_ranked_up() -> None:
    text = textwrap.dedent("""
        def findall(fmt, text, case=False):
            p = Parser(fmt, case=case)
            return Parser(fmt).findall(text)
        """)
    edits = edits_of(text)
    reuse = next(e for e in edits if e.op == "reuse-expression"
                 and apply_edits(text, [e]).endswith("return p.findall(text)\n"))
    assert reuse.hint > 1.0
    assert all(e.hint == 1.0 for e in edits if "p" not in e.new.split())
    unused_param = "def join(parts, sep=' '):\n    return ' '.join(parts)\n"
    use = next(e for e in edits_of(unused_param) if e.op == "use-parameter")
    assert use.hint > 1.0 and use.new == "sep"


def evidence_edits(code: str, evidence: Evidence) -> set[str]:
    text = textwrap.dedent(code)
    edits = list(mutations(SourceFile("m.py", text), 1, 10**6, evidence))
    before = text.splitlines()
    return {ln.strip() for e in edits for ln in apply_edits(text, [e]).splitlines()
            if ln not in before}


def test_raise_guard_only_where_a_test_expected_the_error() -> None:
    code = """
        def take(items, n):
            \"\"\"The first n items.\"\"\"
            out = list(items)
            return out[:n]
        """
    expected = Evidence(frozenset({"not-raised"}), ("ValueError",))
    lines = evidence_edits(code, expected)
    assert {"if n < 0:", "raise ValueError"} <= lines
    assert "if not items:" not in lines or "raise ValueError" in lines
    assert "raise ValueError" not in evidence_edits(code, Evidence())
    assert "raise-guard" in PRIORS


def test_guard_and_raise_guard_share_one_conditions_by_actions_loop() -> None:
    from pytest_agent.engines.offline._operators import Mutator

    text = "def f(a, b):\n    return a\n"
    mutator = Mutator(SourceFile("m.py", text), 1, 2, Evidence())
    start = text.index("    return")
    found = list(mutator.insert_branches(start, "    ", 2, ["not a", "b is None"],
                                         ["return 0", "raise KeyError"], "guard", 3))
    # Each condition with each action, in that order, cut at the cap.
    assert [e.what for e in found] == ["insert 'if not a: return 0' before line 2",
                                       "insert 'if not a: raise KeyError' before line 2",
                                       "insert 'if b is None: return 0' before line 2"]
    assert apply_edits(text, found[:1]) == \
        "def f(a, b):\n    if not a:\n        return 0\n    return a\n"
    assert {e.op for e in found} == {"guard"} and all(e.old == "" for e in found)
    # Both users go through it: a guard returns, a raise-guard raises the expected error.
    code = "def take(items, n):\n    out = list(items)\n    return out[:n]\n"
    raising = [e for e in edits_of_with(code, Evidence(frozenset({"not-raised"}),
                                                       ("ValueError",)))
               if e.op == "raise-guard"]
    assert raising and all(e.new.endswith("    raise ValueError\n") for e in raising)
    assert all(e.new.startswith("    if ") for e in raising)
    guards = [e for e in edits_of(code) if e.op == "guard"]
    assert guards and all("return" in e.new for e in guards)


def edits_of_with(text: str, evidence: Evidence) -> list[Edit]:
    return list(mutations(SourceFile("m.py", text), 1, 10**6, evidence))


def test_printf_style_values_are_wrapped_and_clamps_rank_as_guards() -> None:
    code = """
        def fmt(value, precision):
            spec = ".%if" % (precision - 1)
            return "%s %s" % (format(value, spec), precision - 2)
        """
    lines = evidence_edits(code, Evidence())
    # A printf-style formatted value is wrapped as an f-string's field is.
    assert 'spec = ".%if" % (max(0, precision - 1))' in lines
    assert 'return "%s %s" % (format(value, spec), max(0, precision - 2))' in lines
    assert 'spec = max(0, ".%if" % (precision - 1))' not in lines  # a str is no number
    text = textwrap.dedent(code)
    wraps = {e.new: e for e in mutations(SourceFile("m.py", text), 1, 10**6)
             if e.op == "wrap-call" and e.line == 3}
    crash = Evidence(frozenset({"guard"}))  # e.g. ValueError: a negative precision
    assert crash.factor(wraps["max(0, precision - 1)"]) == 2.5
    assert crash.factor(wraps["int(precision - 1)"]) == 1.2
    assert Evidence().factor(wraps["max(0, precision - 1)"]) == 1.0


def test_a_guard_can_return_the_empty_value_of_what_the_function_returns() -> None:
    annotated = """
        def natural(items: list) -> str:
            if len(items) == 1:
                return str(items[0])
            return ", ".join(items)
        """
    assert 'return ""' in evidence_edits(annotated, Evidence())
    built = """
        def evens(xs):
            total = len(xs)
            return [x for x in xs if x % total == 0]
        """
    assert "return []" in evidence_edits(built, Evidence())
    lazy = """
        def pairs(xs):
            total = len(xs)
            return zip(xs, range(total))
        """
    assert "return iter(())" in evidence_edits(lazy, Evidence())  # a lazy iterator's empty
    mixed = """
        def pick(xs):
            if xs:
                return xs[0]
            return "none"
        """
    found = evidence_edits(mixed, Evidence())
    assert 'return ""' not in found and "return []" not in found  # no one type: none


def test_catch_wraps_a_call_in_try_where_a_test_saw_the_error_raised() -> None:
    from pytest_agent.engines.offline._evidence import raised_errors

    pep479 = ("E       StopIteration\n\nThe above exception was the direct cause\n"
              "E       RuntimeError: generator raised StopIteration\n")
    assert raised_errors([pep479]) == ("StopIteration",)
    found = Evidence.from_failures({"t": pep479}, ["t"])
    assert found.raised == ("StopIteration",) and "guard" in found.symptoms
    code = """
        def running(seq):
            seq = iter(seq)
            total = next(seq)
            yield total
            for x in seq:
                total += x
                yield total


        def first_word(text) -> str:
            words = text.split()
            return words.pop(0)
        """
    text = textwrap.dedent(code)
    catches = {e.new: e for e in mutations(SourceFile("m.py", text), 1, 10**6, found)
               if e.op == "catch"}
    # A generator just ends; a function returns the empty value of what it returns.
    assert "    try:\n        total = next(seq)\n    except StopIteration:\n        return" \
        in catches
    fixed = apply_edits(text, [catches[
        "    try:\n        total = next(seq)\n    except StopIteration:\n        return"]])
    namespace: dict[str, object] = {}
    exec(compile(fixed, "m.py", "exec"), namespace)
    assert list(namespace["running"]([])) == []  # type: ignore[operator]
    assert list(namespace["running"]([1, 2])) == [1, 3]  # type: ignore[operator]
    assert any(e.endswith("except StopIteration:\n        return \"\"") for e in catches)
    assert Evidence(frozenset({"guard"}), raised=("StopIteration",)).factor(
        next(iter(catches.values()))) == 2.5
    # Without an error seen raised, no try is written.
    assert not [e for e in mutations(SourceFile("m.py", text), 1, 10**6, Evidence())
                if e.op == "catch"]


def test_conversions_only_where_the_tests_show_a_wrong_type() -> None:
    code = """
        def match(spec, path):
            include = spec.find(path)
            return include
        """
    mismatch = Evidence(frozenset({"type-mismatch"}), (), frozenset({"bool"}))
    assert "return bool(include)" in evidence_edits(code, mismatch)
    assert "return bool(include)" not in evidence_edits(code, Evidence())
    text = textwrap.dedent(code)
    susp = Suspiciousness.from_locations([Location("m.py", "match", 2, 4, 1.0, line=4)],
                                         [], set())
    wraps = [e.new for e in rank_singles({"m.py": SourceFile("m.py", text)}, susp, mismatch)
             if e.op == "wrap-call" and e.line == 4]
    assert wraps[0] == "bool(include)"  # the expected type's conversion first
    formatted = """
        def size(n):
            return f"{n} Bytes"
        """
    types = Evidence(frozenset({"types"}))
    assert 'return f"{int(n)} Bytes"' in evidence_edits(formatted, types)


def test_the_same_change_at_its_copies_is_one_candidate_ranked_by_its_edits() -> None:
    text = textwrap.dedent("""
        def left(s, fill):
            return '%s%s+' % (s, fill)


        def center(s, fill):
            return '%s*%s%s+' % (fill, s, fill)


        def right(s, fill):
            return '%s+%s' % (fill, s)
        """)

    def plus(at: int, line: int) -> Edit:
        return Edit("m.py", at, at + 1, "*", line, "regex", 0.5, old="+")

    first, second, third = (plus(text.index("+'"), 3), plus(text.rindex("+'"), 7),
                            plus(text.index("+%s"), 11))
    other = Edit("m.py", text.index("return"), text.index("return"), "", 3, "x", 0.5)
    copies = same_edits([first, other, second, third])
    assert copies == [(first, second), (first, second, third)]
    both = apply_edits(text, list(copies[0]))
    assert "'%s%s*'" in both and "'%s*%s%s*'" in both and "'%s+%s'" in both
    # Scored by the mean of its edits: after the singles of the most suspicious lines.
    susp = Suspiciousness.from_locations(
        [Location("m.py", "left", 2, 3, 1.0), Location("m.py", "center", 6, 7, 0.5),
         Location("m.py", "right", 10, 11, 0.1)], [], set())
    order = [g for g, _ in with_copies([first, other, second, third], susp, None, copies)]
    assert order == [(first,), (other,), (first, second), (first, second, third), (second,),
                     (third,)]



def test_regex_quantifiers_and_anchors_of_pattern_strings() -> None:
    text = textwrap.dedent(r"""
        def pattern(kind, s, fill):
            if kind == 'f':
                return r'\d+\.\d+'
            if kind == '<':
                return '%s%s+' % (s, fill)
            if kind == 'class':
                return r'[+*]\w'
            if kind == 'all':
                return r'^%s$' % s
            return 'Hello + world * 2'
        """)
    lines = changed_line(text, "regex")
    assert {r"return r'\d*\.\d+'", r"return r'\d+\.\d*'", "return '%s%s*' % (s, fill)",
            r"return r'\A%s\Z' % s"} <= lines
    # Inside a bracket class a ``+`` is a character; prose is no pattern.
    assert not any("[" in ln and "]" in ln and ln != r"return r'[+*]\w'" for ln in lines)
    assert not any("Hello" in ln for ln in lines)
    assert "regex" in PRIORS


def test_wrap_call_materializes_a_value_the_function_iterates() -> None:
    text = textwrap.dedent("""
        def juxt(*funcs):
            if len(funcs) == 1 and not callable(funcs[0]):
                funcs = funcs[0]
            return lambda x: tuple(f(x) for f in funcs)
        """)
    assert "funcs = tuple(funcs[0])" in changed_line(text, "wrap-call")
    branch = textwrap.dedent("""
        def cast(cell, kind):
            value = '' if cell is None else kind(cell)
            return value
        """)
    types = Evidence(frozenset({"types"}))
    assert "value = '' if cell is None else str(kind(cell))" in evidence_edits(branch, types)


def test_the_default_candidate_budget_leaves_the_time_budget_to_end_a_search() -> None:
    from pytest_agent.settings import AgentSettings
    from pytest_agent.settings import load_settings

    # Validation on the warm server reaches 500-1000 candidates in 60 s on real projects:
    # the old 400 stopped searches after 20-50 s (benchmarks/offline_repair/RESULTS.md).
    default = AgentSettings()
    assert default.offline_max_candidates == 2000
    assert default.offline_time_budget == 60.0
    # Still a setting a project can lower.
    lowered = load_settings(environ={"AGENT_OFFLINE_MAX_CANDIDATES": "400"})
    assert lowered.offline_max_candidates == 400


DOCUMENTED = '''\
"""Module doc."""


def natural(items) -> str:
    """Items as text: 'a, b and c'."""
    if len(items) == 1:
        return str(items[0])
    return ", ".join(items[:-1]) + " and " + items[-1]
'''


def test_no_edit_puts_a_statement_before_or_into_a_docstring() -> None:
    text = DOCUMENTED
    edits = edits_of(text)
    doc = text.index('    """Items')
    body = text.index("    if len(items)")
    # Nothing inserted before, or changed in, the module's or the function's docstring.
    assert not [e for e in edits if doc <= e.start < body or e.start < text.index("\n")]
    # The guard a fix needs still goes first in the body, after the docstring.
    first = [apply_edits(text, [e]) for e in edits if e.op == "guard" and e.start == body]
    assert any("'a, b and c'.\"\"\"\n    if not items:\n        return \"\"\n" in f for f in first)
    for fixed in first:
        func = ast.parse(fixed).body[1]
        assert isinstance(func, ast.FunctionDef)
        assert ast.get_docstring(func) == "Items as text: 'a, b and c'."


# -- constant conditions are never written (held-out run of the previous round) ----------

BOX = textwrap.dedent("""
    class Box:
        def __init__(self, items):
            self.items = items

        def size(self):
            return len(self.items)

        def describe(self, verbose, limit):
            name = self.__class__.__name__
            if verbose and self.items:
                return name + str(self.size())
            while self.items:
                self.items.pop()
            if limit == 0:
                return name
            return name * limit
    """)


def _conditions_written(text: str) -> list[str]:
    """The conditions of every edited program (one per candidate), as source text."""
    found = []
    for edit in edits_of(text):
        tree = ast.parse(apply_edits(text, [edit]))
        found += [ast.unparse(n.test) for n in ast.walk(tree) if isinstance(n, (ast.If, ast.While))]
    return found


def test_no_edit_writes_a_condition_whose_truth_is_fixed() -> None:
    conditions = set(_conditions_written(BOX))
    # A class, a method object, a builtin function, a non-empty literal, their negation,
    # a comparison of two literals, an ``and``/``or`` with such an operand.
    constant = [c for c in conditions if any(s in c for s in (
        "self.__class__", "self.size", "Box", "len ", "not len", "0 == 0", "'", '"'))
        and "self.size()" not in c]
    assert constant == [], constant
    # The operators still write conditions: guards, negations, weakened conjunctions.
    assert {"not verbose", "not (verbose and self.items)", "not self.items",
            "limit != 0"} <= conditions


@pytest.mark.parametrize(("condition", "truth"), [
    ("not self.__class__", False), ("self.__class__ is None", False), ("Box", True),
    ("self.size", True), ("len", True), ("not [1]", False), ("'a' == 'b'", False),
    ("1 < 2", True), ("x or Box", True), ("x and ()", False), ("type(x)", True),
    ("x", None), ("self.items", None), ("self.size()", None), ("x == 1", None),
    ("x and Box", None), ("f'{x}'", None), ("f'a{x}'", True),
])
def test_constant_truth_of_a_condition(condition: str, truth: bool | None) -> None:
    from pytest_agent.engines.offline._truth import ConditionFacts
    from pytest_agent.engines.offline._truth import constant_truth

    module = ast.parse("class Box:\n    def size(self):\n        pass\n")
    facts = ConditionFacts(ConditionFacts.of_module(module), frozenset({"size"}))
    assert constant_truth(ast.parse(condition, mode="eval").body, facts) is truth


# -- guards on a loop's item and on *args (fix shapes of the study split) -----------------

def test_a_guard_skips_a_loop_item_by_an_attribute_read_on_it() -> None:
    text = textwrap.dedent("""
        def values(fields, data):
            out = {}
            for field in fields:
                out[field.name] = data[field.name] if field.init else field.default
            return out
        """)
    found = {e.new.strip() for e in edits_of(text) if e.op == "guard"}
    assert "if not field.init:\n            continue" in found
    assert "if field is None:\n            continue" in found


def test_a_method_that_returns_a_changed_copy_may_return_itself_for_no_arguments() -> None:
    text = textwrap.dedent("""
        class Path:
            def __init__(self, parts):
                self.parts = parts

            def child(self, *segments):
                parts = [s.strip("/") for s in segments]
                return self.replace(parts=self.parts + parts)

            def replace(self, parts):
                return type(self)(parts)
        """)
    found = {e.new.strip() for e in edits_of(text) if e.op == "guard"}
    assert "if not segments:\n            return self" in found


def test_a_value_that_may_be_falsy_gets_a_default_of_the_module_or_none() -> None:
    # The developer's fixes `result or [0]` (a constant polynomial's derivative) and
    # `s.strip() or None` (blank text read as missing): a returned or assigned value,
    # `or` a display of constants the module writes, None, or the empty return value.
    text = textwrap.dedent("""
        ZERO = [0]


        def derivative(coeffs):
            result = [i * c for i, c in enumerate(coeffs)][1:]
            return result


        def label(s) -> str:
            value = s.strip()
            return value


        def size(items):
            n = len(items)
            return isinstance(items, list) and n
        """)
    found = results(text, "or-default")
    assert text.replace("return result\n", "return result or [0]\n") in found
    assert text.replace("value = s.strip()", "value = s.strip() or None") in found
    assert text.replace("return value\n", 'return value or ""\n') in found
    assert "or-default" in PRIORS
    # Not for numbers or truth values: `len(items) or [0]` would make no sense.
    lines = {e.line for e in edits_of(text) if e.op == "or-default"}
    assert lines and not lines & {16, 17}


def test_a_truth_test_may_become_a_presence_test() -> None:
    # A falsy value is not a missing one: `if self.cache.get(key):` -> `if key in
    # self.cache:` (a study bug's fix, tinydb), `if not x:` -> `if x is None:`.
    text = textwrap.dedent("""
        class LRU:
            def set(self, key, value):
                if self.cache.get(key):
                    self.cache[key] = value
                elif not self.order and key:
                    self.order.append(key)
                while isinstance(key, int) and key > 3:
                    key -= 1
        """)
    found = results(text, "truth-test")
    assert text.replace("if self.cache.get(key):", "if key in self.cache:") in found
    assert text.replace("if self.cache.get(key):", "if self.cache.get(key) is not None:") \
        in found
    assert text.replace("elif not self.order and key:", "elif self.order is None and key:") \
        in found
    elif_key = "elif not self.order and key is not None:"
    assert text.replace("elif not self.order and key:", elif_key) in found
    assert "truth-test" in PRIORS
    # Comparisons and truth calls are truth values already.
    assert not {e.line for e in edits_of(text) if e.op == "truth-test"} & {8}


def test_a_counter_nothing_counts_up_is_incremented_in_a_loop() -> None:
    # Set to 0, read, decremented elsewhere, never incremented: the loop that walks its
    # objects is where `node.count += 1` goes (a study program's missing statement).
    text = textwrap.dedent("""
        class Node:
            def __init__(self):
                self.count = 0
                self.size = 0


        def insert(root, word):
            node = root
            for ch in word:
                node = node.child(ch)
            root.size += 1
            return node.count


        def remove(node):
            node.count -= 1
        """)
    found = results(text, "insert-statement")
    assert text.replace("node = node.child(ch)\n",
                        "node = node.child(ch)\n        node.count += 1\n") in found
    # `size` is counted up already: never a candidate.
    assert not any("size += 1" in e.new for e in edits_of(text) if e.op == "insert-statement")
    # A lookup that changes nothing gets no counter (a side effect of a query).
    lookup = text.replace("    root.size += 1\n", "")
    assert not any("count += 1" in e.new for e in edits_of(lookup)
                   if e.op == "insert-statement")


def test_floor_division_may_count_started_groups() -> None:
    text = "def pages(items, per_page):\n    return len(items) // per_page\n"
    found = results(text, "ceil-division")
    assert text.replace("len(items) // per_page", "(len(items) + per_page - 1) // per_page") \
        in found
    assert text.replace("len(items) // per_page", "-(-len(items) // per_page)") in found
    assert not results("def half(n):\n    return n // 1\n", "ceil-division")
    assert "ceil-division" in PRIORS


def test_a_split_unpacked_into_names_is_limited() -> None:
    text = 'def parse(pair):\n    key, value = pair.split("=")\n    return key, value\n'
    found = results(text, "split-limit")
    assert text.replace('pair.split("=")', 'pair.split("=", 1)') in found
    assert text.replace('pair.split("=")', 'pair.rsplit("=", 1)') in found
    assert not results('def words(s):\n    return s.split(" ")\n', "split-limit")
    assert not results('def f(s):\n    head, *rest = s.split(",")\n    return head\n',
                       "split-limit")
    assert "split-limit" in PRIORS


def test_two_values_of_one_callee_may_be_the_same_thing() -> None:
    # `if ra == rb: return False` (a union of one set): a structural guard, not marked.
    text = textwrap.dedent("""
        class Sets:
            def union(self, a, b):
                ra, rb = self.find(a), self.find(b)
                self.parent[rb] = ra
                return True
        """)
    guard = [e for e in edits_of(text) if e.op == "pair-guard"]
    first = next(e for e in guard if e.new.split() == ["if", "ra", "==", "rb:", "return",
                                                       "False"])
    assert first.line == 5 and not first.risky
    assert "pair-guard" in PRIORS


def test_a_parameters_default_is_handled_where_the_body_starts() -> None:
    # flake8-bugbear B006: a mutable default is shared by every call; a None default read
    # without a check. One splice keeps the docstring between the signature and the body.
    text = textwrap.dedent('''\
        def tag(text, tags=[]):
            """Tags of the text."""
            tags.append(text)
            return tags


        def between(start, holidays=None):
            return set(holidays)


        def checked(items=None):
            if items is None:
                items = []
            return items
        ''')
    found = results(text, "default-param")
    assert text.replace('def tag(text, tags=[]):\n    """Tags of the text."""\n',
                        'def tag(text, tags=None):\n    """Tags of the text."""\n'
                        '    if tags is None:\n        tags = []\n') in found
    assert text.replace("    return set(holidays)",
                        "    if holidays is None:\n        holidays = ()\n"
                        "    return set(holidays)") in found
    # Checked already: nothing to add.
    assert not [e for e in edits_of(text) if e.op == "default-param" and e.line > 10]
    assert "default-param" in PRIORS
