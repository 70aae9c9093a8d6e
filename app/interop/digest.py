"""The daily digest: each morning, in the user's language and time zone, their follow-ups
for the day, the overdue ones, and their deals with no next step. Theirs only (R3)."""

import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

from app.activities import service as activities
from app.auth.models import User
from app.core.config import Settings
from app.core.i18n import Localizer
from app.deals import service as deals


@dataclass
class Digest:
    user: User
    subject: str
    text: str


def compose(session: Session, user: User, settings: Settings, day: date) -> Digest | None:
    """None when there is nothing to say: no empty emails."""
    loc = Localizer(language=user.language or "en", timezone=user.timezone)
    overdue = activities.my_follow_ups(session, user, "overdue", limit=50, day=day).items
    today = activities.my_follow_ups(session, user, "today", limit=50, day=day).items
    stuck = deals.deals_today(session, user, settings.quote_wait_days, limit=50, day=day)
    if not (overdue or today or stuck.no_next_step or stuck.overdue):
        return None
    base = settings.base_url.rstrip("/")
    lines = [loc.gettext("Good morning %(name)s,", name=user.name), ""]

    def section(title, rows):
        if rows:
            lines.append(title)
            lines.extend(rows)
            lines.append("")

    def follow_up_line(row):
        who = " · ".join(x for x in (row.contact_name, row.organization_name) if x)
        due = loc.relative_day(row.follow_up.due_on)
        link = f"{base}/contacts/{row.follow_up.contact_id}" if row.follow_up.contact_id else ""
        return f"- {row.follow_up.what} ({due}){' — ' + who if who else ''} {link}".rstrip()

    section(loc.gettext("Overdue"), [follow_up_line(r) for r in overdue])
    section(loc.gettext("Due today"), [follow_up_line(r) for r in today])
    section(
        loc.gettext("Deals with an overdue next step"),
        [
            f"- {d.title}: {d.next_step} ({loc.relative_day(d.next_step_due)}) {base}/deals/{d.id}"
            for d in stuck.overdue
        ],
    )
    section(
        loc.gettext("Deals with no next step"),
        [f"- {d.title} {base}/deals/{d.id}" for d in stuck.no_next_step],
    )
    lines.append(f"{base}/today")
    count = len(overdue) + len(today)
    subject = loc.ngettext(
        "Carnet: %(num)s follow-up for today", "Carnet: %(num)s follow-ups for today", count
    )
    return Digest(user, subject, "\n".join(lines))


def _send(settings: Settings, messages: list[EmailMessage]) -> None:
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        for message in messages:
            smtp.send_message(message)


def due_users(session: Session, settings: Settings, now: datetime) -> list[User]:
    """Users who asked for the digest, for whom it is morning and who have not had today's."""
    found = []
    for user in session.exec(
        select(User).where(User.digest_enabled, User.is_active).order_by(User.id).limit(10_000)
    ):
        local = now.astimezone(ZoneInfo(user.timezone))
        if local.hour >= settings.digest_hour and user.last_digest_on != local.date():
            found.append(user)
    return found


def send_due_digests(session: Session, settings: Settings, now: datetime) -> int:
    """Sends each due digest once: the day is marked before the mail leaves, so a crash
    may skip one morning but never sends twice. Returns how many were sent."""
    if not settings.smtp_host:
        return 0
    messages = []
    for user in due_users(session, settings, now):
        local_day = now.astimezone(ZoneInfo(user.timezone)).date()
        claimed = session.execute(
            update(User)
            .where(
                User.id == user.id,
                (User.last_digest_on != local_day) | User.last_digest_on.is_(None),
            )
            .values(last_digest_on=local_day)
        )
        session.commit()
        if claimed.rowcount != 1:
            continue
        digest = compose(session, user, settings, local_day)
        if digest is None:
            continue
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = user.email
        message["Subject"] = digest.subject
        message.set_content(digest.text)
        messages.append(message)
    if messages:
        _send(settings, messages)
    return len(messages)
