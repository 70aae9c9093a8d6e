"""Text folding for search and sorting: case- and accent-insensitive, digits-only phones."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """'Hélène  DURAND' -> 'helene durand'. Ligatures and width variants fold too."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def phone_digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the folded query anywhere; wildcards in it are literal."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def clean_tags(raw: str) -> str:
    """'Prospect, vip,, VIP ' -> 'prospect, vip': trimmed, folded case, no duplicates."""
    seen: list[str] = []
    for tag in raw.split(","):
        tag = _SPACES.sub(" ", tag).strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return ", ".join(seen)


def strip_controls(text: str) -> str:
    """Drops control characters (but keeps line breaks and tabs) that no form should carry."""
    return "".join(c for c in text if c in "\n\r\t" or unicodedata.category(c) != "Cc")


# Someone's address at a domain with a dot: enough to catch "pas-un-email@" or a name
# typed in the wrong column, without refusing the odd but valid addresses people have.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# What people write in a phone number besides its digits.
_PHONE = re.compile(r"[0-9+\s().\-/]+")


def looks_like_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text))


def looks_like_phone(text: str) -> bool:
    """At least six digits (the shortest numbers anyone dials back) and nothing but digits,
    spaces, + - . / and parentheses."""
    return bool(_PHONE.fullmatch(text)) and len(phone_digits(text)) >= 6


# A cell starting with one of these is a formula to a spreadsheet: a name like "=HYPERLINK(…)"
# typed into Carnet must open as text, not run, in whoever's Excel opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    if not text.startswith(FORMULA_STARTS) or re.fullmatch(r"-?\d+([.,]\d+)?", text):
        return text  # a plain number (an NPS of -30) stays a number
    return "'" + text
