"""Shared pieces of the JSON API: the versioned router, the list query and its envelope."""

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from app.core.text import clean_query

T = TypeVar("T")

API_PREFIX = "/api/v1"


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorOut(BaseModel):
    """Every refusal's body: a sentence, or one entry per wrong field."""

    detail: str | list


# The refusals every operation of the API may give, so the description says them all.
API_ERRORS = {
    400: {"model": ErrorOut, "description": "The request body could not be read"},
    401: {"model": ErrorOut, "description": "No valid token"},
    403: {"model": ErrorOut, "description": "Your role does not allow this"},
    404: {"model": ErrorOut, "description": "No such record, or not yours to see"},
    413: {"model": ErrorOut, "description": "The request is too large"},
}


# Declared for the OpenAPI description (the docs' Authorize button); the check itself is
# app.auth.deps, shared with the pages.
bearer = HTTPBearer(auto_error=False, description="A personal API token from your account page.")
API_DOCS = [Depends(bearer)]


@dataclass
class ListQuery:
    """Search, paging and the archive filter, as every record list of the API takes them."""

    q: str = ""
    cursor: str = ""
    limit: int = 25
    archived: bool = False


def list_query(
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    archived: bool = False,
) -> ListQuery:
    return ListQuery(clean_query(q), cursor, limit, archived)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


def list_out(page) -> ListOut:
    return ListOut(items=page.items, next_cursor=page.next_cursor)
