"""The calendar day in a user's own time zone: follow-ups and next steps are due on days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo


def user_today(user) -> date:
    return datetime.now(ZoneInfo(user.timezone)).date()
