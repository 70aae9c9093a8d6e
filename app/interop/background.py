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


@asynccontextmanager
async def lifespan(app):
    settings = app.state.settings
    task = None
    if settings.smtp_host:

        async def loop():
            while True:
                await asyncio.to_thread(one_round, app.state.engine, settings)
                await asyncio.sleep(ROUND_SECONDS)

        task = asyncio.create_task(loop())
    yield
    if task is not None:
        task.cancel()
