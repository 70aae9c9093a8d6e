"""Phone numbers as digits: which leading digits are a country calling code.

Calling codes (ITU E.164, as the phonenumbers package keeps them) are prefix-free: a
number's digits start with at most one of them, so "33612…" is +33 6 12…, never +336 12…."""

import re
import unicodedata

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
    """What a number typed into a search may be stored as: its digits whatever the spacing
    ("06 12 34" finds 06.12.34…), and for one typed with a calling code (+33 6 12, 0033 6 12,
    +33 (0)6 12) its international digits and its national form (06 12…). Stored numbers
    carry the same words (stored_words). Empty for text that is not a number."""
    # Full-width or other script digits (０６ １２) read as the ASCII ones they stand for.
    query = unicodedata.normalize("NFKC", query).strip()
    digits = "".join(c for c in query if "0" <= c <= "9")
    if not _TYPED_NUMBER.fullmatch(query) or len(digits) < 3:
        return []
    spellings = [digits]
    if not query.startswith(("+", "0")):
        # 6 12 34 56 78, the number without its trunk 0, as some write it.
        spellings.append("0" + digits)
    if query.startswith("+") or digits.startswith("00"):
        international = digits if query.startswith("+") else digits[2:]
        national = national_digits(international)
        for spelling in (international, national and _with_trunk(national)):
            if spelling and len(spelling) >= 3 and spelling not in spellings:
                spellings.append(spelling)
    return spellings


def _with_trunk(national: str) -> str:
    return national if national.startswith("0") else "0" + national


def stored_words(phone: str) -> list[str]:
    """The words a stored number is found by, beside its text as typed: its digits, and for
    a number stored with a calling code (+33 6 12…, 0033 6 12…) its international digits
    and its national form (06 12…), so that 06 12 typed finds it as surely as +33 6 12."""
    digits = "".join(c for c in phone if c.isdigit())
    if not digits:
        return []
    words = [digits]
    plus = phone.strip().startswith("+")
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if international != digits:
            words.append(international)
        national = national_digits(international)
        if national:  # +33 (0)6 12… keeps its written trunk 0
            words.append(_with_trunk(national))
    return words
