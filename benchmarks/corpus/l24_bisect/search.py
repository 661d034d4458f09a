"""Binary search helpers over sorted lists."""


def lower_bound(items, target):
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] <= target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def upper_bound(items, target):
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] <= target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def contains(items, target):
    i = lower_bound(items, target)
    return i < len(items) and items[i] == target


def count_in_range(items, lo, hi):
    return upper_bound(items, hi) - lower_bound(items, lo)


def insert_sorted(items, value):
    i = upper_bound(items, value)
    return items[:i] + [value] + items[i:]
