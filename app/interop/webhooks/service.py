"""Webhooks: the outbox's deliveries sent in the background with an HMAC-SHA256 signature,
retried with backoff, and their admin page. A slow or broken target never slows a page:
pages only add outbox rows (app/core/outbox.py)."""

import hashlib
import hmac
import secrets
import threading
from datetime import timedelta

import httpx
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from app.core.access import require_admin
from app.core.errors import FormErrors
from app.core.i18n import N_
from app.core.jobs import Retry
from app.core.outbox import EVENTS, Webhook, WebhookDelivery
from app.core.schema import utcnow
from app.interop.webhooks.targets import private_target


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


TIMEOUT = 5.0
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    """One client per process, made when the first delivery is due, not on every round."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        return _client


def run_delivery(sessions, settings, job, run) -> None:
    """One attempt at one delivery (the job's attempt is already counted and committed). The
    receiver gets X-Carnet-Delivery, the same on every attempt, to drop a repeat."""
    with sessions() as session:
        delivery = session.get(WebhookDelivery, job.ref_id)
        hook = delivery and session.get(Webhook, delivery.webhook_id)
        if delivery is None or hook is None or delivery.status != "pending":
            return  # the webhook was removed meanwhile
        delivery.attempts = job.attempts
        session.add(delivery)
        session.commit()
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Carnet-Webhooks/1",
            "X-Carnet-Event": delivery.event,
            "X-Carnet-Delivery": str(delivery.id),
            "X-Carnet-Signature": signature(hook.secret, body),
        }
        try:
            if not settings.webhook_allow_private and private_target(hook.url) is not False:
                # Checked again now: a name may have come to point inside since it was added.
                raise httpx.ConnectError("refused: the address is inside the network, or unknown")
            response = _http().post(hook.url, content=body, headers=headers)
            delivery.last_status = response.status_code
            # The status, never the receiver's words: its page is not for Carnet to show.
            delivery.last_error = "" if response.is_success else f"HTTP {response.status_code}"
            ok = response.is_success
        except httpx.HTTPError as exc:
            delivery.last_status = None
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
            ok = False
        if ok:
            delivery.status = "delivered"
            delivery.delivered_at = utcnow()
        else:
            delivery.next_attempt_at = utcnow() + backoff(job.attempts, settings)
        session.add(delivery)
        session.commit()
        if not ok:
            raise Retry(delivery.last_error or f"HTTP {delivery.last_status}")


def delivery_ended(session: Session, job, status: str) -> None:
    """The job gave up (or was interrupted with no attempt left): the delivery says so."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == job.ref_id, WebhookDelivery.status == "pending")
        .values(status="failed")
    )


def backoff(attempts: int, settings) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour (CARNET_WEBHOOK_RETRY_SECONDS sets the first)."""
    return timedelta(seconds=min(settings.webhook_retry_seconds * 2 ** (attempts - 1), 3600))


def create_webhook(
    session: Session, user, url: str, events: list[str], allow_private: bool = False
) -> Webhook:
    require_admin(user)
    errors = FormErrors()
    url = url.strip()
    if (
        not (url.startswith("http://") or url.startswith("https://"))
        or len(url) > 500
        or " " in url
    ):
        errors.add("url", N_("Enter a web address starting with http:// or https://."))
    elif not allow_private and private_target(url):
        errors.add(
            "url",
            N_(
                "This address is inside your network (loopback or private): Carnet does not "
                "post there unless CARNET_WEBHOOK_ALLOW_PRIVATE is set."
            ),
        )
    chosen = [e for e in events if e in EVENTS]
    if not chosen:
        errors.add("events", N_("Pick at least one event."))
    errors.raise_if_any()
    hook = Webhook(url=url, events=",".join(chosen), secret=secrets.token_hex(24))
    session.add(hook)
    session.commit()
    session.refresh(hook)
    return hook


def delete_webhook(session: Session, user, hook_id: int) -> None:
    require_admin(user)
    # Statements in order, deliveries first: the ORM knows no relationship between the two
    # tables, so deleting objects could reach the webhook first and break the foreign key.
    # The deliveries' pending jobs find no delivery and end quietly.
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id))
    session.execute(delete(Webhook).where(Webhook.id == hook_id))
    session.commit()


def webhooks_with_deliveries(session: Session, user, per_hook: int = 20):
    """Each webhook with its latest deliveries, in two queries whatever their number."""
    require_admin(user)
    hooks = session.exec(select(Webhook).order_by(Webhook.id).limit(100)).all()
    rank = (
        func.row_number()
        .over(partition_by=WebhookDelivery.webhook_id, order_by=WebhookDelivery.id.desc())
        .label("rank")
    )
    latest = (
        select(WebhookDelivery.id, rank)
        .where(WebhookDelivery.webhook_id.in_([h.id for h in hooks]))
        .subquery()
    )
    deliveries = session.exec(
        select(WebhookDelivery)
        .join(latest, latest.c.id == WebhookDelivery.id)
        .where(latest.c.rank <= per_hook)
        .order_by(WebhookDelivery.id.desc())
    ).all()
    by_hook: dict[int, list[WebhookDelivery]] = {h.id: [] for h in hooks}
    for delivery in deliveries:
        by_hook[delivery.webhook_id].append(delivery)
    return [(hook, by_hook[hook.id]) for hook in hooks]
