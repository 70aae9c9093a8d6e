"""Money: integer minor units plus an ISO 4217 code, parsed and shown with Babel."""

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, numbers
from babel.numbers import get_currency_precision, is_currency

from app.core.errors import Message
from app.core.i18n import N_

# The largest amount we accept, in minor units: far above any deal, far below bigint.
MAX_MINOR = 10**15


class MoneyError(ValueError):
    """`message` is an untranslated message id with its values, shown in the user's language."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.message = Message(message, **params)


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not is_currency(code):
        raise MoneyError(N_("Unknown currency: use an ISO 4217 code such as EUR or USD."))
    return code


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion: an amount with more decimals than its currency has is refused,
    never rounded, so nobody's 12.345 € silently becomes 12.35 €."""
    precision = get_currency_precision(currency)
    if not amount.is_finite():
        raise MoneyError(N_("Enter an amount such as 1200 or 1200.50."))
    minor = amount.scaleb(precision)
    if minor != minor.to_integral_value():
        if precision == 0:
            raise MoneyError(N_("%(currency)s amounts have no decimals."), currency=currency)
        raise MoneyError(
            N_("%(currency)s amounts have at most %(digits)s decimals."),
            currency=currency,
            digits=precision,
        )
    if minor < 0:
        raise MoneyError(N_("An amount cannot be negative."))
    if minor >= MAX_MINOR:
        raise MoneyError(N_("This amount is too large."))
    return int(minor)


AMOUNT_HELP = N_("Enter an amount such as 1200 or 1200.50.")
AMBIGUOUS = N_(
    "“%(text)s” could be read two ways: write %(whole)s or %(decimal)s, "
    "without a thousands separator."
)
# Marks people put between thousands: spaces of every width and apostrophes.
GROUP_MARKS = str.maketrans("", "", " \u00a0\u202f\u2009'’")


def _grouped(text: str, mark: str) -> bool:
    """1,234,567: digits grouped by three with `mark`."""
    return re.fullmatch(r"\d{1,3}(?:" + re.escape(mark) + r"\d{3})+", text) is not None


def parse_decimal_input(text: str, language: str = "en") -> Decimal | None:
    """A number as a reader of `language` means it; '' is None.

    Spaces and apostrophes group thousands. With both a comma and a dot, the last one is
    the decimal mark (1,200.50 and 1.200,50). With one kind of mark, the locale's decimal
    mark is decimal (1200,50 in French, 1200.50 in English); the other one groups thousands
    when that is what a reader of the locale would see (1,200 in English), is decimal when
    it cannot be a thousands mark (1200.50 in French). One mark followed by exactly three
    digits could be either (1.200, or 1,200 in French) and is refused with a message:
    never a silent wrong value."""
    raw = (text or "").strip()
    plain = raw.translate(GROUP_MARKS)
    if not plain:
        return None
    if plain.startswith("-"):
        raise MoneyError(N_("An amount cannot be negative."))
    if not re.fullmatch(r"[0-9.,]+", plain):
        raise MoneyError(AMOUNT_HELP)
    decimal_mark = numbers.get_decimal_symbol(language)
    commas, dots = plain.count(","), plain.count(".")
    if commas and dots:
        mark = "," if plain.rfind(",") > plain.rfind(".") else "."
        group = "." if mark == "," else ","
        whole, _, fraction = plain.rpartition(mark)
        if not _grouped(whole, group) or not fraction.isdigit():
            raise MoneyError(AMOUNT_HELP)
        return Decimal(whole.replace(group, "") + "." + fraction)
    mark = "," if commas else "." if dots else None
    if mark is None:
        return Decimal(plain)
    parts = plain.split(mark)
    if len(parts) > 2:
        if not _grouped(plain, mark):
            raise MoneyError(AMOUNT_HELP)
        return Decimal(plain.replace(mark, ""))
    whole, fraction = parts
    if not fraction.isdigit() or (whole and not whole.isdigit()):
        raise MoneyError(AMOUNT_HELP)
    if len(fraction) == 3 and whole and len(whole) <= 3:
        # 1,200 or 1.200: thousands for some readers, a decimal amount for others.
        if mark == "," and decimal_mark == ".":
            # English readers group thousands with a comma: 1,200 is twelve hundred.
            return Decimal(whole + fraction)
        whole_value, decimal_value = whole + fraction, whole + decimal_mark + fraction
        raise MoneyError(AMBIGUOUS, text=raw, whole=whole_value, decimal=decimal_value)
    if mark == decimal_mark:
        return Decimal((whole or "0") + "." + fraction)
    if mark == ",":
        # 1,5 or 12,50 in English: a reader would not know what was meant.
        raise MoneyError(AMOUNT_HELP)
    return Decimal((whole or "0") + "." + fraction)


def parse_amount(text: str, currency: str, language: str = "en") -> int | None:
    """A typed amount as minor units of its currency; '' is None."""
    value = parse_decimal_input(text, language)
    return None if value is None else to_minor(value, currency)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency))


@lru_cache(maxsize=16)
def _currency_format(language: str):
    locale = Locale.parse(language)
    return locale, locale.currency_formats["standard"]


@lru_cache(maxsize=8192)
def format_money(minor: int | None, currency: str, language: str = "en") -> str:
    """As babel's format_currency, with the locale's pattern parsed once and results kept:
    a board shows hundreds of amounts, the same ones from one request to the next."""
    if minor is None:
        return ""
    locale, pattern = _currency_format(language)
    return pattern.apply(from_minor(minor, currency), locale, currency=currency)


def amount_input(minor: int | None, currency: str) -> str:
    """The value to put back in a form field: plain digits, a dot for decimals."""
    if minor is None:
        return ""
    return str(from_minor(minor, currency))
