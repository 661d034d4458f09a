import pytest

from bowling import frames_played, score


def test_gutter_game():
    assert score([0] * 20) == 0


def test_all_ones():
    assert score([1] * 20) == 20


def test_one_spare():
    assert score([5, 5, 3] + [0] * 17) == 16


def test_one_strike():
    assert score([10, 3, 4] + [0] * 16) == 24


def test_perfect_game():
    assert score([10] * 12) == 300


def test_bad_roll():
    with pytest.raises(ValueError):
        score([11] + [0] * 19)


def test_frames_played():
    assert frames_played([10, 1, 2]) == 2
