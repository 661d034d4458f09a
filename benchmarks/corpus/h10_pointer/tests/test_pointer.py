import pytest

from pointer import PointerError, build, resolve

DOC = {"a": {"b": [10, 20, {"c": "deep"}]}, "x/y": 1, "m~n": 2, "~1": 3, "": 4}


def test_whole_document():
    assert resolve(DOC, "") is DOC


def test_nested():
    assert resolve(DOC, "/a/b/2/c") == "deep"


def test_escaped_slash_and_tilde():
    assert resolve(DOC, "/x~1y") == 1
    assert resolve(DOC, "/m~0n") == 2


def test_errors():
    for bad in ["a", "/a/b/5", "/a/b/01", "/nope", "/x~2y"]:
        with pytest.raises(PointerError):
            resolve(DOC, bad)


def test_build():
    assert build(["a", "b", 0]) == "/a/b/0"


def test_escaped_tilde_then_one():
    assert resolve(DOC, "/~01") == 3
