"""Errors services raise for the routes to show: field messages, missing or forbidden records."""

from collections import defaultdict
from functools import wraps


class NotFound(Exception):
    """The record does not exist or the user may not know it exists (R2: 404, not 403)."""


class Forbidden(Exception):
    """The user's role forbids this (R5: a pure manager and records)."""


class Message(str):
    """A message id that carries the values to fill in once it is translated."""

    params: dict

    def __new__(cls, message: str, **params):
        obj = super().__new__(cls, message)
        obj.params = params
        return obj


class FormErrors(Exception):
    """Messages per field, as untranslated message ids; the page translates them."""

    def __init__(self) -> None:
        super().__init__("invalid input")
        self.fields: dict[str, list[str]] = defaultdict(list)

    def add(self, field: str, message: str) -> None:
        self.fields[field].append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise self


class Conflict(Exception):
    """Someone saved this record since the user read it; their change must not be undone.
    `changed` holds the fields whose saved value differs from what this writer sent (their
    current value, as text), `version` the record's current version."""

    def __init__(self, changed: dict[str, str] | None = None, version: int | None = None):
        super().__init__("changed meanwhile")
        self.changed = changed or {}
        self.version = version


def refusal_rolls_back(write):
    """For a service write that takes `(session, user, ...)`: a refusal (FormErrors, and so
    MissingFacts) rolls the transaction back before it reaches the route, so the objects the
    route re-renders hold what is stored, not the half-applied input."""

    @wraps(write)
    def guarded(session, *args, **kwargs):
        try:
            return write(session, *args, **kwargs)
        except FormErrors:
            session.rollback()
            raise

    return guarded
