"""Ranking rules of the ninth round of issue #17: the state a check reads, written by an
earlier statement of the test (STUDY.md class C), read on the tuned split's misses.

Each test is a small project in a temp dir with the shape of a miss, localized by the
real code (a real coverage run); each compares the ranking with the rule's weight at 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_project import Project

from pytest_agent.localize import _statements


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return Project.new(tmp_path)


DOC = '''\
    def parse(text):
        doc = Doc()
        section = None
        for line in text.splitlines():
            if line.startswith("["):
                section = {}
                doc.items.append((line.strip("[]"), section))
            elif line:
                key, _, value = line.partition(" = ")
                if section is None:
                    doc.items.append((key, value))
                else:
                    section[key] = value
        return doc


    class Doc:
        def __init__(self):
            self.items = []

        def set(self, key, value):
            at = len(self.items)
            for i, (_, old) in enumerate(self.items):
                if isinstance(old, dict) and old:
                    at = i
                    break
            self.items.insert(at, (key, value))

        def render(self):
            lines = []
            for key, value in self.items:
                if isinstance(value, dict):
                    lines.append(f"[{key}]")
                    lines += [f"{k} = {v}" for k, v in value.items()]
                else:
                    lines.append(f"{key} = {value}")
            return "\\n".join(lines)
    '''


def doc_tests(change: str) -> str:
    """The tests of ``DOC``; the failing one changes the parsed document by ``change``."""
    return f'''\
        from doc import Doc, parse


        def test_render_section():
            doc = parse("a = 1\\n[x]\\nb = 2")
            assert doc.render() == "a = 1\\n[x]\\nb = 2"


        def test_set_plain():
            doc = parse("a = 1")
            doc.set("b", "2")
            assert doc.render() == "a = 1\\nb = 2"


        def test_set_before_section():
            doc = parse("a = 1\\n[x]\\nb = 2")
            doc.set("c", "3")
            assert doc.render() == "a = 1\\nc = 3\\n[x]\\nb = 2"


        def test_set_before_empty_section():
            doc = parse("a = 1\\n[x]")
            {change}
            assert doc.render() == "a = 1\\nc = 3\\n[x]"
        '''


def test_what_changed_the_checked_state_leads_what_renders_it(
        proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape of tuned tomlkit-43668dd: parse, change, render. ``Doc.set`` puts a new
    # key after an empty section (``and old`` skips it), so the rendering puts the key
    # inside the section. ``render`` made the checked text (called on the failing line)
    # and takes its section branch in as few passing tests as ``set``'s lines run in:
    # it leads on every other signal. The failing statement only read the state that
    # ``doc.set(...)``, the statement before it, changed.
    proj.write("doc.py", DOC)
    proj.write("tests/test_doc.py", doc_tests('doc.set("c", "3")'))
    task = proj.task("tests/test_doc.py::test_set_before_empty_section")
    baseline = proj.baseline(task)
    found = proj.localize(task, baseline=baseline)
    names = [f.function for f in found.functions]
    assert names[0] == "Doc.set", names
    why = "entered by the statement that last changed the state the failing one reads"
    assert any(why in e for e in found.functions[0].evidence), found.functions[0].evidence
    for other in found.functions[1:]:  # parse built it, render read it: neither changed it
        assert not any(why in e for e in other.evidence), (other.function, other.evidence)

    monkeypatch.setattr(_statements, "W_CHANGED_STATE", 0.0)
    without = [f.function for f in proj.localize(task, baseline=baseline).functions]
    assert without.index("Doc.render") < without.index("Doc.set"), without


@pytest.mark.parametrize("change", [
    # A new binding after the change: the slice stops at it (``parse`` built the state).
    'doc.set("c", "3")\n            doc = parse("a = 1\\n[x]")',
    # A check is no change.
    'assert isinstance(doc, Doc)',
    'def assert_doc(d):\n                assert isinstance(d, Doc)\n            assert_doc(doc)',
])
def test_no_change_of_the_checked_object_adds_nothing(proj: Project, change: str) -> None:
    proj.write("doc.py", DOC)
    proj.write("tests/test_doc.py", doc_tests(change))
    found = proj.localize(proj.task("tests/test_doc.py::test_set_before_empty_section"))
    why = "entered by the statement that last changed the state the failing one reads"
    assert not any(why in e for f in found.functions for e in f.evidence), [
        (f.function, f.evidence) for f in found.functions]


def test_the_block_of_a_raises_that_did_not_raise_is_the_failing_statement(
        proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape of tuned boltons-d0a284f: ``with raises(IndexError): x[-10]`` fails with
    # DID NOT RAISE; the traceback points at the ``with``, and ``__getitem__``, the code
    # that should have raised, is entered by the statement of its block. Before this
    # round only the ``with`` line counted as the failing statement: ``__getitem__``
    # had no statement weight while ``pop``'s helpers had the changed state's.
    proj.write("ring.py", '''\
        class Ring:
            def __init__(self, items):
                self.items = list(items)
                self.dead = 0

            def pop(self, index):
                self.dead += 1
                return self.items.pop(index)

            def __getitem__(self, index):
                if index >= len(self.items):
                    raise IndexError(index)
                return self.items[index % len(self.items)]
        ''')
    proj.write("tests/test_ring.py", '''\
        import pytest
        from ring import Ring


        def test_get():
            assert Ring([1, 2])[-1] == 2


        def test_get_out_of_range():
            ring = Ring(range(10))
            ring.pop(2)
            with pytest.raises(IndexError):
                ring[-10]
        ''')
    task = proj.task("tests/test_ring.py::test_get_out_of_range")
    baseline = proj.baseline(task)
    by_name = {f.function: f for f in proj.localize(task, baseline=baseline).functions}
    failing = "entered by the failing statement of a failing test (line 13)"
    assert failing in by_name["Ring.__getitem__"].evidence, by_name["Ring.__getitem__"].evidence
    changed = "entered by the statement that last changed the state the failing one reads"
    assert any(changed in e for e in by_name["Ring.pop"].evidence), by_name["Ring.pop"].evidence
    assert not any(changed in e for e in by_name["Ring.__getitem__"].evidence)

    monkeypatch.setattr(_statements, "WITH_BLOCK", False)
    by_name = {f.function: f for f in proj.localize(task, baseline=baseline).functions}
    assert not any("failing statement" in e for e in by_name["Ring.__getitem__"].evidence)
