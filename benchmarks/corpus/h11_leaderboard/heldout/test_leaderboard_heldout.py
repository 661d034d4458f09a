from leaderboard import Leaderboard, ranked


def test_three_way_tie_at_top():
    assert [r for r, _, _ in ranked({"a": 1, "b": 1, "c": 1, "d": 0})] == [1, 1, 1, 4]


def test_rank_of_after_tie():
    board = Leaderboard()
    for name, score in [("x", 10), ("y", 10), ("z", 3)]:
        board.submit(name, score)
    assert board.rank_of("z") == 3
    assert board.top(2) == [(1, "x", 10), (1, "y", 10)]
