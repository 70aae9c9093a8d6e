"""The daily digest: each morning, in the user's language and time zone, their follow-ups
for the day, the overdue ones, and their deals with no next step. Theirs only (R3)."""

import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.activities import follow_ups
from app.auth.models import User
from app.core import jobs
from app.core.config import Settings
from app.core.i18n import Localizer
from app.core.jobs import Retry
from app.core.mail import send as send_mail
from app.deals import queries as deals


@dataclass
class Digest:
    user: User
    subject: str
    text: str


def compose(session: Session, user: User, settings: Settings, day: date) -> Digest | None:
    """None when there is nothing to say: no empty emails."""
    loc = Localizer(language=user.language or "en", timezone=user.timezone)
    overdue = follow_ups.my_follow_ups(session, user, "overdue", limit=50, day=day).items
    today = follow_ups.my_follow_ups(session, user, "today", limit=50, day=day).items
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


def schedule_due(session: Session, settings: Settings, now: datetime) -> int:
    """Queues one digest job per user and local day: the key makes it one even when every
    process schedules at once. Commits; returns how many were new."""
    if not settings.smtp_host:
        return 0
    queued = 0
    for user in due_users(session, settings, now):
        day = now.astimezone(ZoneInfo(user.timezone)).date()
        queued += jobs.enqueue(
            session,
            "digest",
            ref_id=user.id,
            key=f"digest:{user.id}:{day.isoformat()}",
            payload={"day": day.isoformat()},
            max_attempts=MAX_ATTEMPTS,
        )
    session.commit()
    return queued


MAX_ATTEMPTS = 10


def backoff(attempts: int, settings=None) -> timedelta:
    """1, 2, 4 … minutes, at most 30: an SMTP outage of a few hours still gets the digest out."""
    return timedelta(minutes=min(2 ** (attempts - 1), 30))


def send_digest(session: Session, settings: Settings, job) -> bool:
    """Sends one digest job's mail; the day is marked only once the mail has left, so an
    SMTP failure leaves it due (Retry). Returns whether a mail went out."""
    user = session.get(User, job.ref_id)
    day = date.fromisoformat(job.data["day"])
    if user is None or not user.digest_enabled or user.last_digest_on == day:
        return False
    digest = compose(session, user, settings, day)
    if digest is not None:
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = user.email
        message["Subject"] = digest.subject
        message["Message-ID"] = make_msgid(f"digest.{job.id}")
        message.set_content(digest.text)
        try:
            send_mail(settings, [message])
        except (OSError, smtplib.SMTPException) as exc:
            session.rollback()
            raise Retry(f"{type(exc).__name__}: {exc}") from exc
    user.last_digest_on = day
    session.add(user)
    session.commit()
    return digest is not None


def run_digest(sessions, settings: Settings, job, run) -> None:
    with sessions() as session:
        send_digest(session, settings, job)
