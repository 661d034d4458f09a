"""Ten-pin bowling: validate rolls and score a game."""


def validate(rolls):
    for pins in rolls:
        if not 0 <= pins <= 10:
            raise ValueError(f"bad roll {pins}")


def is_strike(rolls, i):
    return rolls[i] == 10


def is_spare(rolls, i):
    return rolls[i] + rolls[i + 1] == 10


def score(rolls):
    validate(rolls)
    total = 0
    i = 0
    for _frame in range(10):
        if i >= len(rolls):
            break
        if is_strike(rolls, i):
            total += 10 + rolls[i + 1] + rolls[i + 2]
            i += 2
        elif is_spare(rolls, i):
            total += 10 + rolls[i + 2]
            i += 2
        else:
            total += rolls[i] + rolls[i + 1]
            i += 2
    return total


def frames_played(rolls):
    count, i = 0, 0
    while i < len(rolls) and count < 10:
        i += 1 if rolls[i] == 10 else 2
        count += 1
    return count
