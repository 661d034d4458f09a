"""Value spectra (issue #17, seventh round): the coverage run records the coarse classes
of what project functions take and return in every test (localize/_valuerec.py), and
the ranking favours the function where a failing test's value first left the classes
passing tests saw (localize/_values.py). Real recorders, real coverage runs of small
projects in tmp dirs."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import pickle
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from pytest_agent._types import Task
from pytest_agent.localize import _statements
from pytest_agent.localize import _values
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.localize._evidence import ProjectFiles
from pytest_agent.localize._rank import rank
from pytest_agent.localize._valuerec import GIVEN
from pytest_agent.localize._valuerec import PER_FUNCTION
from pytest_agent.localize._valuerec import PER_FUNCTION_PREDICATES
from pytest_agent.localize._valuerec import RAISED
from pytest_agent.localize._valuerec import SAMPLE_AFTER
from pytest_agent.localize._valuerec import UNCHANGED
from pytest_agent.localize._valuerec import VALUES_ENV
from pytest_agent.localize._valuerec import ValueRecorder
from pytest_agent.localize._valuerec import ValueSpectrum
from pytest_agent.localize._valuerec import split_class
from pytest_agent.localize._valuerec import value_class
from pytest_agent.localize._valuerec import value_spectrum


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(autouse=True)
def recording(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coverage runs here record value spectra (off by default: see _valuerec)."""
    monkeypatch.setenv(VALUES_ENV, "1")


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


class TestValueClasses:
    @pytest.mark.parametrize(("value", "cls"), [
        (None, "None"), (True, "True"), (False, "False"),
        (0, "int:0"), (-3, "int:-"), (7, "int:+"), (0.5, "float:+"), (-0.0, "float:0"),
        (float("nan"), "float:nan"), (float("-inf"), "float:inf"),
        ("", "str:0"), ("a", "str:1"), ("ab", "str:n"), (b"", "bytes:0"),
        ([], "list:0"), ((1,), "tuple:1"), ({1: 2, 3: 4}, "dict:n"), (frozenset(), "frozenset:0"),
        (3j, "complex"), (ValueError("x"), "ValueError"),
    ])
    def test_coarse_classes(self, value: object, cls: str) -> None:
        assert value_class(value) == cls

    def test_no_method_of_a_user_object_is_called(self) -> None:
        class Loud(list[int]):
            def __len__(self) -> int:
                raise AssertionError("len called")

        # A subclass of a sized type is a type name: its __len__ is user code.
        assert value_class(Loud()).endswith("<locals>.Loud")

    def test_the_class_text_splits_into_arguments_and_return(self) -> None:
        assert split_class("int:+,str:n>None") == (("int:+", "str:n"), "None")
        assert split_class(">True") == ((), "True")


