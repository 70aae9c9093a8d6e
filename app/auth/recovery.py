"""A forgotten password: a signed link by mail that works once and not for long, and that
never says whether an address has an account."""

import contextlib
import hashlib
import secrets
import smtplib
from email.message import EmailMessage

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, select

from app.auth.models import User
from app.auth.service import (
    create_user,
    normalize_email,
    sign_out_everywhere,
    validate_password,
)
from app.core.config import Settings
from app.core.errors import FormErrors
from app.core.i18n import N_, Localizer
from app.core.mail import can_send, send
from app.core.schema import utcnow
from app.core.security import hash_password

SALT = "carnet-password-reset"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_link(settings: Settings, secret: str, user: User, kind: str = "reset") -> str:
    token = _serializer(secret).dumps({"u": user.id, "f": _fingerprint(user), "k": kind})
    return f"{settings.base_url.rstrip('/')}/password/reset/{token}"


def _max_age(settings: Settings, kind: str) -> int:
    if kind == "invite":
        return settings.invitation_days * 86400
    return settings.password_reset_minutes * 60


def reset_mail(
    session: Session, settings: Settings, secret: str, email: str
) -> EmailMessage | None:
    """The mail for an active account at this address, or None; the caller answers the same
    either way and sends after answering, so neither words nor timing tell."""
    user = session.exec(select(User).where(User.email == normalize_email(email)[:254])).first()
    if user is None or not user.is_active or not can_send(settings):
        return None
    loc = Localizer(language=user.language or "en", timezone=user.timezone)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = user.email
    message["Subject"] = loc.gettext("Carnet: choose a new password")
    message.set_content(
        loc.gettext(
            "Someone asked to choose a new password for your Carnet account. If it was you, "
            "open this link within %(minutes)s minutes; it works once:",
            minutes=settings.password_reset_minutes,
        )
        + "\n\n"
        + reset_link(settings, secret, user)
        + "\n\n"
        + loc.gettext("If it was not you, ignore this mail: your password stays as it is.")
    )
    return message


def send_quietly(settings: Settings, message: EmailMessage | None) -> None:
    """After the answer has gone: a mail server that is down tells the visitor nothing."""
    if message is None:
        return
    with contextlib.suppress(OSError, smtplib.SMTPException):
        send(settings, [message])


def user_for_link(session: Session, settings: Settings, secret: str, token: str) -> User | None:
    longest = max(_max_age(settings, "invite"), _max_age(settings, "reset"))
    try:
        data, signed_at = _serializer(secret).loads(
            token[:500], max_age=longest, return_timestamp=True
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    if (utcnow() - signed_at).total_seconds() > _max_age(settings, data.get("k", "reset")):
        return None
    user = session.get(User, data.get("u"))
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        return None
    return user


def reset_password(session: Session, user: User, new: str) -> None:
    """The new password; every session and API token of the account ends with the old one."""
    errors = FormErrors()
    validate_password(new, errors, "new_password")
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    session.add(user)
    sign_out_everywhere(session, user)
    session.commit()


def invitation_mail(settings: Settings, secret: str, user: User, inviter: User) -> EmailMessage:
    loc = Localizer(language=user.language or inviter.language or "en", timezone=user.timezone)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = user.email
    message["Subject"] = loc.gettext("Carnet: %(name)s invites you", name=inviter.name)
    message.set_content(
        loc.gettext(
            "%(name)s made you an account on the team's Carnet. Choose your password with "
            "this link within %(days)s days; it works once:",
            name=inviter.name,
            days=settings.invitation_days,
        )
        + "\n\n"
        + reset_link(settings, secret, user, "invite")
    )
    return message


def create_account(
    session: Session, settings: Settings, secret: str, admin: User, *, password: str, **fields
) -> tuple[User, EmailMessage | None]:
    """An account with the password the admin typed, or, without one, an invitation by mail:
    the person chooses their own and nobody else ever knows it."""
    if password:
        return create_user(session, password=password, **fields), None
    if not can_send(settings):
        errors = FormErrors()
        errors.add(
            "password",
            N_("Type an initial password, or set up mail (CARNET_SMTP_*) to invite by email."),
        )
        raise errors
    user = create_user(session, password=secrets.token_urlsafe(32), **fields)
    return user, invitation_mail(settings, secret, user, admin)
