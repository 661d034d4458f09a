"""Ranking rules drawn from the study split's misses (issue #17, fifth round).

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


def test_the_crash_site_leads_the_callers_the_exception_went_through(proj: Project) -> None:
    # The shape of study schema-d81871b: ``is_valid`` (only the failing test calls it:
    # Ochiai 1.0, and it is called on the failing line) wraps ``validate``, which many
    # passing tests run and which crashed on its faulty line with a TypeError (a format
    # string short of arguments). The test checked no value of ``is_valid``'s.
    proj.write("schema.py", '''\
        class SchemaError(Exception):
            pass


        class Schema:
            def __init__(self, kind, error="%s is no good"):
                self.kind = kind
                self.error = error

            def validate(self, data):
                if isinstance(data, self.kind):
                    return data
                message = self.error % data
                raise SchemaError(message)

            def is_valid(self, data):
                try:
                    self.validate(data)
                except SchemaError:
                    return False
                else:
                    return True
        ''')
    proj.write("tests/test_schema.py", '''\
        import pytest

        from schema import Schema, SchemaError


        def test_validate_int():
            assert Schema(int).validate(3) == 3


        def test_validate_error():
            with pytest.raises(SchemaError, match="x is no good"):
                Schema(int).validate("x")


        def test_validate_custom_error():
            with pytest.raises(SchemaError, match="x is not an int"):
                Schema(int, error="%s is not an int").validate("x")


        def test_validate_str():
            assert Schema(str).validate("x") == "x"


        def test_is_valid_with_a_tuple():
            assert not Schema(int).is_valid((1, 2))
        ''')
    found = proj.localize(proj.task("tests/test_schema.py::test_is_valid_with_a_tuple"))
    names = [f.function for f in found.functions]
    assert names[0] == "Schema.validate", names
    assert any("raised here: TypeError" in e for e in found.functions[0].evidence)
    assert names.index("Schema.is_valid") > 0


def test_a_value_written_by_a_recursive_worker_is_the_workers(proj: Project) -> None:
    # The shape of study xmltodict-79ac9a4 and -ab4c86f: ``render`` returns
    # ``out.getvalue()`` of the buffer it handed to ``_emit``, the recursive worker
    # that wrote it (and that misses the case of an empty list). ``render`` is what
    # the failing line calls and what returned the checked string; the string was made
    # in ``_emit``, which other tests also reach through ``write``.
    proj.write("markup.py", '''\
        from io import StringIO


        def _emit(key, value, out):
            if isinstance(value, dict):
                out.write(f"<{key}>")
                for k, v in value.items():
                    _emit(k, v, out)
                out.write(f"</{key}>")
            elif isinstance(value, list):
                for item in value:
                    _emit(key, item, out)
            else:
                out.write(f"<{key}>{value}</{key}>")


        def write(doc, out):
            for key, value in doc.items():
                _emit(key, value, out)


        def render(doc):
            out = StringIO()
            for key, value in doc.items():
                _emit(key, value, out)
            return out.getvalue()
        ''')
    proj.write("tests/test_markup.py", '''\
        from io import StringIO

        from markup import render, write


        def written(doc):
            buf = StringIO()
            write(doc, buf)
            return buf.getvalue()


        def test_write_scalar():
            assert written({"a": 1}) == "<a>1</a>"


        def test_write_list():
            assert written({"a": [1, 2]}) == "<a>1</a><a>2</a>"


        def test_write_nested():
            assert written({"a": {"b": [3]}}) == "<a><b>3</b></a>"


        def test_render_scalar():
            assert render({"a": 1}) == "<a>1</a>"


        def test_render_empty_list():
            assert render({"a": []}) == "<a></a>"
        ''')
    found = proj.localize(proj.task("tests/test_markup.py::test_render_empty_list"))
    names = [f.function for f in found.functions]
    assert names[:2] == ["_emit", "render"], names
    assert any("wrote what `render` returned" in e for e in found.functions[0].evidence)
    assert any("it returns what `_emit` wrote" in e for e in found.functions[1].evidence)


def test_the_raise_site_of_the_exception_the_test_checks_leads(proj: Project) -> None:
    # The shape of study schema-15158c5: the failing test catches ``WrongKey`` and
    # checks its message; ``check`` raised it and lost the pattern's own message. Only
    # the failing test uses a ``Pattern`` key, so ``Pattern``'s code has Ochiai 1.0;
    # ``check``, which every test runs, made the value the test checks.
    proj.write("keys.py", '''\
        import re


        class WrongKey(Exception):
            pass


        class Pattern:
            def __init__(self, regex, error=None):
                self.regex = re.compile(regex)
                self.error = error

            def matches(self, key):
                return bool(self.regex.match(key))


        def _known(schema, key):
            return any(k.matches(key) if isinstance(k, Pattern) else k == key for k in schema)


        def check(schema, data):
            for key in data:
                if not _known(schema, key):
                    raise WrongKey(f"wrong key {key!r}")
            return data
        ''')
    proj.write("tests/test_keys.py", '''\
        import pytest

        from keys import Pattern, WrongKey, check


        def test_known_keys():
            assert check(["a", "b"], {"a": 1}) == {"a": 1}


        def test_no_keys():
            assert check(["a"], {}) == {}


        def test_wrong_key_message():
            with pytest.raises(WrongKey, match="wrong key 'c'"):
                check(["a"], {"c": 1})


        def test_wrong_key_keeps_the_patterns_message():
            try:
                check([Pattern("^[A-Z]", error="names start upper-case")], {"foo": 1})
            except WrongKey as e:
                assert str(e) == "names start upper-case"
        ''')
    found = proj.localize(
        proj.task("tests/test_keys.py::test_wrong_key_keeps_the_patterns_message"))
    names = [f.function for f in found.functions]
    assert names[0] == "check", names
    assert "raised the exception the failing test caught and checks" in found.functions[0].evidence


def test_a_test_file_named_after_a_function_names_it(proj: Project) -> None:
    # The shape of study dotenv-8411987: ``tests/test_is_remote.py`` tests the helper
    # ``_is_remote`` through ``find``; no module is called ``is_remote``, so the file's
    # name is a function's, and the test's words ``remote`` still count (they used to
    # be dropped as the module's name). Both helpers run in every test: only the name
    # tells them apart.
    proj.write("finder.py", '''\
        def _is_cached(path):
            return path.startswith("/tmp/")


        def _is_remote(path):
            return path.startswith("http://")


        def find(path):
            cached = _is_cached(path)
            remote = _is_remote(path)
            if cached or remote:
                return "skip"
            return path
        ''')
    proj.write("tests/test_is_remote.py", '''\
        from finder import find


        def test_local_path():
            assert find("/home/x") == "/home/x"


        def test_http_url():
            assert find("http://x") == "skip"


        def test_is_remote_with_ftp():
            assert find("ftp://x") == "skip"
        ''')
    found = proj.localize(proj.task("tests/test_is_remote.py::test_is_remote_with_ftp"))
    names = [f.function for f in found.functions]
    assert names.index("_is_remote") < names.index("_is_cached"), names
    remote = found.functions[names.index("_is_remote")]
    assert "named like the failing test (remote)" in remote.evidence


def test_a_caller_that_crashed_in_another_failing_test_keeps_its_place(proj: Project) -> None:
    # Seeded l19_bowling's shape: one failing test crashes in ``score`` itself (the
    # faulty index), the other in its helper ``is_spare`` called from ``score``.
    # ``score`` is a crash site, not only the path of the helper's exception.
    proj.write("bowling.py", '''\
        def is_spare(rolls, i):
            return rolls[i] + rolls[i + 1] == 10


        def score(rolls):
            total, i = 0, 0
            for _frame in range(10):
                if i >= len(rolls):
                    break
                if rolls[i] == 10:
                    total += 10 + rolls[i + 1] + rolls[i + 2]
                    i += 2
                elif is_spare(rolls, i):
                    total += 10 + rolls[i + 2]
                    i += 2
                else:
                    total += rolls[i] + rolls[i + 1]
                    i += 2
            return total
        ''')
    proj.write("tests/test_bowling.py", '''\
        from bowling import score


        def test_gutter_game():
            assert score([0] * 20) == 0


        def test_spare():
            assert score([5, 5, 3] + [0] * 17) == 16


        def test_open_frames():
            assert score([1, 2] * 10) == 30


        def test_one_strike():
            assert score([10, 3, 4] + [0] * 16) == 24


        def test_perfect_game():
            assert score([10] * 12) == 300
        ''')
    found = proj.localize(proj.task("tests/test_bowling.py::test_one_strike",
                                    "tests/test_bowling.py::test_perfect_game"))
    names = [f.function for f in found.functions]
    assert names[0] == "score", [(f.function, f.evidence) for f in found.functions]
