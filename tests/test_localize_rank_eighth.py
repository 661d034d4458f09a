"""Ranking rules of the eighth round of issue #17: the raise or crash as a symptom
(STUDY.md class E), read on the study split's misses.

Each test is a small project in a temp dir with the shape of a miss, localized by the
real code (a real coverage run); each fails without its rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_project import Project


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project.new(tmp_path)


def test_the_function_that_computed_the_refused_value(proj: Project) -> None:
    # The shape of study dacite-a440f2f: a correct check in the entry point refuses a
    # value that ``convert`` should have converted (it misses "float"). ``describe``
    # runs in exactly the same tests as the line of ``convert`` that passes the value
    # on unchanged (Ochiai 0.71 each) and comes first in the file; the check's guard
    # reads ``value``, which ``convert`` computed, and not ``label``.
    proj.write("loader.py", '''\
        def describe(kind):
            if kind == "int":
                return "integer"
            return kind


        def convert(kind, value):
            if kind == "int" and isinstance(value, str):
                return int(value)
            return value


        def load(schema, data):
            out = {}
            for field, kind in schema.items():
                label = describe(kind)
                value = convert(kind, data[field])
                if type(value).__name__ != kind:
                    raise TypeError(f"{field}: expected {label}")
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
    assert names[0] == "load", names  # it raised, and the test called it
    assert names.index("convert") < names.index("describe"), names
    convert = found.functions[names.index("convert")]
    assert any("computed `value`, which the check that raised refused" in e
               for e in convert.evidence), convert.evidence
    describe = found.functions[names.index("describe")]
    assert not any("refused" in e for e in describe.evidence), describe.evidence


def test_a_project_decorator_of_a_traceback_function(proj: Project) -> None:
    # The shape of study dacite-45c2993: ``memo`` wraps functions in ``lru_cache``
    # without ``typed=True``, so ``1.0`` gets the result cached for ``1``. It runs at
    # import, while the module's functions are decorated: no test's coverage holds
    # it, and the wrapper it returns is C code with no frame. The crash is in
    # ``minor``, one of the functions it decorated.
    proj.write("versions.py", '''\
        import functools


        def memo(function):
            return functools.lru_cache(maxsize=None)(function)


        @memo
        def split_version(value, sep):
            return tuple(int(part) for part in str(value).split(sep))


        @memo
        def minor(value):
            return split_version(value, ".")[1]
        ''')
    proj.write("tests/test_versions.py", '''\
        from versions import minor
        from versions import split_version


        def test_split():
            assert split_version("2.5", ".") == (2, 5)


        def test_minor_of_a_float_after_an_int():
            assert split_version(1, ".") == (1,)
            assert minor(1.0) == 0
        ''')
    found = proj.localize(proj.task("tests/test_versions.py::test_minor_of_a_float_after_an_int"))
    names = [f.function for f in found.functions]
    assert names[0] == "minor", names
    assert "memo" in names, names
    memo = found.functions[names.index("memo")]
    assert any("decorates `minor`" in e for e in memo.evidence), memo.evidence
    assert memo.score > 0


def test_a_class_that_lacks_a_member_before_its_member_at_equal_score(proj: Project) -> None:
    # The shape of tuned boltons-ebc7a8f: ``copy.copy`` of a class without
    # ``__copy__`` goes through its ``__getstate__``/``__setstate__``, which share the
    # dict, so a change of the copy shows in the original. The class location (the
    # copy protocol it lacks) and those two members, which only the failing test runs,
    # score the same; the members used to win on ``ef``, which a missing member cannot
    # have.
    proj.write("bag.py", '''\
        class Bag:
            def __init__(self):
                self.items = {}

            def add(self, key):
                self.items[key] = self.items.get(key, 0) + 1

            def __getstate__(self):
                return {"items": self.items}

            def __setstate__(self, state):
                self.items = state["items"]
        ''')
    proj.write("tests/test_copies.py", '''\
        import copy

        from bag import Bag


        def test_add():
            bag = Bag()
            bag.add("x")
            bag.add("x")
            assert bag.items == {"x": 2}


        def test_a_copy_is_independent():
            bag = Bag()
            bag.add("x")
            other = copy.copy(bag)
            other.add("y")
            assert other.items != bag.items
        ''')
    found = proj.localize(proj.task("tests/test_copies.py::test_a_copy_is_independent"))
    top, second = found.functions[:2]
    assert top.function == "Bag", found.functions[:3]
    assert second.function.startswith("Bag.__")
    assert top.score == second.score  # the shape: a tie
    assert any("`Bag.__copy__`" in e for e in top.evidence), top.evidence


# The tests of the two versions.py projects below: a two-part version parses, a three-part
# one is refused by the check.
VERSIONS_TESTS = '''\
    from versions import parse


    def test_two_parts():
        assert parse("1.2") == (1, 2)


    def test_three_parts():
        assert parse("1.2.3") == (1, 2, 3)
    '''


def test_a_constant_that_alone_computed_what_a_plain_guard_refused(proj: Project) -> None:
    # The shape of tuned semver-017e296: ``parse`` raises when the module's regex
    # does not match; the regex lacks the third part of a version. The check only
    # tests for a match (``if match is None``), and nothing but the constant computed
    # the match from the test's text: the constant leads the function that raised.
    proj.write("versions.py", '''\
        import re

        _PATTERN = re.compile(r"^(\\d+)\\.(\\d+)$")


        def parse(text):
            match = _PATTERN.match(text)
            if match is None:
                raise ValueError(f"{text!r} is not a version")
            return tuple(int(part) for part in match.groups())
        ''')
    proj.write("tests/test_versions.py", VERSIONS_TESTS)
    found = proj.localize(proj.task("tests/test_versions.py::test_three_parts"))
    top, second = found.functions[:2]
    assert (top.function, second.function) == ("<module>", "parse"), found.functions[:3]
    assert top.line == 3  # the constant's line
    assert any("`_PATTERN` alone computed what the check in `parse` refused" in e
               for e in top.evidence), top.evidence


def test_no_constant_leads_when_a_project_function_computed_the_refused_value(
        proj: Project) -> None:
    # The same check, but the text goes through a project function first: that
    # function may be the fault, so the constant keeps its reader's share only.
    proj.write("versions.py", '''\
        import re

        _PATTERN = re.compile(r"^(\\d+)\\.(\\d+)$")


        def clean(text):
            return text.strip()


        def parse(text):
            match = _PATTERN.match(clean(text))
            if match is None:
                raise ValueError(f"{text!r} is not a version")
            return tuple(int(part) for part in match.groups())
        ''')
    proj.write("tests/test_versions.py", VERSIONS_TESTS)
    found = proj.localize(proj.task("tests/test_versions.py::test_three_parts"))
    assert found.functions[0].function == "parse", found.functions[:3]
    assert not any("alone computed" in e for f in found.functions for e in f.evidence)
