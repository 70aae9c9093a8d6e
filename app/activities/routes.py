"""Pages for Today, quick entry, activities and follow-ups."""

import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.activities import contact_lookup, follow_ups, pages, service
from app.activities.deps import ActivityDep, FollowUpDep
from app.activities.models import ActivityCreate, ActivityUpdate
from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, local_path, parse_form
from app.core.ids import IdQuery
from app.core.ids import id_from as _id
from app.core.templating import is_htmx, localizer_for, render, saved_or_form
from app.core.text import clean_query
from app.documents import service as documents

router = APIRouter(include_in_schema=False)

ENTRY_FIELDS = (
    "kind",
    "occurred_at",
    "contact_id",
    "organization_id",
    "deal_id",
    "new_deal_title",
    "text",
    "visibility",
    "next_step",
    "next_step_due",
    "closes_follow_up_id",
)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


@router.get("/today")
def today(request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser):
    wait = settings.quote_wait_days
    today = service.today_for(session, user, wait)
    return render(request, "activities/today.html", {"today": today, "quote_wait_days": wait})


@router.get("/follow-ups")
def my_follow_ups(
    request: Request, session: SessionDep, user: RecordUser, section: str = "open", cursor: str = ""
):
    section = section if section in follow_ups.SECTIONS else "open"
    # "Show all" on Today lands here: a long page, then the next one.
    rows = follow_ups.my_follow_ups(session, user, section, cursor, limit=100)
    context = {"rows": rows, "section": section}
    if is_htmx(request):
        return render(request, "activities/_follow_up_items.html", context)
    return render(request, "activities/follow_ups.html", context)


@router.get("/quick/contacts")
def quick_contacts(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    contact_query: str = "",
    organization_id: str = "",
    deal_id: str = "",
):
    """Suggestions for the quick-entry contact field (it sends its own name as the key, and
    the organization or deal it was opened on, whose people come first)."""
    q = clean_query(contact_query, 100).strip()
    near = contact_lookup.Near(_id(organization_id), _id(deal_id))
    matches = contact_lookup.find_contacts(session, user, q, near=near)
    return render(request, "activities/_suggestions.html", {"matches": matches, "q": q})


@router.get("/quick/deals")
def quick_deals(
    request: Request, session: SessionDep, user: RecordUser, contact_id: str = "", deal_id: str = ""
):
    """Once quick entry has its contact: the contact's open deals (or the deal it was opened
    on), and (out of band) the follow-up the activity probably answers."""
    context = pages.contact_picked(session, user, _id(contact_id), _id(deal_id))
    return render(request, "activities/_contact_picked.html", context)


def _entry_form(request, context, status=200):
    template = "activities/_entry_form.html" if is_htmx(request) else "activities/new.html"
    return render(request, template, context, status_code=status)


@router.get("/activities/new")
def new_activity(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    contact_id: IdQuery = None,
    deal_id: IdQuery = None,
    organization_id: IdQuery = None,
    follow_up_id: IdQuery = None,
    next: str = "",
):
    """Quick entry's form, filled in for the record or the Today row it was opened from."""
    context = pages.entry_form(
        session,
        user,
        contact_id=contact_id,
        deal_id=deal_id,
        organization_id=organization_id,
        follow_up_id=follow_up_id,
        next=next,
    )
    return _entry_form(request, context)


def _entry_data(form: dict[str, str]) -> dict:
    data = {name: form.get(name, "") for name in ENTRY_FIELDS}
    data["kind"] = data["kind"] or "call"
    data["visibility"] = (
        "private" if form.get("private") == "on" else (data["visibility"] or "team")
    )
    if not data["occurred_at"]:
        data["occurred_at"] = None
    # The follow-up it answers is closed only while its box stays ticked.
    if form.get("close_follow_up") != "on":
        data["closes_follow_up_id"] = ""
    return data


