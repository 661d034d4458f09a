from sensor import Smoother


def test_full_window_average():
    s = Smoother(size=3)
    for v in (1.0, 2.0, 3.0, 4.0):
        last = s.add(v)
    assert last == 3.0


def test_partial_window_average():
    s = Smoother(size=4)
    s.add(2.0)
    assert s.add(4.0) == 3.0


def test_spike_rejected():
    s = Smoother(size=2, max_jump=5.0)
    s.add(1.0)
    s.add(2.0)
    assert s.add(50.0) == 1.5
    assert s.rejected == 1


def test_empty_average():
    assert Smoother().average() is None
