from datetime import date

import pytest

from app.core.due_dates import parse_due

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+3d", date(2026, 11, 26)),
        ("+3", date(2026, 11, 26)),
        ("+3j", date(2026, 11, 26)),
        ("+2w", date(2026, 12, 7)),
        ("+1m", date(2026, 12, 23)),
        ("today", MONDAY),
        ("tomorrow", date(2026, 11, 24)),
        ("Demain", date(2026, 11, 24)),
        ("fri", date(2026, 11, 27)),
        ("vendredi", date(2026, 11, 27)),
        ("mon", date(2026, 11, 30)),
        ("2026-12-01", date(2026, 12, 1)),
        ("", None),
    ],
)
def test_due_dates_read_the_way_sellers_type_them(typed, expected):
    assert parse_due(typed, MONDAY, "en") == expected


def test_a_short_date_follows_the_users_locale():
    assert parse_due("02/12/2026", MONDAY, "fr") == date(2026, 12, 2)
    assert parse_due("12/02/2026", MONDAY, "en") == date(2026, 12, 2)


def test_a_day_and_month_already_past_means_next_year():
    assert parse_due("15/01", MONDAY, "fr") == date(2027, 1, 15)


@pytest.mark.parametrize("typed", ["soon", "+", "32/13/2026", "2026-02-30", "x" * 40, "mo"])
def test_unreadable_due_dates_are_refused(typed):
    with pytest.raises(ValueError):
        parse_due(typed, MONDAY, "en")
