"""Shared pieces of the JSON API: the versioned router and the list envelope."""

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

API_PREFIX = "/api/v1"


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
