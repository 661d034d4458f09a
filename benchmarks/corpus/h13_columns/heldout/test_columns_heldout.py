from columns import column_label, column_number


def test_round_trip_many():
    for n in range(1, 2000):
        assert column_number(column_label(n)) == n


def test_known_labels():
    assert column_label(52) == "AZ"
    assert column_label(702) == "ZZ"
    assert column_label(703) == "AAA"
