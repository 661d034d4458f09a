from backoff import retry


def test_retry_waits():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OSError("busy")
        return "ok"

    assert retry(flaky, base=2) == ("ok", [2.0, 4.0])


def test_factor_one_is_constant():
    from backoff import delays
    assert delays(3, base=5, factor=1) == [5, 5, 5]
    assert delays(2, base=5, factor=4, cap=12) == [5, 12]
