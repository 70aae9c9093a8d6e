"""Who may do what: the one place where requests are authenticated and access is checked.

Routers are mounted with these dependencies, so a route added later is closed
by default; routes receive the user (and loaded records) as typed parameters.
"""

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import User
from app.core.access import require_admin, require_manager, require_records
from app.core.db import get_session
from app.core.security import same
from app.core.templating import localizer_for

SESSION_COOKIE = "carnet_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

SessionDep = Annotated[Session, Depends(get_session)]


class NotAuthenticated(Exception):
    pass


class CsrfFailed(Exception):
    pass


def cookie_token(request: Request) -> str | None:
    signed = request.cookies.get(SESSION_COOKIE)
    if not signed:
        return None
    return request.app.state.signer.unsign(signed)


def optional_user(request: Request, session: SessionDep) -> User | None:
    if hasattr(request.state, "auth"):
        return request.state.auth and request.state.auth.user
    auth = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        auth = auth_service.user_for_api_token(session, header[7:].strip())
    else:
        raw = cookie_token(request)
        if raw:
            auth = auth_service.user_for_session(session, raw)
    request.state.auth = auth
    if auth is not None:
        request.state.user = auth.user
        request.state.csrf_token = auth.csrf_token or ""
        # Read the user's language and zone now: a refused write rolls the session back,
        # and the error page must not have to reload the user to speak their language.
        localizer_for(request)
    return auth and auth.user


# The checks below do no I/O, so they are async: no thread-pool hop on every request.
async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated
    return user


async def csrf_protect(request: Request, user: Annotated[User, Depends(current_user)]) -> None:
    """Unsafe requests made with the session cookie must carry the session's CSRF token."""
    if request.method in SAFE_METHODS or request.state.auth.csrf_token is None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not same(sent, request.state.auth.csrf_token):
        raise CsrfFailed


async def record_user(user: Annotated[User, Depends(current_user)]) -> User:
    require_records(user)
    return user


async def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    require_admin(user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
RecordUser = Annotated[User, Depends(record_user)]
AdminUser = Annotated[User, Depends(admin_user)]


async def manager_user(user: Annotated[User, Depends(current_user)]) -> User:
    """Team outcomes are for managers: aggregates only, K-suppressed (R4)."""
    require_manager(user)
    return user


ManagerUser = Annotated[User, Depends(manager_user)]

# Dependencies for mounting routers: every route under them is closed by default.
SIGNED_IN = [Depends(current_user), Depends(csrf_protect)]
RECORDS = [Depends(record_user), Depends(csrf_protect)]
ADMIN = [Depends(admin_user), Depends(csrf_protect)]
MANAGERS = [Depends(manager_user), Depends(csrf_protect)]
