"""Deduplicate records by a key field, keeping the first."""


def dedupe(records, field):
    seen = set()
    out = []
    for record in records:
        key = record[field]
        if key in seen:
            continue
        out.append(record)
    return out


def duplicates(records, field):
    counts = {}
    for record in records:
        counts[record[field]] = counts.get(record[field], 0) + 1
    return sorted(k for k, n in counts.items() if n > 1)
