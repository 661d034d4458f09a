from pointer import build, resolve, split


def test_round_trip_awkward_keys():
    keys = ["~1", "a/b", "~", "~0~1", "/~"]
    assert split(build(keys)) == keys


def test_build_then_resolve():
    doc = {"~1": {"/": 5}}
    assert resolve(doc, build(["~1", "/"])) == 5
