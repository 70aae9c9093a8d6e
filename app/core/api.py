"""Shared pieces of the JSON API: the versioned router and the list envelope."""

from typing import Generic, TypeVar

from fastapi import Depends
from fastapi.security import HTTPBearer
from pydantic import BaseModel

T = TypeVar("T")

API_PREFIX = "/api/v1"


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# Declared for the OpenAPI description (the docs' Authorize button); the check itself is
# app.auth.deps, shared with the pages.
bearer = HTTPBearer(auto_error=False, description="A personal API token from your account page.")
API_DOCS = [Depends(bearer)]
