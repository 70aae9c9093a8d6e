"""Languages and locale formatting: gettext catalogues, Babel dates and numbers."""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@lru_cache
def translations(language: str) -> gettext_module.NullTranslations:
    # Compiled from the .po in memory: no build step, and the .po stays the one source.
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext_module.GNUTranslations(buf)


# The request's Accept-Language, set once per request by the app's outermost middleware, so
# services that read typed input (amounts, dates, due words) use the language the page is
# shown in without every route passing it down.
browser_languages: ContextVar[str | None] = ContextVar("browser_languages", default=None)


def reading_language(user) -> str:
    """The language a user reads and types in: their own choice, else their browser's."""
    return getattr(user, "language", None) or language_from_header(browser_languages.get())


def language_from_header(header: str | None) -> str:
    """The best of our languages for an Accept-Language header."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


@lru_cache
def timezone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def valid_timezone(name: str) -> bool:
    return name in set(timezone_names()) or name == "UTC"


NAMED_FORMATS = ("full", "long", "medium", "short")


@lru_cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=256)
def _pattern(language: str, kind: str, fmt: str) -> dates.DateTimePattern:
    """A named date or time format of the language, or a custom pattern, parsed once."""
    if kind == "date":
        return dates.get_date_format(fmt, locale=_locale(language))
    if kind == "time":
        return dates.get_time_format(fmt, locale=_locale(language))
    return dates.parse_pattern(fmt)


@lru_cache(maxsize=32)
def _datetime_joiner(language: str, fmt: str) -> str:
    """How the language joins a date ({1}) and a time ({0}), quotes removed as Babel does."""
    return dates.get_datetime_format(fmt, locale=_locale(language)).replace("'", "")


@dataclass(frozen=True)
class Localizer:
    """Everything a page needs to speak the user's language in the user's zone."""

    language: str
    timezone: str
    # One Localizer serves one request: lists show the same few days many times over.
    _days: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    def gettext(self, message: str, **values) -> str:
        text = translations(self.language).gettext(message)
        return text % values if values else text

    def message(self, message: str) -> str:
        """A service's message id, with the values it carries (see errors.Message)."""
        params = getattr(message, "params", {})
        values = {k: self.message(v) if hasattr(v, "params") else v for k, v in params.items()}
        return self.gettext(message, **values)

    def money(self, minor: int | None, currency: str) -> str:
        from app.core.money import format_money

        return format_money(minor, currency, self.language)

    def size(self, size: int) -> str:
        from babel.numbers import format_decimal

        for unit, step in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
            if size >= step:
                return f"{format_decimal(round(size / step, 1), locale=self.language)} {unit}"
        return f"{size} B"

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        text = translations(self.language).ngettext(singular, plural, n)
        return text % dict(values, num=n)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz)

    def today(self) -> date:
        return self._today

    @cached_property
    def _today(self) -> date:
        return datetime.now(self.tz).date()

    # Babel's format_* functions parse the locale and the pattern on every call; a timeline
    # formats fifty dates, so the parsed patterns are kept (same output: see test_i18n).
    def datetime(self, moment: datetime | None, fmt: str = "medium") -> str:
        if moment is None:
            return ""
        local, locale = self.local(moment), _locale(self.language)
        if fmt not in NAMED_FORMATS:
            return _pattern(self.language, "custom", fmt).apply(local, locale)
        return (
            _datetime_joiner(self.language, fmt)
            .replace("{0}", self._time(local, fmt))
            .replace("{1}", _pattern(self.language, "date", fmt).apply(local.date(), locale))
        )

    def date(self, day: date | datetime | None, fmt: str = "medium") -> str:
        if day is None:
            return ""
        if isinstance(day, datetime):
            day = self.local(day).date()
        kind = "date" if fmt in NAMED_FORMATS else "custom"
        return _pattern(self.language, kind, fmt).apply(day, _locale(self.language))

    def time(self, moment: datetime) -> str:
        return self._time(self.local(moment), "short")

    def _time(self, local: datetime, fmt: str) -> str:
        pattern = _pattern(self.language, "time", fmt)
        return pattern.apply(local.timetz(), _locale(self.language), reference_date=local.date())

    def relative_day(self, day: date) -> str:
        if day not in self._days:
            self._days[day] = self._relative_day(day)
        return self._days[day]

    def _relative_day(self, day: date) -> str:
        delta = (day - self.today()).days
        if delta == 0:
            return self.gettext("today")
        if delta == 1:
            return self.gettext("tomorrow")
        if delta == -1:
            return self.gettext("yesterday")
        return self.date(day, "EEE d MMM" if abs(delta) < 180 else "medium")

    def number(self, value: int | float) -> str:
        return numbers.format_decimal(value, locale=self.language)

    def datetime_input(self, moment: datetime) -> str:
        """The value an <input type=datetime-local> expects, in the user's zone."""
        return self.local(moment).strftime("%Y-%m-%dT%H:%M")
