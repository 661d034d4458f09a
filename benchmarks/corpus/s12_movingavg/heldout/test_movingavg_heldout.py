from movingavg import MovingAverage, smooth


def test_window_of_one():
    assert smooth([3, 9, 1], 1) == [3.0, 9.0, 1.0]


def test_long_stream():
    avg = MovingAverage(3)
    for v in range(10):
        avg.add(v)
    assert avg.value == 8.0 and avg.full
