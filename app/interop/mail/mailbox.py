"""Reading the team mailbox over IMAP: each message is filed (app/interop/mail/capture.py),
then removed from the mailbox; one that Carnet cannot file is moved to a folder for the
admin to look at. Nothing leaves the mailbox before Carnet has it. Runs as a background job
(one process at a time), never while a page waits."""

import contextlib
import imaplib
import json
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core.app_settings import AppSetting
from app.core.config import Settings
from app.documents.service import DocumentStore
from app.interop.mail import capture

log = logging.getLogger("carnet.mail")

STATUS_KEY = "mail.capture"
BATCH = 200  # messages filed per look; the rest wait for the next one
TIMEOUT_SECONDS = 30


class MailboxUnreachable(Exception):
    """The IMAP server could not be reached or refused the login: tried again later."""


@dataclass
class Look:
    filed: int = 0
    to_file: int = 0
    ignored: int = 0
    moved_aside: int = 0
    left: int = 0  # still in the mailbox for the next look
    errors: list[str] = field(default_factory=list)


def configured(settings: Settings) -> bool:
    return bool(settings.imap_host and settings.capture_address)


def connect(settings: Settings) -> imaplib.IMAP4:
    try:
        if settings.imap_security == "ssl":
            context = ssl.create_default_context()
            box = imaplib.IMAP4_SSL(
                settings.imap_host, settings.imap_port, ssl_context=context, timeout=TIMEOUT_SECONDS
            )
        else:
            box = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=TIMEOUT_SECONDS)
            if settings.imap_security == "starttls":
                box.starttls(ssl.create_default_context())
        box.login(settings.imap_username, settings.imap_password)
        status, _ = box.select(_quoted(settings.imap_folder))
        if status != "OK":
            raise MailboxUnreachable(f"folder {settings.imap_folder!r} cannot be opened")
        return box
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxUnreachable(f"{settings.imap_host}:{settings.imap_port}: {exc}") from exc


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uids(box: imaplib.IMAP4) -> list[bytes]:
    status, data = box.uid("SEARCH", None, "ALL")
    if status != "OK" or not data or not data[0]:
        return []
    return data[0].split()


def _fetch(box: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = box.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    return None


def _set_aside(box: imaplib.IMAP4, settings: Settings, uid: bytes) -> None:
    folder = _quoted(settings.imap_failed_folder)
    box.create(folder)  # "already exists" is an answer, not a failure
    status, _ = box.uid("COPY", uid, folder)
    if status == "OK":
        box.uid("STORE", uid, "+FLAGS", "(\\Deleted)")


def look(sessions, settings: Settings, store: DocumentStore) -> Look:
    """One look at the mailbox: every message there (up to BATCH) filed and removed, or set
    aside. Raises MailboxUnreachable when the server cannot be used."""
    seen = Look()
    box = connect(settings)
    try:
        uids = _uids(box)
        seen.left = max(0, len(uids) - BATCH)
        for uid in uids[:BATCH]:
            raw = _fetch(box, uid)
            if raw is None:
                continue
            try:
                with sessions() as session:
                    outcome = capture.file_raw(session, settings, store, raw)
            except OperationalError:
                raise  # the database is away: the message stays for the next look
            except Exception as exc:  # this message, not Carnet: set aside for the admin
                log.exception(
                    "mail uid %s could not be filed; moved to %s", uid, settings.imap_failed_folder
                )
                seen.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                _set_aside(box, settings, uid)
                seen.moved_aside += 1
                continue
            if outcome.status == capture.UNKNOWN_KEY:
                # Not a seller's address (a wrong or renewed secret): kept for the admin.
                _set_aside(box, settings, uid)
                seen.moved_aside += 1
                continue
            box.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            if outcome.status == "filed":
                seen.filed += 1
            elif outcome.status == "to_file":
                seen.to_file += 1
            else:
                seen.ignored += 1
        box.expunge()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            box.logout()
    return seen


# ---- the status an admin reads, and the backoff after failures ---------------------------


def status(session: Session) -> dict:
    """{"ok_at", "failures", "error", "error_at", "next_at"} as last saved (times as
    datetimes); empty before the first look."""
    row = session.get(AppSetting, STATUS_KEY)
    try:
        data = json.loads(row.value) if row else {}
    except ValueError:
        return {}
    for key in ("ok_at", "error_at", "next_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return data


def _save(session: Session, data: dict) -> None:
    row = session.get(AppSetting, STATUS_KEY) or AppSetting(key=STATUS_KEY)
    row.value = json.dumps(data, default=str)[:500]
    session.add(row)
    session.commit()


def note_success(session: Session, seen: Look, now: datetime) -> None:
    _save(session, {"ok_at": now.isoformat(), "failures": 0, "filed": seen.filed})


def note_failure(session: Session, error: str, now: datetime) -> None:
    before = status(session)
    failures = int(before.get("failures", 0)) + 1
    ok_at = before.get("ok_at")
    wait = min(60 * 2 ** (failures - 1), 3600)  # 1, 2, 4 … minutes, at most an hour
    _save(
        session,
        {
            "ok_at": ok_at.isoformat() if ok_at else None,
            "failures": failures,
            "error": re.sub(r"\s+", " ", error)[:300],
            "error_at": now.isoformat(),
            "next_at": (now + timedelta(seconds=wait)).isoformat(),
        },
    )


def due(session: Session, now: datetime) -> bool:
    """Whether the mailbox may be looked at now (not while backing off after failures)."""
    next_at = status(session).get("next_at")
    return not next_at or next_at <= now
