"""Reading a next step's due date the way sellers type it: +3d, tomorrow, friday, 30/11."""

import re
from datetime import date, timedelta

from babel.dates import parse_date

from app.core.text import fold

_RELATIVE = re.compile(r"^\+\s*(\d{1,3})\s*([djwsm]?)$")
_WORDS = {
    "today": 0,
    "tod": 0,
    "aujourd'hui": 0,
    "auj": 0,
    "tomorrow": 1,
    "tom": 1,
    "tmr": 1,
    "demain": 1,
    "dem": 1,
}
_WEEKDAYS = [
    ("monday", "lundi"),
    ("tuesday", "mardi"),
    ("wednesday", "mercredi"),
    ("thursday", "jeudi"),
    ("friday", "vendredi"),
    ("saturday", "samedi"),
    ("sunday", "dimanche"),
]


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError


def _weekday(word: str) -> int | None:
    # "fri", "ven", "vendredi": three letters are enough and unambiguous in both languages.
    if len(word) < 3:
        return None
    for index, names in enumerate(_WEEKDAYS):
        if any(name.startswith(word) for name in names):
            return index
    return None


def parse_due(text: str, today: date, language: str = "en") -> date | None:
    """The due date for what the user typed; None when empty; ValueError when unreadable."""
    word = fold(text).rstrip(".")
    if not word:
        return None
    if word in _WORDS:
        return today + timedelta(days=_WORDS[word])
    match = _RELATIVE.match(word)
    if match:
        n, unit = int(match.group(1)), match.group(2) or "d"
        if unit in "dj":
            return today + timedelta(days=n)
        if unit in "ws":
            return today + timedelta(weeks=n)
        return _add_months(today, n)
    weekday = _weekday(word)
    if weekday is not None:
        # The next such day, never today: "friday" said on a Friday means next week.
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", word):
        y, m, d = (int(p) for p in word.split("-"))
        return date(y, m, d)
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}([/.-]\d{2,4})?", word):
        parts = re.split(r"[/.-]", word)
        if len(parts) == 2:
            parts.append(str(today.year))
        try:
            day = parse_date("/".join(parts), locale=language, format="short")
        except (ValueError, IndexError):
            raise ValueError(text) from None
        if len(re.split(r"[/.-]", word)) == 2 and day < today:
            # "30/11" typed in December means next year's.
            day = day.replace(year=day.year + 1)
        return day
    raise ValueError(text)
