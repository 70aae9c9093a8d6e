"""A sign-in half done: the password was right, the second step is still to come.

Held in a signed, short-lived cookie (no session exists yet). It names the account and a
fingerprint of its password hash, so a password changed in the meantime voids it."""

import hashlib

from fastapi import Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth.models import User

COOKIE = "carnet_pending"
MINUTES = 10


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="carnet.two-step")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def remember(request: Request, response, user: User, target: str, secret: str = ""):
    """Sets the cookie on `response`: the account, where to go after, and (while setting up)
    the new secret, which only this browser sees."""
    value = _serializer(request).dumps(
        {"u": user.id, "f": _fingerprint(user), "n": target, "s": secret}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=MINUTES * 60,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookies_secure,
    )
    return response


def begin(request: Request, user: User, target: str) -> RedirectResponse:
    where = "/login/code" if user.two_step else "/login/two-step"
    return remember(request, RedirectResponse(where, 303), user, target)


def read(request: Request, session) -> tuple[User, str, str] | None:
    """(user, target, secret) while the half sign-in is valid, else None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MINUTES * 60)
    except BadSignature:
        return None
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active or _fingerprint(user) != data.get("f"):
        return None
    return user, data.get("n", ""), data.get("s", "")


def forget(response):
    response.delete_cookie(COOKIE)
    return response
