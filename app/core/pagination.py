"""Keyset pagination: opaque cursors over (sort key, id), no COUNT of whole tables."""

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

# Values a cursor carries go into SQL: anything beyond a signed 64-bit integer is not ours.
LARGEST = 2**63 - 1

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The cursor's values, or None when it is absent or not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested past Python's depth
        return None
    if not isinstance(values, list) or len(values) != arity:
        return None
    if any(isinstance(v, str) and "\x00" in v for v in values):
        return None  # never ours (keys are folded), and PostgreSQL refuses a NUL
    return values


def clamp_limit(limit: int | None, default: int, maximum: int = 100) -> int:
    if not limit or limit < 1:
        return default
    return min(limit, maximum)


def cursor_int(value: Any) -> int | None:
    """A cursor's whole number (an id, an amount), if it is one the database can hold."""
    text = str(value)
    if text.lstrip("-").isdigit() and len(text) < 20 and abs(int(text)) <= LARGEST:
        return int(text)
    return None


def cursor_id(value: Any) -> int | None:
    """A cursor's row id, brought within PostgreSQL's integer ids: past the largest id every
    row is before it, and PostgreSQL refuses a larger number outright."""
    found = cursor_int(value)
    return None if found is None else max(min(found, 2**31 - 1), -(2**31))


def cursor_time(value: Any) -> datetime | None:
    """A cursor's moment, always with its zone (a naive one is read as UTC)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
