import pytest

from backoff import delay, delays, retry


def test_cap():
    assert delay(20) == 30.0


def test_bad_attempt():
    with pytest.raises(ValueError):
        delay(0)


def test_retry_gives_up():
    def always_fails():
        raise OSError("down")

    with pytest.raises(OSError):
        retry(always_fails, retries=2)


def test_first_retry_waits_base():
    assert delay(1) == 0.5


def test_delays_sequence():
    assert delays(4, base=1, factor=3) == [1, 3, 9, 27]
