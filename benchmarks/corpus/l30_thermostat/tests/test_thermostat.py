import pytest

from thermostat import Thermostat, c_to_f, target_at


def test_turns_on_when_cold():
    assert Thermostat(20).update(18) is True


def test_stays_on_inside_band():
    t = Thermostat(20, hysteresis=1)
    t.update(18)
    assert t.update(20.5) is True


def test_turns_off_above_band():
    t = Thermostat(20, hysteresis=1)
    t.update(18)
    assert t.update(21.5) is False


def test_events():
    t = Thermostat(20, hysteresis=1)
    t.run([18, 19.5, 20.9, 22])
    assert t.events == [(0, "on"), (3, "off")]


def test_schedule():
    assert target_at([(0, 16), (420, 21)], 500) == 21


def test_schedule_too_early():
    with pytest.raises(ValueError):
        target_at([(60, 16)], 0)


def test_c_to_f():
    assert c_to_f(100) == 212
