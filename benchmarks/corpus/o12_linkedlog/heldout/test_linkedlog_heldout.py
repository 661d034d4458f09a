from linkedlog import Log


def test_order_kept():
    log = Log()
    log.append(1)
    log.append(2)
    log.append(3)
    log.append(4)
    assert log.values() == [1, 2, 3, 4]
