"""Shared schema pieces: the constraint naming convention and time helpers."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BeforeValidator, field_validator
from sqlmodel import SQLModel

from app.core.text import one_line, strip_controls, trim

# Named constraints let Alembic, SQLite batch mode and PostgreSQL agree on names.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Every stored time is an aware UTC datetime."""
    return datetime.now(UTC)


# The largest id both SQLite and PostgreSQL (bigint) can hold; larger ones are a 4xx, not a crash.
MAX_ID = 2**63 - 1

# A record id as input models take it: positive and within a database integer.
RecordId = Annotated[int, Ge(1), Le(MAX_ID)]


def _plain_decimal(value):
    """An amount sent as text to the API is machine-written: ASCII digits and a dot. Python
    would also read 1_000 or Arabic-Indic digits; a client sending those meant something
    else. (Pages read amounts as people type them, in app/core/money.py.)"""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value.strip()):
        raise ValueError("Write the amount with digits and a dot for decimals, such as 1200.50.")
    return value


MachineDecimal = Annotated[Decimal, BeforeValidator(_plain_decimal)]


# The fields people write paragraphs in; every other text field is one line.
MULTILINE = frozenset({"notes", "text", "lost_reason", "comment", "required_facts"})


class CleanInput(SQLModel):
    """The base of every input model: text arrives without control characters or
    surrounding spaces (nor zero-width ones), one-line fields without line breaks, whichever
    door it came through (page, API, import)."""

    @field_validator("*", mode="before")
    @classmethod
    def _trim(cls, value, info):
        if not isinstance(value, str):
            return value
        if info.field_name not in MULTILINE:
            value = one_line(value)  # before controls go: a pasted VT or NEL is a break too
        return trim(strip_controls(value))
