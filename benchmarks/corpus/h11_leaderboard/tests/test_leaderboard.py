import pytest

from leaderboard import Leaderboard, ranked


def test_best_score_kept():
    board = Leaderboard()
    assert board.submit("ann", 50)
    assert not board.submit("ann", 40)
    assert board.top() == [(1, "ann", 50)]


def test_negative_score():
    with pytest.raises(ValueError):
        Leaderboard().submit("bob", -1)


def test_order_and_tie_by_name():
    assert ranked({"cy": 5, "al": 9, "bo": 5}) == [(1, "al", 9), (2, "bo", 5), (2, "cy", 5)]


def test_unknown_player():
    with pytest.raises(KeyError):
        Leaderboard().rank_of("zed")


def test_rank_after_a_tie_skips():
    scores = {"a": 90, "b": 80, "c": 80, "d": 70}
    assert [r for r, _, _ in ranked(scores)] == [1, 2, 2, 4]
