from ringbuffer import RingBuffer


def test_capacity_one():
    buf = RingBuffer(1)
    for i in range(4):
        buf.push(i)
    assert buf.items() == [3]


def test_many_wraps():
    buf = RingBuffer(4)
    for i in range(11):
        buf.push(i)
    assert buf.items() == [7, 8, 9, 10]
