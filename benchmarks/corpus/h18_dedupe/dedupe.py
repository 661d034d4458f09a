"""Deduplicate customer records by normalised email, keeping the first one seen."""


def normalize_email(email):
    local, _, domain = email.strip().lower().partition("@")
    if not local or not domain:
        raise ValueError(f"not an email address: {email!r}")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def dedupe(records, key="email"):
    """(unique records in first-seen order, {normalised email: number of duplicates})."""
    first = {}
    latest = {}
    duplicates = {}
    for record in records:
        email = normalize_email(record[key])
        if email in first:
            duplicates[email] = duplicates.get(email, 0) + 1
        else:
            first[email] = record
        latest[email] = record
    return list(latest.values()), duplicates


def merge_contacts(records, key="email"):
    """One record per email with the fields of all its duplicates (first value wins)."""
    merged = {}
    for record in records:
        email = normalize_email(record[key])
        target = merged.setdefault(email, {})
        for field, value in record.items():
            if value and not target.get(field):
                target[field] = value
    return list(merged.values())
