from ratelimit import FakeClock, TokenBucket


def test_bucket_never_exceeds_capacity_after_long_wait():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=2, clock=clock)
    bucket.allow()
    bucket.allow()
    clock.advance(0.1)
    assert bucket.allow() is True
    assert bucket.allow() is False
