import pytest

from dedupe import dedupe, merge_contacts, normalize_email


def test_normalize():
    assert normalize_email(" Ann.Lee+news@GMail.com ") == "annlee@gmail.com"
    assert normalize_email("bob+x@example.org") == "bob@example.org"


def test_bad_email():
    with pytest.raises(ValueError):
        normalize_email("nobody")


def test_unique_records_pass_through():
    rows = [{"email": "a@x.io"}, {"email": "b@x.io"}]
    assert dedupe(rows) == (rows, {})


def test_merge_contacts():
    rows = [{"email": "a@x.io", "phone": ""}, {"email": "A@x.io", "phone": "123"}]
    assert merge_contacts(rows) == [{"email": "a@x.io", "phone": "123"}]


def test_keeps_first_record():
    rows = [{"email": "ann@x.io", "n": 1}, {"email": "ANN@x.io", "n": 2}]
    unique, dups = dedupe(rows)
    assert unique == [{"email": "ann@x.io", "n": 1}]
    assert dups == {"ann@x.io": 1}
