from vigenere import decrypt


def test_decrypt_wraps():
    assert decrypt("Abc", "b") == "Zab"


def test_decrypt_with_key_a_is_identity():
    assert decrypt("Hello", "a") == "Hello"
