from thermostat import Thermostat


def test_off_state_kept_inside_band():
    t = Thermostat(20, hysteresis=0.5)
    assert t.run([19.8, 20.2, 19.6]) == [False, False, False]
