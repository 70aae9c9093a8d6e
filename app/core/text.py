"""Text folding for search and sorting: case- and accent-insensitive, digits-only phones."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Letters Unicode does not decompose into a base letter and an accent, spelled as people
# type them without the key (migration 0020 refolded what was stored before).
_LETTERS = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ı": "i", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ħ": "h"}
)


def fold(text: str) -> str:
    """'Hélène  DURAND' -> 'helene durand', 'Œdipe' -> 'oedipe'. Ligatures and width
    variants fold too; control characters are spaces."""
    decomposed = unicodedata.normalize("NFKD", _CONTROLS.sub(" ", text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold().translate(_LETTERS)).strip()


def clean_query(text: str, limit: int = 200) -> str:
    """A search as typed into a box or a URL, at most `limit` characters, control characters
    (a NUL above all: PostgreSQL refuses it in any string) read as spaces."""
    return _CONTROLS.sub(" ", text[:limit])


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
    """Drops control characters that no form should carry; line breaks and tabs stay (a
    vertical tab, form feed or NEL pasted from another system is a line break)."""
    text = text.translate(_OTHER_BREAKS)
    return "".join(c for c in text if c in "\n\r\t" or unicodedata.category(c) != "Cc")


_OTHER_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x85": "\n"})


# Letters and marks that print as nothing (Hangul fillers, the blank braille cell, the
# grapheme joiner, variation selectors): a name of only these is as empty as one of spaces.
_BLANKS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f" + "".join(map(chr, range(0xFE00, 0xFE10)))
)


def _invisible(c: str) -> bool:
    return c.isspace() or c in _BLANKS or unicodedata.category(c) == "Cf"


def trim(text: str) -> str:
    """Strips spaces and invisible format characters (zero-width space, BOM) from both ends:
    a name of nothing but U+200B is empty. Inside a word they stay (joiners are spelling)."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


_BREAK = "\t\n\x0b\x0c\r\x85\u2028\u2029"
# A run of spaces holding at least one line break or tab: one space instead.
_BREAKS = re.compile(f"[ {_BREAK}]*[{_BREAK}][ {_BREAK}]*")


def one_line(text: str) -> str:
    """A name or an address on one line: line breaks and tabs pasted in become spaces."""
    return _BREAKS.sub(" ", text)


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
