"""Two-step sign-in: a code from an authenticator app (TOTP, RFC 6238, through pyotp) after
the password, single-use recovery codes for a lost phone, and an admin's requirement that
every account use it."""

import hashlib
import secrets
import time

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.auth.models import RecoveryCode, User, UserSession
from app.auth.service import sign_out_everywhere
from app.core.access import require_admin
from app.core.app_settings import AppSetting
from app.core.errors import FormErrors
from app.core.i18n import N_
from app.core.schema import utcnow
from app.core.security import verify_password

ISSUER = "Carnet"
REQUIRED = "two_step_required"  # app setting: "1" when every account must use it
RECOVERY_CODES = 10
STEP = 30  # seconds per code (the authenticator apps' default)


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code to scan, drawn here as SVG: no image service sees the secret."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))


def _digits(code: str) -> str:
    return "".join(c for c in code if c.isdigit())


def _recovery_hash(code: str) -> str:
    plain = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(plain.encode()).hexdigest()


def _step_matching(secret: str, code: str, now: float) -> int | None:
    """The time step (this one or a neighbour, for a phone's clock a little off) whose code
    this is."""
    totp = pyotp.TOTP(secret)
    here = int(now // STEP)
    for step in (here, here - 1, here + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def check_code(session: Session, user: User, code: str) -> bool:
    """A fresh authenticator code, or an unused recovery code (then used up)."""
    digits = _digits(code)
    if user.totp_secret and len(digits) == 6 and digits == code.strip().replace(" ", ""):
        step = _step_matching(user.totp_secret, digits, time.time())
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return False
        # Conditional on the last step, so two tabs sending one code cannot both pass.
        won = session.exec(
            update(User)
            .where(
                User.id == user.id,
                (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        session.commit()
        session.refresh(user)
        return won.rowcount == 1
    used = session.exec(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()
    return used.rowcount == 1


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)))
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def enable(session: Session, user: User, secret: str, code: str) -> list[str]:
    """Turns two-step sign-in on once the app shows the right code; returns the recovery
    codes, which are shown this once."""
    step = _step_matching(secret, _digits(code), time.time()) if secret else None
    if step is None:
        raise _refuse("code", N_("This code does not match. Type the 6 digits your app shows now."))
    user.totp_secret = secret
    user.totp_last_step = step
    session.add(user)
    codes = _new_recovery_codes(session, user)
    session.commit()
    return codes


def _refuse(field: str, message: str) -> FormErrors:
    errors = FormErrors()
    errors.add(field, message)
    return errors


def _check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise _refuse("password", N_("This is not your current password."))


def new_recovery_codes(session: Session, user: User, password: str) -> list[str]:
    _check_password(user, password)
    codes = _new_recovery_codes(session, user)
    session.commit()
    return codes


def _turn_off(session: Session, user: User) -> None:
    user.totp_secret = user.totp_last_step = None
    session.add(user)
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(session: Session, user: User, password: str) -> None:
    """The owner turns it off, with their password, unless the team requires it."""
    _check_password(user, password)
    if required(session):
        raise _refuse("password", N_("Your team requires two-step sign-in."))
    _turn_off(session, user)
    session.commit()


def reset_for(session: Session, admin: User, target: User) -> None:
    """An admin turns it off for someone who lost their phone and their codes; their
    sessions end, so the next sign-in sets it up again if the team requires it."""
    require_admin(admin)
    _turn_off(session, target)
    sign_out_everywhere(session, target)
    session.commit()


def required(session: Session) -> bool:
    setting = session.get(AppSetting, REQUIRED)
    return bool(setting and setting.value == "1")


def set_required(session: Session, admin: User, on: bool) -> None:
    """When it becomes required, accounts without it are signed out: they set it up at
    their next sign-in, before anything else."""
    require_admin(admin)
    setting = session.get(AppSetting, REQUIRED) or AppSetting(key=REQUIRED)
    was = setting.value == "1"
    setting.value = "1" if on else ""
    session.add(setting)
    if on and not was:
        # Browser sessions only: API tokens were made from a signed-in session and stay.
        without = select(User.id).where(User.totp_secret.is_(None), User.id != admin.id)
        session.exec(delete(UserSession).where(UserSession.user_id.in_(without)))
    session.commit()
