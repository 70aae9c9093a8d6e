"""The role checks services make themselves, so the API, pages and CLI share them (R5, R6)."""

from app.core.errors import Forbidden


def require_records(user) -> None:
    """R5: a pure manager sees aggregates only, never individual records."""
    if not user.can_see_records:
        raise Forbidden


def require_admin(user) -> None:
    if not user.is_admin:
        raise Forbidden


def require_manager(user) -> None:
    """R4: team outcomes are for managers."""
    if not user.is_manager:
        raise Forbidden
