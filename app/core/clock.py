"""The calendar day in a user's own time zone: follow-ups and next steps are due on days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def user_today(user) -> date:
    return datetime.now(ZoneInfo(user.timezone)).date()


def week_of(moment: datetime) -> date:
    """The Monday of the UTC week a moment falls in."""
    day = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    return day - timedelta(days=day.weekday())


def month_of(moment: datetime) -> str:
    """'2026-11' for a moment, in UTC."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m")
