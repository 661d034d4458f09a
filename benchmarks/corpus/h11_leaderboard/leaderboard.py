"""A game leaderboard with standard competition ranking (1, 2, 2, 4)."""


class Leaderboard:
    def __init__(self):
        self._best = {}

    def submit(self, player, score):
        """Keep each player's best score; True if this one is a new best."""
        if score < 0:
            raise ValueError("scores are not negative")
        if score > self._best.get(player, -1):
            self._best[player] = score
            return True
        return False

    def top(self, n=10):
        return ranked(self._best)[:n]

    def rank_of(self, player):
        for rank, name, _ in ranked(self._best):
            if name == player:
                return rank
        raise KeyError(player)


def ranked(scores):
    """[(rank, player, score)], best first; equal scores share a rank, ties by name."""
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    out = []
    rank = 0
    previous = None
    for position, (player, score) in enumerate(ordered, 1):
        if score != previous:
            rank += 1
            previous = score
        out.append((rank, player, score))
    return out
