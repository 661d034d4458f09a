import pytest

from vigenere import decrypt, encrypt


def test_encrypt_known():
    assert encrypt("attack at dawn", "LEMON") == "lxfopv ef rnhr"


def test_keeps_case_and_punctuation():
    assert encrypt("Hi, Bob!", "b") == "Ij, Cpc!"


def test_bad_key():
    with pytest.raises(ValueError):
        encrypt("x", "123")


def test_decrypt_known():
    assert decrypt("lxfopv ef rnhr", "lemon") == "attack at dawn"


def test_round_trip():
    assert decrypt(encrypt("Meet me at 10.", "key"), "key") == "Meet me at 10."
