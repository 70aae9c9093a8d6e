"""Accounts: login with throttling, browser sessions, API tokens, account settings."""

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from app.auth.models import ApiToken, LoginFailure, User, UserSession
from app.core.config import Settings
from app.core.errors import FormErrors, NotFound, refusal_rolls_back
from app.core.i18n import LANGUAGES, N_, valid_timezone
from app.core.schema import utcnow
from app.core.security import (
    MIN_PASSWORD_LENGTH,
    dummy_hash,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)

TOKEN_PREFIX = "carnet_"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def has_any_user(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts")
        self.retry_after = retry_after


def client_key(secret: str, address: str) -> str:
    """A keyed hash of a client's address: tells clients apart, keeps no address."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:64]


def _wait(failures: int, free: int, last, now) -> int:
    """Seconds still to wait: none for the first `free` failures, then 1, 2, 4… (at most
    15 minutes) after the latest one."""
    if failures < free or last is None:
        return 0
    delay = min(2 ** (failures - free), 900)
    return max(0, math.ceil(delay - (now - last).total_seconds()))


def _failures(session: Session, since, *where) -> tuple[int, object]:
    return session.exec(
        select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at >= since, *where)
    ).one()


def check_throttle(session: Session, settings: Settings, email: str, client: str) -> None:
    """Raises TooManyAttempts while this client, or this account on this client, must wait."""
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    pair, pair_last = _failures(
        session, since, LoginFailure.email == email, LoginFailure.client == client
    )
    anyone, client_last = _failures(session, since, LoginFailure.client == client)
    wait = max(
        _wait(pair, settings.login_max_failures, pair_last, now),
        _wait(anyone, settings.login_client_free_failures, client_last, now),
    )
    if wait:
        raise TooManyAttempts(wait)


def note_failure(session: Session, email: str, client: str) -> None:
    session.add(LoginFailure(email=email, client=client))
    session.commit()


def clear_failures(session: Session, email: str, client: str) -> None:
    session.exec(
        delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.client == client)
    )
    session.commit()


def authenticate(
    session: Session, settings: Settings, email: str, password: str, client: str = ""
) -> User | None:
    """The active account for these credentials, or None. Throttled per client and per
    account on that client, with growing delays: an attacker's client slows down, whatever
    emails it tries, while the account's owner on another client is not locked out."""
    email = normalize_email(email)[:254]
    check_throttle(session, settings, email, client)
    user = session.exec(select(User).where(User.email == email)).first()
    stored = user.password_hash if user else dummy_hash()
    # Hashing takes a while: never inside a transaction, which on SQLite holds the write
    # lock (a POST begins IMMEDIATE): every other writer would queue behind every login.
    session.rollback()
    ok = verify_password(stored, password)
    if user and ok and user.is_active:
        # With two-step sign-in the code step clears them: knowing the password must not
        # reset the count of wrong codes.
        if not user.two_step:
            clear_failures(session, email, client)
        return user
    note_failure(session, email, client)
    return None


def start_session(session: Session, settings: Settings, user: User) -> str:
    """Creates a browser session; returns the raw token that goes in the cookie."""
    now = utcnow()
    # Housekeeping at a moment that is rare and not latency-critical: logging in.
    session.exec(delete(UserSession).where(UserSession.expires_at < now))
    window = timedelta(minutes=settings.login_window_minutes)
    session.exec(delete(LoginFailure).where(LoginFailure.at < now - window))
    raw = new_token()
    session.add(
        UserSession(
            id=token_hash(raw),
            user_id=user.id,
            csrf_token=new_token(),
            expires_at=utcnow() + timedelta(days=settings.session_days),
        )
    )
    session.commit()
    return raw


@dataclass
class Authenticated:
    user: User
    csrf_token: str | None  # None for API tokens: no cookie, so no CSRF to guard


def user_for_session(session: Session, raw: str) -> Authenticated | None:
    row = session.exec(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == token_hash(raw))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.expires_at < utcnow() or not user.is_active:
        return None
    return Authenticated(user=user, csrf_token=user_session.csrf_token)


def end_session(session: Session, raw: str) -> None:
    session.exec(delete(UserSession).where(UserSession.id == token_hash(raw)))
    session.commit()


def user_for_api_token(session: Session, raw: str) -> Authenticated | None:
    row = session.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(raw), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row[1].is_active:
        return None
    return Authenticated(user=row[1], csrf_token=None)


def validate_password(password: str, errors: FormErrors, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add(field, N_("Use at least 10 characters."))
    elif len(password) > 1000:
        errors.add(field, N_("Use at most 1000 characters."))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    is_seller: bool = True,
    is_manager: bool = False,
    is_admin: bool = False,
    language: str | None = None,
    timezone: str = "Europe/Paris",
) -> User:
    errors = FormErrors()
    email = normalize_email(email)
    name = name.strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors.add("email", N_("Enter a valid email address."))
    elif session.exec(select(User.id).where(User.email == email)).first():
        errors.add("email", N_("An account with this email already exists."))
    if not name:
        errors.add("name", N_("Enter a name."))
    elif len(name) > 200:
        errors.add("name", N_("Use at most 200 characters."))
    validate_password(password, errors)
    if not (is_seller or is_manager or is_admin):
        errors.add("roles", N_("Pick at least one role."))
    errors.raise_if_any()
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        is_seller=is_seller,
        is_manager=is_manager,
        is_admin=is_admin,
        language=language,
        timezone=timezone,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def list_users(session: Session, admin: User) -> list[User]:
    # Accounts are few (a small team); bounded anyway.
    return list(session.exec(select(User).order_by(User.name, User.id).limit(500)).all())


def get_user(session: Session, admin: User, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound
    return user


@refusal_rolls_back
def update_user_access(
    session: Session,
    admin: User,
    target: User,
    *,
    is_seller: bool,
    is_manager: bool,
    is_admin: bool,
    is_active: bool,
    is_leaving: bool | None = None,
) -> User:
    errors = FormErrors()
    if not (is_seller or is_manager or is_admin):
        errors.add("roles", N_("Pick at least one role."))
    if target.id == admin.id and (not is_admin or not is_active):
        errors.add("roles", N_("You cannot remove your own admin access."))
    errors.raise_if_any()
    target.is_seller, target.is_manager, target.is_admin = is_seller, is_manager, is_admin
    target.is_active = is_active
    if is_leaving is not None and is_leaving != (target.leaving_since is not None):
        target.leaving_since = utcnow() if is_leaving else None
    session.add(target)
    if not is_active:
        # A disabled account is logged out everywhere at once.
        sign_out_everywhere(session, target)
    session.commit()
    return target


def sign_out_everywhere(session: Session, user: User, keep_session: str | None = None) -> None:
    """Ends the account's browser sessions (all but `keep_session`, the raw cookie token of the
    browser doing this) and revokes its API tokens, in the caller's transaction."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session:
        stmt = stmt.where(UserSession.id != token_hash(keep_session))
    session.exec(stmt)
    session.exec(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def update_preferences(
    session: Session, user: User, *, language: str, timezone: str, digest: bool | None = None
) -> User:
    errors = FormErrors()
    if language and language not in LANGUAGES:
        errors.add("language", N_("Pick a language from the list."))
    if not valid_timezone(timezone):
        errors.add("timezone", N_("Pick a time zone from the list."))
    errors.raise_if_any()
    user.language = language or None
    user.timezone = timezone
    if digest is not None:
        user.digest_enabled = digest and user.can_see_records
    session.add(user)
    session.commit()
    return user


def change_password(
    session: Session, user: User, *, current: str, new: str, keep_session: str | None
) -> None:
    errors = FormErrors()
    if not verify_password(user.password_hash, current):
        errors.add("current_password", N_("This is not your current password."))
    validate_password(new, errors, "new_password")
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    session.add(user)
    # Other browsers, and API tokens a leaked password may have made, end with it.
    sign_out_everywhere(session, user, keep_session)
    session.commit()


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
            .limit(100)
        ).all()
    )


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, shown once and never stored."""
    name = name.strip()
    errors = FormErrors()
    if not name:
        errors.add("token_name", N_("Name the token after what will use it."))
    elif len(name) > 100:
        errors.add("token_name", N_("Use at most 100 characters."))
    errors.raise_if_any()
    raw = new_token(TOKEN_PREFIX)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(raw), prefix=raw[:12])
    session.add(token)
    session.commit()
    session.refresh(token)
    return token, raw


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    # Another user's token is reported exactly like a missing one.
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound
    token.revoked_at = utcnow()
    session.add(token)
    session.commit()
