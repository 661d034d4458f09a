from cron import Schedule, at, parse_field


def test_single_value_range():
    assert parse_field("7-7", 0, 23) == [7]


def test_range_with_step():
    assert parse_field("2-10/4", 0, 59) == [2, 6, 10]


def test_star_includes_high_end():
    assert parse_field("*", 1, 12)[-1] == 12


def test_last_day_of_month():
    assert Schedule("0 0 31 12 *").matches(at("2024-12-31 00:00"))
