"""Money: integer minor units plus an ISO 4217 code, parsed and shown with Babel."""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    is_currency,
    parse_decimal,
)

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


def parse_decimal_input(text: str, language: str = "en") -> Decimal | None:
    """A number typed in the user's locale (1 234,50) or plainly (1234.50); '' is None."""
    text = (text or "").strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not text:
        return None
    try:
        # Spaces group thousands in French (1 234,50): Babel wants its own space there.
        return parse_decimal(text.replace(" ", ""), locale=language, strict=True)
    except NumberFormatError:
        try:
            value = Decimal(text.replace(" ", ""))
        except InvalidOperation:
            raise MoneyError(N_("Enter an amount such as 1200 or 1200.50.")) from None
        if not value.is_finite():
            raise MoneyError(N_("Enter an amount such as 1200 or 1200.50.")) from None
        return value


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
