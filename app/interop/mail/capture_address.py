"""Each seller's secret capture address: the team mailbox's address with a key after "+".
Mail is matched to a seller by that key only, never by a From header (anyone can forge it)."""

import re
import secrets

from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_records
from app.core.config import Settings

# Letters and digits no one misreads when copying by hand (no 0/o, 1/l/i).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
KEY_LENGTH = 12  # 59 bits: not guessable by sending mail to it
_PLUS = re.compile(r"^([^+@\s]+)\+([a-z0-9]{6,32})@([^@\s]+)$")


def enabled(settings: Settings) -> bool:
    return "@" in settings.capture_address


def address_for(settings: Settings, user: User) -> str | None:
    """crm+<key>@company.example, or None while capture is off or the seller has no key."""
    if not enabled(settings) or not user.capture_key:
        return None
    local, domain = settings.capture_address.rsplit("@", 1)
    return f"{local}+{user.capture_key}@{domain}"


def new_key(session: Session, user: User) -> str:
    """A fresh key for the seller: the old address stops working at once."""
    require_records(user)
    user.capture_key = "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))
    session.add(user)
    session.commit()
    return user.capture_key


def set_default_private(session: Session, user: User, private: bool) -> None:
    require_records(user)
    user.capture_private = private
    session.add(user)
    session.commit()


def key_in(settings: Settings, addresses: list[str]) -> str | None:
    """The key of the first of `addresses` that is a capture address of this mailbox."""
    if not enabled(settings):
        return None
    local, domain = settings.capture_address.lower().rsplit("@", 1)
    for address in addresses:
        match = _PLUS.match(address.strip().lower())
        if match and match.group(1) == local and match.group(3) == domain:
            return match.group(2)
    return None


def seller_for(session: Session, key: str | None) -> User | None:
    """The active seller whose key this is; None for a wrong or renewed key."""
    if not key:
        return None
    user = session.exec(select(User).where(User.capture_key == key)).first()
    if user is None or not user.is_active or not user.can_see_records:
        return None
    return user
