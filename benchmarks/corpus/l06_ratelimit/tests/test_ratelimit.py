from ratelimit import FakeClock, FixedWindow, TokenBucket


def test_bucket_starts_full():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=3, clock=clock)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_bucket_refills_over_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=2, clock=clock)
    bucket.allow()
    bucket.allow()
    clock.advance(1)
    assert bucket.allow() is True


def test_bucket_refill_counts_time_once():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=5, clock=clock)
    for _ in range(5):
        bucket.allow()
    clock.advance(2)
    assert [bucket.allow() for _ in range(3)] == [True, True, False]


def test_bucket_cost():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=4, clock=clock)
    assert bucket.allow(cost=3) is True
    assert bucket.allow(cost=2) is False


def test_window_limit():
    clock = FakeClock()
    win = FixedWindow(limit=2, window=10, clock=clock)
    assert [win.allow("a") for _ in range(3)] == [True, True, False]


def test_window_resets():
    clock = FakeClock()
    win = FixedWindow(limit=1, window=10, clock=clock)
    win.allow("a")
    clock.advance(10)
    assert win.allow("a") is True
