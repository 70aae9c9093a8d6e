"""Report periods: a few fixed choices, resolved to whole months in the user's calendar."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from babel.dates import format_interval, format_skeleton

from app.core.i18n import N_

PERIODS = {
    "3m": N_("Last 3 months"),
    "6m": N_("Last 6 months"),
    "12m": N_("Last 12 months"),
    "ytd": N_("This year"),
    "last_year": N_("Last year"),
}
DEFAULT = "12m"


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    code: str
    start: date  # first day, included
    end: date  # first day after, excluded

    @cached_property
    def months(self) -> list[str]:
        """'2026-01', … for each month of the period."""
        out, month = [], self.start
        while month < self.end:
            out.append(month.strftime("%Y-%m"))
            month = _add_months(month, 1)
        return out

    @property
    def last(self) -> date:
        """The period's last day, for showing it."""
        return self.end - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), tzinfo=UTC)


def period_for(code: str, today: date, whole_months: bool = False) -> Period:
    """The period ending with this month; with `whole_months`, ending with the last month
    that is over (team figures: a month still under way changes from one day to the next,
    and two days' figures subtracted would show one day's wins)."""
    code = code if code in PERIODS else DEFAULT
    this_month = today.replace(day=1)
    if whole_months:
        this_month = _add_months(this_month, -1)
    january = date(today.year, 1, 1)
    if code == "ytd":
        return Period(code, january, max(january, _add_months(this_month, 1)))
    if code == "last_year":
        return Period(code, date(today.year - 1, 1, 1), january)
    n = {"3m": 3, "6m": 6, "12m": 12}[code]
    return Period(code, _add_months(this_month, 1 - n), _add_months(this_month, 1))


def quarter_groups(months: list[str]) -> list[tuple[str, list[int]]]:
    """The period's months by calendar quarter: ('2026 Q3', indexes) for a whole quarter,
    ('2026-09', …) or ('2026-10..2026-11', …) for the months of a quarter cut by the period,
    so a row never claims a quarter it does not cover."""
    groups: dict[str, list[int]] = {}
    for i, month in enumerate(months):
        groups.setdefault(quarter_of(month), []).append(i)
    out = []
    for quarter, indexes in groups.items():
        if len(indexes) == 3:
            out.append((quarter, indexes))
        else:
            first, last = months[indexes[0]], months[indexes[-1]]
            out.append((first if first == last else f"{first}..{last}", indexes))
    return out


def quarter_of(month: str) -> str:
    """'2026-05' -> '2026 Q2'."""
    year, m = month.split("-")
    return f"{year} Q{(int(m) - 1) // 3 + 1}"


def month_label(month: str, language: str) -> str:
    """'2026-11' -> 'Nov 2026' / 'nov. 2026': the key stays for machines, people read this."""
    year, m = month.split("-")
    return format_skeleton("yMMM", date(int(year), int(m), 1), locale=language)


def quarter_label(quarter: str, language: str) -> str:
    """'2025 Q4' -> 'Q4 2025' / 'T4 2025'; a group of months cut by the period reads as
    its months ('Sep 2026', 'Oct – Nov 2026')."""
    if " Q" not in quarter:
        first, _, last = quarter.partition("..")
        if not last:
            return month_label(first, language)
        start, end = (date(int(m[:4]), int(m[5:]), 1) for m in (first, last))
        return format_interval(start, end, "yMMM", locale=language)
    year, q = quarter.split(" Q")
    return format_skeleton("yQQQ", date(int(year), 3 * int(q) - 2, 1), locale=language)
