"""Working days for access-request deadlines (offentleglova § 29: normally 1-3 working days)."""

import datetime

import pytest

from casework.workdays import add_working_days, easter_sunday, is_working_day, public_holidays

D = datetime.date


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, D(2000, 4, 23)),
        (2019, D(2019, 4, 21)),
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2027, D(2027, 3, 28)),
        (2038, D(2038, 4, 25)),
    ],
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_norwegian_public_holidays_of_2027():
    assert public_holidays(2027) == {
        D(2027, 1, 1),
        D(2027, 3, 25),  # skjærtorsdag
        D(2027, 3, 26),  # langfredag
        D(2027, 3, 28),  # første påskedag
        D(2027, 3, 29),  # andre påskedag
        D(2027, 5, 1),
        D(2027, 5, 6),  # Kristi himmelfartsdag
        D(2027, 5, 16),  # første pinsedag
        D(2027, 5, 17),  # grunnlovsdagen and andre pinsedag
        D(2027, 12, 25),
        D(2027, 12, 26),
    }


def test_a_request_on_a_friday_is_due_on_wednesday():
    friday = D(2026, 3, 6)
    assert add_working_days(friday, 3) == D(2026, 3, 11)


def test_a_request_at_the_weekend_counts_from_monday():
    assert add_working_days(D(2026, 3, 7), 3) == D(2026, 3, 11)
    assert add_working_days(D(2026, 3, 8), 1) == D(2026, 3, 9)


def test_easter_2027_is_skipped():
    wednesday_before_easter = D(2027, 3, 24)
    # Thu 25, Fri 26, Mon 29 March are holidays: Tue 30, Wed 31 and Thu 1 April count.
    assert add_working_days(wednesday_before_easter, 3) == D(2027, 4, 1)


def test_fixed_holidays_are_skipped():
    assert add_working_days(D(2026, 12, 23), 3) == D(2026, 12, 29)  # 24th counts; 25-26 not
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # 1 Jan is a Friday
    assert add_working_days(D(2028, 5, 16), 1) == D(2028, 5, 18)  # 17 May, a Wednesday
    assert not is_working_day(D(2026, 5, 1))
    assert is_working_day(D(2026, 12, 24))


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 3, 6), 0) == D(2026, 3, 6)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2026, 3, 6), -1)
