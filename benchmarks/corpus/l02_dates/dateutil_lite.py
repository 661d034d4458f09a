"""Date helpers without the datetime module: leap years, month lengths, day of year."""

MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    if not 1 <= month <= 12:
        raise ValueError(f"bad month {month}")
    if month == 2:
        return 29
    return MONTH_DAYS[month - 1]


def day_of_year(year, month, day):
    if not 1 <= day <= days_in_month(year, month):
        raise ValueError(f"bad day {day}")
    return sum(days_in_month(year, m) for m in range(1, month)) + day


def add_days(year, month, day, n):
    day += n
    while day > days_in_month(year, month):
        day -= days_in_month(year, month)
        month += 1
        if month > 12:
            month = 1
            year += 1
    return year, month, day


def format_date(year, month, day):
    return f"{year:04d}-{month:02d}-{day:02d}"
