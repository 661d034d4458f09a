from dedupe import dedupe


def test_order_is_first_seen():
    rows = [{"email": "b@x.io", "n": 1}, {"email": "a@x.io", "n": 2},
            {"email": "b+tag@x.io", "n": 3}, {"email": "a@x.io", "n": 4}]
    unique, dups = dedupe(rows)
    assert [r["n"] for r in unique] == [1, 2]
    assert dups == {"b@x.io": 1, "a@x.io": 1}


def test_other_key():
    unique, _ = dedupe([{"mail": "q@z.io", "v": "first"}, {"mail": "Q@z.io", "v": "second"}],
                       key="mail")
    assert unique[0]["v"] == "first"
