"""Every table, imported in one place for Alembic and the tests."""

from app.activities.models import Activity, FollowUp
from app.auth.models import ApiToken, LoginFailure, User, UserSession
from app.customers.models import Contact, Organization

__all__ = [
    "Activity",
    "ApiToken",
    "Contact",
    "FollowUp",
    "LoginFailure",
    "Organization",
    "User",
    "UserSession",
]
