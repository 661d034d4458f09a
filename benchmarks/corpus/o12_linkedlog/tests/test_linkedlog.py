from linkedlog import Log


def test_append_to_empty():
    log = Log()
    log.append("a")
    assert log.values() == ["a"]


def test_append_many():
    log = Log()
    for v in "abc":
        log.append(v)
    assert log.values() == ["a", "b", "c"]


def test_empty_values():
    assert Log().values() == []
