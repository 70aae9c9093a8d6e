"""Pages of the calendar feed: the secret .ics address (public, signed) and its on/off page."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.i18n import Localizer
from app.core.templating import render
from app.interop.calendar import feed as calendar

public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(public)
    app.include_router(router, dependencies=RECORDS)


@public.get("/calendar/{calendar_token}.ics")
def calendar_feed(request: Request, session: SessionDep, calendar_token: str):
    """No session here: calendar apps fetch it alone. The URL is the secret."""
    user = calendar.user_for_token(session, request.app.state.secret_key, calendar_token[:300])
    loc = Localizer(language=user.language or "en", timezone=user.timezone)
    body = calendar.calendar_for(session, user, str(request.base_url), loc)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, user: RecordUser):
    token = calendar.feed_token(session, user, request.app.state.secret_key)
    url = f"{request.base_url}calendar/{token}.ics" if token else None
    return render(request, "interop/calendar.html", {"feed_url": url})


@router.post("/calendar")
def new_calendar_feed(session: SessionDep, user: RecordUser):
    calendar.new_feed(session, user)
    return RedirectResponse("/calendar", 303)


@router.post("/calendar/revoke")
def revoke_calendar_feed(session: SessionDep, user: RecordUser):
    calendar.revoke_feed(session, user)
    return RedirectResponse("/calendar", 303)
