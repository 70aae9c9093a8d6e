"""Work done behind the pages, inside `carnet serve`: the morning digests (and webhook
deliveries). A failure is logged and retried on the next round, never shown to a page."""

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlmodel import Session

log = logging.getLogger("carnet.background")
ROUND_SECONDS = 300


def one_round(engine, settings) -> None:
    from app.interop.digest import send_due_digests

    with Session(engine, expire_on_commit=False) as session:
        try:
            sent = send_due_digests(session, settings, datetime.now(UTC))
            if sent:
                log.info("sent %s digests", sent)
        except Exception:  # the next round tries again; pages are never affected
            log.exception("digest round failed")


WEBHOOK_SECONDS = 5


def webhook_round(engine) -> None:
    from app.interop.webhooks import deliver_due

    with Session(engine, expire_on_commit=False) as session:
        try:
            deliver_due(session, datetime.now(UTC))
        except Exception:
            log.exception("webhook round failed")


@asynccontextmanager
async def lifespan(app):
    settings = app.state.settings
    tasks = []

    async def every(seconds, work, *args):
        while True:
            await asyncio.to_thread(work, *args)
            await asyncio.sleep(seconds)

    if settings.background:
        tasks.append(asyncio.create_task(every(WEBHOOK_SECONDS, webhook_round, app.state.engine)))
        if settings.smtp_host:
            tasks.append(
                asyncio.create_task(every(ROUND_SECONDS, one_round, app.state.engine, settings))
            )
    yield
    for task in tasks:
        task.cancel()
