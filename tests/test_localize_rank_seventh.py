"""Ranking rules of the seventh round of issue #17: evidence the study and tuned misses
lacked (no weights could put them first).

Each test is a small project in a temp dir with the shape of a miss, localized by the
real code (a real coverage run); each fails without its rule.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from localize_project import Project

from pytest_agent.localize._iteration import iterated_classes
from pytest_agent.localize._traceback import statement_at


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project.new(tmp_path)


CACHE = '''\
    class LRUCache:
        def __init__(self, capacity=3):
            self.capacity = capacity
            self.cache = {}

        def __len__(self):
            return len(self.cache)

        def __contains__(self, key):
            return key in self.cache

        def __setitem__(self, key, value):
            self.cache[key] = value
            if len(self.cache) > self.capacity:
                del self.cache[next(iter(self.cache))]

        def __getitem__(self, key):
            return self.get(key)

        def get(self, key, default=None):
            return self.cache.get(key, default)
    '''


def test_a_class_iterated_by_index_lacks_iter(proj: Project) -> None:
    # The shape of study tinydb-0475b23: ``for _ in cache`` over a mapping-like class
    # with ``__getitem__`` and no ``__iter__``: Python calls ``cache[0]``, ``get``
    # returns its default, and the loop yields ``None``. The item access is run by
    # the failing test only; the fault is the member the class lacks.
    proj.write("cache.py", CACHE)
    proj.write("tests/test_cache.py", '''\
        from cache import LRUCache


        def test_set_get():
            cache = LRUCache()
            cache["a"] = 1
            assert cache.get("a") == 1
            assert "a" in cache


        def test_capacity():
            cache = LRUCache(capacity=1)
            cache["a"] = 1
            cache["b"] = 2
            assert len(cache) == 1


        def test_iterating_an_empty_cache():
            cache = LRUCache()
            for _ in cache:
                assert False, "an empty cache has no keys"
        ''')
    found = proj.localize(proj.task("tests/test_cache.py::test_iterating_an_empty_cache"))
    top = found.functions[0]
    assert top.function == "LRUCache", [f.function for f in found.functions]
    assert any("`LRUCache.__iter__`" in e for e in top.evidence), top.evidence
    assert top.line == top.end_line  # a new member goes after the class's last line


def _site(source: str, marker: str) -> tuple[ast.AST, ast.stmt | None, int]:
    tree = ast.parse(textwrap.dedent(source))
    line = next(i for i, text in enumerate(textwrap.dedent(source).splitlines(), 1)
                if marker in text)
    function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    return function, statement_at(tree, line), line


def test_what_the_failing_statement_iterates() -> None:
    loop = _site('''\
        def test_it():
            table = mod.Table(rows)
            other = Other()
            for row in table:
                assert row  # here
        ''', "# here")
    assert iterated_classes(*loop) == ["Table"]
    built = _site('''\
        def test_it():
            assert sorted(Bag([2, 1])) == [1, 2]  # here
        ''', "# here")
    assert iterated_classes(*built) == ["Bag"]
    # A loop that ended before the failing line, a function's result, a lowercase call.
    none = _site('''\
        def test_it():
            for x in Table():
                pass
            assert [r for r in load()] == list(make())  # here
        ''', "# here")
    assert iterated_classes(*none) == []


def test_the_exception_a_failing_test_reports_is_no_evidence(proj: Project) -> None:
    # The shape of study dacite-a440f2f: a correct check raises a project exception
    # for a value that ``convert`` should have converted. The exception's ``__init__``
    # and its base's run for the failing test only (Ochiai 1.0); ``convert`` runs for
    # every test (0.71). Building the report of a failure is not the fault.
    proj.write("loader.py", '''\
        class FieldError(Exception):
            def __init__(self, field):
                super().__init__(field)
                self.field = field


        class WrongTypeError(FieldError):
            def __init__(self, field, value):
                super().__init__(field)
                self.value = value

            def __str__(self):
                return f"wrong type for {self.field}: {self.value!r}"


        def convert(kind, value):
            if kind == "int" and isinstance(value, str):
                return int(value)
            return value


        def load(schema, data):
            out = {}
            for field, kind in schema.items():
                value = convert(kind, data[field])
                if type(value).__name__ != kind:
                    raise WrongTypeError(field, value)
                out[field] = value
            return out
        ''')
    proj.write("tests/test_loader.py", '''\
        from loader import load


        def test_load_int_from_text():
            assert load({"a": "int"}, {"a": "3"}) == {"a": 3}


        def test_load_plain():
            assert load({"a": "int", "b": "str"}, {"a": 3, "b": "x"}) == {"a": 3, "b": "x"}


        def test_load_float_from_text():
            assert load({"a": "float"}, {"a": "2.5"}) == {"a": 2.5}
        ''')
    found = proj.localize(proj.task("tests/test_loader.py::test_load_float_from_text"))
    names = [f.function for f in found.functions]
    assert names.index("convert") < min(names.index(n) for n in names if "Error." in n), names
    init = found.functions[names.index("WrongTypeError.__init__")]
    assert any("builds the exception a failing test reports" in e for e in init.evidence)
