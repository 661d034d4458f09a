from sensor import Smoother


def test_single_reading():
    s = Smoother(size=5)
    assert s.add(7.0) == 7.0


def test_window_slides():
    s = Smoother(size=2)
    for v in (1.0, 3.0, 5.0):
        last = s.add(v)
    assert last == 4.0
    assert s.window == [3.0, 5.0]
