"""Record ids as they arrive in paths and queries: positive and within a database integer."""

from typing import Annotated

from fastapi import Path, Query

from app.core.schema import MAX_ID

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def id_from(value) -> int | None:
    """An id typed in a form field (a select, a hidden input): None unless it could be one."""
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None
