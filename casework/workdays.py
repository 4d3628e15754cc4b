"""Working days in Norway: weekdays that are not public holidays (helligdager).

Offentleglova § 29 and its guidance count the time to answer an access request in working
days ("normally within 1-3 working days"), so a request on a Friday is due on Wednesday and
one just before Easter waits for the holidays to pass.
"""

import datetime
from functools import lru_cache


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[datetime.date]:
    """Norway's public holidays (lov om helligdager og helligdagsfred, and 1 and 17 May)."""
    easter = easter_sunday(year)
    days_from_easter = (
        -3,  # Maundy Thursday (skjærtorsdag)
        -2,  # Good Friday (langfredag)
        0,  # Easter Sunday (første påskedag)
        1,  # Easter Monday (andre påskedag)
        39,  # Ascension Day (Kristi himmelfartsdag)
        49,  # Whit Sunday (første pinsedag)
        50,  # Whit Monday (andre pinsedag)
    )
    fixed = ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26))
    return frozenset(
        [easter + datetime.timedelta(days=offset) for offset in days_from_easter]
        + [datetime.date(year, month, day) for month, day in fixed]
    )


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