@router.post("/activities")
def log_activity(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    new_contact = service.NewContact(
        name=form.get("new_contact_name", ""),
        organization=form.get("new_contact_organization", ""),
        phone=form.get("new_contact_phone", ""),
        email=form.get("new_contact_email", ""),
    )
    try:
        activity = service.log_from_quick_entry(
            session,
            user,
            parse_form(ActivityCreate, _entry_data(form)),
            form.get("contact_query", ""),
            new_contact,
        )
    except FormErrors as exc:
        choices = getattr(exc, "choices", [])
        context = pages.entry_form_again(session, user, dict(form), exc.fields, choices)
        return _entry_form(request, context, 422)
    if is_htmx(request):
        loc = localizer_for(request)
        response = _entry_form(request, pages.entry_form(session, user))
        message = {"activity-logged": {"message": loc.gettext("Saved.")}}
        response.headers["HX-Trigger"] = json.dumps(message)
        return response
    target = local_path(form.get("next", "")) or (
        f"/contacts/{activity.contact_id}" if activity.contact_id else "/today"
    )
    return RedirectResponse(target, 303)


@router.get("/activities")
def my_activities(request: Request, session: SessionDep, user: RecordUser, cursor: str = ""):
    page = service.my_activities(session, user, cursor=cursor)
    context = {"timeline": page, "timeline_url": "/activities"}
    if is_htmx(request):
        return render(request, "activities/_timeline_items.html", context)
    return render(request, "activities/mine.html", context)


def _activity_page(request, session, user, activity, form, errors, status=200):
    context = {
        "activity": activity,
        "form": form,
        "errors": errors,
        "documents": documents.documents_of(session, user, activity_id=activity.id),
    }
    return render(request, "activities/activity.html", context, status_code=status)


@router.get("/activities/{activity_id}")
def activity_page(request: Request, session: SessionDep, user: RecordUser, activity: ActivityDep):
    loc = localizer_for(request)
    form = {
        "kind": activity.kind,
        "text": activity.text,
        "visibility": activity.visibility,
        "occurred_at": loc.datetime_input(activity.occurred_at),
    }
    return _activity_page(request, session, user, activity, form, {})


@router.post("/activities/{activity_id}")
def update_activity(
    request: Request, session: SessionDep, user: RecordUser, activity: ActivityDep, form: FormData
):
    data = {k: form.get(k, "") for k in ("kind", "text", "visibility", "occurred_at")}
    # An empty field keeps what is stored, except the text, which may be cleared.
    values = {k: v or None for k, v in data.items()} | {"text": data["text"]}
    return saved_or_form(
        lambda: service.update_activity(
            session, user, activity, parse_form(ActivityUpdate, values)
        ),
        f"/activities/{activity.id}",
        lambda errors: _activity_page(request, session, user, activity, data, errors),
    )


def _row(request, session, user, follow_up, status=200, **inputs):
    """One Today row, as HTMX swaps it in place (with what was typed, after a refusal)."""
    row = follow_ups.follow_up_row(session, user, follow_up)
    context = {"row": row, "errors": {}} | inputs
    return render(request, "activities/_follow_up.html", context, status_code=status)


def _today_again(request, session, user, errors):
    """Without JavaScript, a refused change shows Today again with its message."""
    wait = request.app.state.settings.quote_wait_days
    context = {"today": service.today_for(session, user, wait), "errors": errors}
    return render(request, "activities/today.html", context, status_code=400)


@router.post("/follow-ups/{follow_up_id}/done")
def follow_up_done(
    request: Request, session: SessionDep, user: RecordUser, follow_up: FollowUpDep, form: FormData
):
    """Done, with an optional next step in the same request."""
    step, due = form.get("next_step", ""), form.get("next_step_due", "")
    try:
        follow_ups.mark_done(session, user, follow_up, True, step, due)
    except FormErrors as exc:
        if not is_htmx(request):
            return _today_again(request, session, user, exc.fields)
        inputs = {"errors": exc.fields, "next_input": step, "next_due_input": due}
        return _row(request, session, user, follow_up, 422, **inputs)
    if is_htmx(request):
        return _row(request, session, user, follow_up)
    return RedirectResponse("/today", 303)


@router.post("/follow-ups/{follow_up_id}/undo")
def follow_up_undo(request: Request, session: SessionDep, user: RecordUser, follow_up: FollowUpDep):
    follow_ups.mark_done(session, user, follow_up, False)
    if is_htmx(request):
        return _row(request, session, user, follow_up)
    return RedirectResponse("/today", 303)


@router.post("/follow-ups/{follow_up_id}/reschedule")
def follow_up_reschedule(
    request: Request, session: SessionDep, user: RecordUser, follow_up: FollowUpDep, form: FormData
):
    when = form.get("due", "")
    try:
        follow_ups.reschedule(session, user, follow_up, when)
    except FormErrors as exc:
        if not is_htmx(request):
            return _today_again(request, session, user, exc.fields)
        return _row(request, session, user, follow_up, 422, errors=exc.fields, due_input=when)
    if is_htmx(request):
        return _row(request, session, user, follow_up)
    return RedirectResponse("/today", 303)
