"""Phone numbers as digits: which leading digits are a country calling code.

Calling codes (ITU E.164, as the phonenumbers package keeps them) are prefix-free: a
number's digits start with at most one of them, so "33612…" is +33 6 12…, never +336 12…."""

import re

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def national_digits(digits: str) -> str | None:
    """The digits after the country calling code they start with, if any: "33612345678"
    -> "612345678"; None when no calling code starts them."""
    for length in (1, 2, 3):
        if digits[:length] in _CODES:
            return digits[length:]
    return None


_TYPED_NUMBER = re.compile(r"\+?[\d\s().\-/]+")


def number_spellings(query: str) -> list[str]:
    """What a number typed into a search may be stored as, beside the folded text itself:
    its digits whatever the spacing ("06 12 34" finds 06.12.34…), and for one typed with a
    calling code (+33 6 12, 0033 6 12) the national form (06 12…). Empty for other text."""
    query = query.strip()
    digits = "".join(c for c in query if c.isdigit())
    if not _TYPED_NUMBER.fullmatch(query) or len(digits) < 3:
        return []
    spellings = [digits]
    international = digits[2:] if digits.startswith("00") else digits
    if query.startswith("+") or digits.startswith("00"):
        national = national_digits(international)
        if national:
            spellings.append("0" + national)
    return spellings