class TestRecorder:
    """The profile function, in this process, over a module of a tmp project."""

    SOURCE = '''\
        def worker(n):
            return n - 10


        def entry(n):
            return worker(n) * 2


        def same(text):
            return text


        def fails(n):
            raise ValueError(n)


        def maybe(n):
            if n:
                raise KeyError(n)
            return None


        def gen():
            yield 1


        class Box:
            def put(self, item):
                return [item]
        '''

    @pytest.fixture
    def mod(self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
        write(proj, "vals.py", self.SOURCE)
        monkeypatch.syspath_prepend(str(proj))
        sys.modules.pop("vals", None)
        return importlib.import_module("vals")

    def observe(self, proj: Path, calls: list[tuple[str, tuple[object, ...]]],
                mod: ModuleType) -> tuple[ValueSpectrum, set[tuple[str, str, str]]]:
        recorder = ValueRecorder(ProjectFiles(str(proj)))
        recorder.start()
        try:
            for name, args in calls:
                target = getattr(mod, name) if "." not in name else getattr(
                    getattr(mod, name.split(".")[0])(), name.split(".")[1])
                with contextlib.suppress(ValueError, KeyError):  # fails, maybe
                    list(target(*args)) if name == "gen" else target(*args)
        finally:
            recorder.stop()
        spectrum = value_spectrum(recorder.records("t.py::test_x"))
        assert spectrum is not None
        names = {i: q for i, (_, _, q) in enumerate(spectrum.functions)}
        seen = {(names[f], spectrum.classes[c], names.get(caller, "-"))
                for f, c, caller in spectrum.observations("t.py::test_x")}
        return spectrum, seen

    def test_arguments_returns_and_callers(self, proj: Path, mod: ModuleType) -> None:
        _, seen = self.observe(proj, [("entry", (3,)), ("entry", (30,)), ("same", ("ab",)),
                                      ("fails", (1,)), ("maybe", (0,)), ("maybe", (1,)),
                                      ("gen", ()), ("Box.put", ("x",))], mod)
        assert seen == {
            ("worker", "int:+>int:-", "entry"), ("entry", "int:+>int:-", "-"),
            ("worker", "int:+>int:+", "entry"), ("entry", "int:+>int:+", "-"),
            # returned its argument unchanged
            ("same", "str:n>str:n=", "-"),
            # left by an exception (not "returned None")
            ("fails", f"int:+>{RAISED}", "-"),
            ("maybe", "int:0>None", "-"), ("maybe", f"int:+>{RAISED}", "-"),
            # ``self`` is not an argument; a generator is not recorded
            ("Box.put", "str:1>list:1", "-"),
        }

    def test_bounded_per_function_and_sampled_after_many_calls(
            self, proj: Path, mod: ModuleType) -> None:
        numbers = [-1, 0, 1] * 3
        spectrum, seen = self.observe(
            proj, [("same", (v,)) for v in ("", "a", "ab", b"", b"a", b"ab", [], None, 1.5)]
            + [("worker", (n,)) for n in numbers], mod)
        assert len([s for s in seen if s[0] == "same"]) == PER_FUNCTION
        assert spectrum.truncated == {"t.py::test_x"}
        # Past SAMPLE_AFTER calls only every SAMPLE_EVERY-th call is looked at: a
        # class that shows only in between is not seen.
        _, seen = self.observe(proj, [("worker", (20,))] * SAMPLE_AFTER + [("worker", (1,))],
                               mod)
        assert seen == {("worker", "int:+>int:+", "-")}

    def test_records_of_two_processes_do_not_mix(self) -> None:
        # A warm server's forked children number their functions each on their own.
        records = [
            {"kind": "values-functions", "pid": 1, "first": 0,
             "functions": [["/p/m.py", 1, "f"], ["/p/m.py", 5, "g"]]},
            {"kind": "values-functions", "pid": 2, "first": 0,
             "functions": [["/p/m.py", 5, "g"]]},
            {"kind": "values-test", "pid": 1, "nodeid": "a", "truncated": False,
             "seen": [[0, "int:+>None", [-1]], [1, ">True", [0]]]},
            {"kind": "values-test", "pid": 2, "nodeid": "b", "truncated": True,
             "seen": [[0, ">True", [-1]], [7, ">True", [-1]]]},
        ]
        spectrum = value_spectrum(records)
        assert spectrum is not None
        named = {n: {(spectrum.functions[f][2], spectrum.classes[c],
                      spectrum.functions[k][2] if k >= 0 else "-")
                     for f, c, k in spectrum.observations(n)} for n in ("a", "b")}
        assert named == {"a": {("f", "int:+>None", "-"), ("g", ">True", "f")},
                         "b": {("g", ">True", "-")}}  # number 7 was never announced
        assert spectrum.truncated == {"b"}
        assert value_spectrum([{"kind": "coverage-test"}]) is None


# The failing test's total is short by the fee, which went negative for a small
# amount. Every test runs both functions (their one line each: "run by every test, no
# evidence"); the test calls checkout and checks what it returned, so the traceback
# and value-flow signals put checkout first. Only fee returned a class (int:-) that no
# passing test saw it return, from an argument of a class they gave it (int:+).
SHOP = '''\
    def fee(amount):
        return amount // 10 - 5


    def checkout(amount):
        total = amount + fee(amount)
        return total
    '''

SHOP_TESTS = '''\
    from shop import checkout


    def test_large():
        assert checkout(100) == 105


    def test_larger():
        assert checkout(300) == 325


    def test_small():
        assert checkout(20) == 20
    '''


class TestSignal:
    def run(self, proj: Path) -> SpectrumRun:
        write(proj, "shop.py", SHOP)
        write(proj, "tests/test_shop.py", SHOP_TESTS)
        return run_spectrum(proj, proj, ["tests/test_shop.py"], timeout=120,
                            per_test_limit=30)

    def ranked(self, proj: Path, run: SpectrumRun) -> list[str]:
        task = Task(id="T-1", description="fix it",
                    accept_tests=("tests/test_shop.py::test_small",))
        ranking = rank(proj, task, run, None, "ochiai", ["tests/test_shop.py"], proj)
        return [loc.function for loc in ranking.functions]

    def test_the_worker_whose_return_is_anomalous_leads_the_entry_point(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        run = self.run(proj)
        assert run.failing == {"tests/test_shop.py::test_small"}
        monkeypatch.setattr(_values, "W_VALUE_INPUT", 0.0)
        monkeypatch.setattr(_values, "W_VALUE_ORIGIN", 0.0)
        assert self.ranked(proj, run) == ["checkout", "fee"]
        monkeypatch.setattr(_values, "W_VALUE_ORIGIN", 0.3)
        assert self.ranked(proj, run) == ["fee", "checkout"]
        task = Task(id="T-1", description="fix it",
                    accept_tests=("tests/test_shop.py::test_small",))
        fee = rank(proj, task, run, None, "ochiai", ["tests/test_shop.py"], proj).functions[0]
        assert any("value spectrum: returned int:- from (int:+)" in e for e in fee.evidence)

    def test_the_caller_that_only_passes_a_bad_value_on_is_no_origin(
            self, proj: Path) -> None:
        write(proj, "shop.py", SHOP)
        write(proj, "tests/test_shop.py", SHOP_TESTS.replace("checkout(20) == 20",
                                                              "checkout(2) == 2"))
        run = run_spectrum(proj, proj, ["tests/test_shop.py"], timeout=120, per_test_limit=30)
        assert run.values is not None
        names = {q: i for i, (_, _, q) in enumerate(run.values.functions)}
        # Both returned int:- (fee(2) = -5, checkout(2) = -3), a class neither returned
        # in a passing test, from an int:+ as there ...
        failing = {(f, run.values.classes[c])
                   for f, c, _ in run.values.observations("tests/test_shop.py::test_small")}
        assert failing == {(names["fee"], "int:+>int:-"), (names["checkout"], "int:+>int:-")}
        # ... but checkout only passed on what fee returned: fee is the origin.
        found = _values.value_findings(run, run.failing)
        assert {f: [x.kind for _, x in hits] for f, hits in found.items()} == {
            names["fee"]: [_values.RETURNED]}

    def test_a_novel_input_makes_no_origin_but_its_deepest_receiver(self, proj: Path) -> None:
        write(proj, "shop.py", SHOP)
        write(proj, "tests/test_shop.py", SHOP_TESTS.replace("checkout(20) == 20",
                                                              "checkout(-20) == -20"))
        run = run_spectrum(proj, proj, ["tests/test_shop.py"], timeout=120, per_test_limit=30)
        # fee(-20) returned int:-, but no passing test gave it a negative amount: the
        # input is what is new, not the function's answer to it. checkout was given it
        # first and passed it on to fee, the deepest receiver.
        assert run.failing == {"tests/test_shop.py::test_small"}
        assert run.values is not None
        found = _values.value_findings(run, run.failing)
        assert {run.values.functions[f][2]: [(x.kind, x.cls) for _, x in hits]
                for f, hits in found.items()} == {"fee": [(_values.RECEIVED, "int:->int:-")]}

    def test_no_recording_no_signal_and_old_runs_still_load(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(VALUES_ENV)  # the default
        run = self.run(proj)
        assert run.values is None and run.failing
        monkeypatch.setattr(_values, "W_VALUE_ORIGIN", 1.0)
        assert self.ranked(proj, run)[0] == "checkout"
        # A run pickled before the field existed (the localization cache) reads as None.
        state = dict(vars(run))
        del state["values"]
        old = object.__new__(SpectrumRun)
        old.__dict__.update(state)
        loaded = pickle.loads(pickle.dumps(old))
        assert loaded.values is None


class TestPredicates:
    """CBI's scalar-pair predicates (eighth round): the return against the first
    argument, the receiver's attributes before against after."""

    SOURCE = '''\
        class Stack:
            def __init__(self):
                self.items = []
                self.name = None

            def push(self, item):
                self.items.append(item)

            def peek(self):
                return self.items[-1]

            def rename(self, name):
                self.name = name

            def many(self, n):
                for i in range(n):
                    setattr(self, f"a{i}", i)


        class Slots:
            __slots__ = ("x",)

            def __getattr__(self, name):
                raise AssertionError(name)

            def touch(self):
                self.x = 1


        def drop_first(items):
            return items[1:]


        def copy(items):
            return list(items)


        def double(n):
            return n * 2


        def size(items):
            return len(items)
        '''

    def observe(self, proj: Path, monkeypatch: pytest.MonkeyPatch,
                script: str) -> tuple[ValueSpectrum, set[tuple[str, str]]]:
        write(proj, "preds.py", self.SOURCE)
        monkeypatch.syspath_prepend(str(proj))
        sys.modules.pop("preds", None)
        mod = importlib.import_module("preds")
        recorder = ValueRecorder(ProjectFiles(str(proj)))
        recorder.start()
        try:
            exec(script, vars(mod))
        finally:
            recorder.stop()
        spectrum = value_spectrum(recorder.records("t.py::test_x"))
        assert spectrum is not None and spectrum.predicates is not None
        names = {i: q for i, (_, _, q) in enumerate(spectrum.functions)}
        return spectrum, {(names[f], spectrum.predicate_texts[p].partition(GIVEN)[2])
                          for f, p, _ in spectrum.true_predicates("t.py::test_x")}

    def test_returns_against_arguments_and_the_receivers_state(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        _, seen = self.observe(proj, monkeypatch, (
            "s = Stack(); s.push(1); s.push(2); s.peek(); s.rename('a')\n"
            "drop_first([1, 2, 3]); copy([1, 2]); double(3); double(0); size([1, 2])\n"
            "t = Slots(); t.touch()\n"))
        assert seen == {
            # each attribute that changed class, and the call's whole change
            ("Stack.__init__", ".items:>list:0"), ("Stack.__init__", ".name:>None"),
            ("Stack.__init__", "{.items:>list:0 .name:>None}"),
            ("Stack.push", ".items:list:0>list:1"), ("Stack.push", "{.items:list:0>list:1}"),
            ("Stack.push", ".items:list:1>list:n"), ("Stack.push", "{.items:list:1>list:n}"),
            ("Stack.peek", UNCHANGED),
            ("Stack.rename", ".name:None>str:1"), ("Stack.rename", "{.name:None>str:1}"),
            # a filter that dropped an item, a copy, a number that grew or stayed
            ("drop_first", "ret<arg"), ("copy", "ret=arg"),
            ("double", "ret>arg"), ("double", "ret=arg"),
            # a return of another type than the argument's is not compared (size)
            # no instance dict: no state, and no __getattr__ of the project called
        }

    def test_a_sized_attribute_that_grows_within_its_class(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        spectrum, seen = self.observe(proj, monkeypatch,
                                      "s = Stack(); s.push(1); s.push(2); s.push(-3)\n")
        assert ("Stack.push", ".items:+") in seen
        assert ("Stack.push", "{.items:+}") in seen
        # Each predicate goes with the argument classes of the calls where it held.
        assert {spectrum.predicate_texts[p] for _, p, _ in spectrum.true_predicates(
            "t.py::test_x")} >= {f"int:-{GIVEN}.items:+", f"int:+{GIVEN}.items:list:1>list:n"}

    def test_bounded_per_function(self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        # rename of ten classes: ten ".name:None>X" and ten whole changes, each with the
        # argument's class: more than the bound.
        spectrum, _ = self.observe(proj, monkeypatch, (
            "for v in (0, 1, -1, 0.5, '', 'a', [], [1], None, True):\n"
            "    Stack().rename(v)\n"))
        rename = next(i for i, f in enumerate(spectrum.functions) if f[2] == "Stack.rename")
        kept = {p for f, p, _ in spectrum.true_predicates("t.py::test_x") if f == rename}
        assert len(kept) == PER_FUNCTION_PREDICATES
        assert spectrum.truncated == {"t.py::test_x"}


# The failing test checks the cache's order through an accessor (the property ``lru``),
# which only returns what ``set``, called by an earlier statement, wrote: updating a key
# whose value is falsy takes the branch of a new key and appends it again (tuned/study
# class C of STUDY.md: tinydb-dcf0a01's fault, reduced). Only the failing test's ``set``
# grew ``order`` without a new key.
LRU = '''\
    class Cache:
        def __init__(self):
            self.data = {}
            self.order = []

        def set(self, key, value):
            if self.data.get(key):
                self.data[key] = value
                self.order.remove(key)
                self.order.append(key)
            else:
                self.data[key] = value
                self.order.append(key)

        def get(self, key):
            return self.data.get(key)

        @property
        def lru(self):
            return list(self.order)
    '''

LRU_TESTS = '''\
    from lru import Cache


    def test_new_keys():
        cache = Cache()
        cache.set("a", 1)
        cache.set("b", 2)
        assert cache.lru == ["a", "b"]


    def test_update_moves_to_end():
        cache = Cache()
        cache.set("a", 1)
        cache.set("b", 2)
        cache.set("a", 3)
        assert cache.lru == ["b", "a"]


    def test_get():
        cache = Cache()
        cache.set("a", 1)
        assert cache.get("a") == 1


    def test_update_a_falsy_value():
        cache = Cache()
        cache.set("a", 0)
        cache.set("b", 2)
        cache.set("a", 3)
        assert cache.lru == ["b", "a"]
    '''


class TestPredicateSignal:
    def test_the_mutator_that_wrote_the_checked_state_gains(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write(proj, "lru.py", LRU)
        write(proj, "tests/test_lru.py", LRU_TESTS)
        run = run_spectrum(proj, proj, ["tests/test_lru.py"], timeout=120, per_test_limit=30)
        assert run.failing == {"tests/test_lru.py::test_update_a_falsy_value"}
        assert run.values is not None
        found = _values.predicate_findings(run, run.failing)
        # .order grew within its class (list:n) only there: Failure 1, Context 1/4.
        assert {run.values.functions[f][2]: [(x.predicate, x.increase) for _, x in hits]
                for f, hits in found.items()} == {"Cache.set": [(".order:+", 0.75)]}
        task = Task(id="T-1", description="fix it",
                    accept_tests=("tests/test_lru.py::test_update_a_falsy_value",))

        def ranked() -> list[tuple[str, tuple[str, ...]]]:
            ranking = rank(proj, task, run, None, "ochiai", ["tests/test_lru.py"], proj)
            return [(loc.function, loc.evidence) for loc in ranking.functions]

        # The predicate's own effect: without the changed-state statement signal of the
        # ninth round (which alone moves ``set``, the mutator, above ``__init__`` here).
        monkeypatch.setattr(_statements, "W_CHANGED_STATE", 0.0)
        monkeypatch.setattr(_values, "W_VALUE_PREDICATE", 0.0)
        assert [f for f, _ in ranked()] == ["Cache.lru", "Cache.__init__", "Cache.set"]
        monkeypatch.setattr(_values, "W_VALUE_PREDICATE", 0.3)
        after = ranked()
        assert [f for f, _ in after] == ["Cache.lru", "Cache.set", "Cache.__init__"]
        assert any(e.startswith("value predicate: .order:+ in 1 failing test(s)")
                   for e in after[1][1])

    def test_a_run_without_predicates_has_no_finding(self, proj: Path) -> None:
        write(proj, "lru.py", LRU)
        write(proj, "tests/test_lru.py", LRU_TESTS)
        run = run_spectrum(proj, proj, ["tests/test_lru.py"], timeout=120, per_test_limit=30)
        assert run.values is not None
        # A run recorded before the predicates (the localization cache) has none.
        old = dataclasses.replace(run, values=dataclasses.replace(
            run.values, predicate_texts=(), predicates=None))
        assert _values.predicate_findings(old, old.failing) == {}
        assert _values.predicate_findings(run, run.failing)


def test_an_ordinary_run_imports_no_recorder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain='''
        import sys

        def test_plain():
            assert sys.getprofile() is None
            assert "pytest_agent.localize._valuerec" not in sys.modules
        ''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
