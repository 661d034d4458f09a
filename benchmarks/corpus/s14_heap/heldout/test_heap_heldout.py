import random

from heap import MinHeap, nsmallest


def test_heap_sort_many():
    rng = random.Random(7)
    values = [rng.randrange(100) for _ in range(200)]
    h = MinHeap(values)
    assert [h.pop() for _ in range(len(values))] == sorted(values)


def test_pairs_with_key():
    jobs = [("b", 2), ("a", 1), ("d", 4), ("c", 3)]
    assert [j[0] for j in nsmallest(jobs, 4, key=lambda j: j[1])] == ["a", "b", "c", "d"]
