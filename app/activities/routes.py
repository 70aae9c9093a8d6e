"""Pages for Today, quick entry, activities and follow-ups."""

import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.activities import contact_lookup, follow_ups, service
from app.activities.deps import ActivityDep, FollowUpDep
from app.activities.models import ActivityCreate, ActivityUpdate
from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, local_path, parse_form
from app.core.ids import IdQuery
from app.core.templating import is_htmx, localizer_for, render, saved_or_form
from app.customers import service as customers
from app.deals import queries as deals
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
    context = {"rows": follow_ups.my_follow_ups(session, user, section, cursor), "section": section}
    if is_htmx(request):
        return render(request, "activities/_follow_up_items.html", context)
    return render(request, "activities/follow_ups.html", context)


@router.get("/quick/contacts")
def quick_contacts(
    request: Request, session: SessionDep, user: RecordUser, contact_query: str = ""
):
    """Suggestions for the quick-entry contact field (it sends its own name as the key)."""
    q = contact_query[:100]
    matches = contact_lookup.find_contacts(session, user, q)
    return render(request, "activities/_suggestions.html", {"matches": matches, "q": q})


@router.get("/quick/deals")
def quick_deals(request: Request, session: SessionDep, user: RecordUser, contact_id: str = ""):
    """The open deals of the contact just picked in quick entry."""
    found = (
        deals.open_deal_choices(session, user, int(contact_id))
        if contact_id.isdigit() and len(contact_id) < 19
        else []
    )
    context = {"deal_choices": found, "form": {}, "errors": {}}
    return render(request, "activities/_deal_choice.html", context)


def _entry_form(request, form, errors, choices=None, status=200, deal_choices=None):
    context = {
        "form": form,
        "errors": errors,
        "choices": choices or [],
        "deal_choices": deal_choices or [],
    }
    template = "activities/_entry_form.html" if is_htmx(request) else "activities/new.html"
    return render(request, template, context, status_code=status)


@router.get("/activities/new")
def new_activity(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    contact_id: IdQuery = None,
    deal_id: IdQuery = None,
    next: str = "",
):
    form = {"kind": "call", "visibility": "team", "next": next}
    deal_choices = []
    if contact_id is not None:
        contact = customers.get_contact(session, user, contact_id)
        form.update(contact_id=str(contact.id), contact_query=contact.name)
        deal_choices = deals.open_deal_choices(session, user, contact.id)
    if deal_id is not None:
        deal = deals.get_deal(session, user, deal_id)
        form.update(deal_id=str(deal.id), deal_title=deal.title)
    return _entry_form(request, form, {}, deal_choices=deal_choices)


@router.post("/activities")
def log_activity(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    data = {name: form.get(name, "") for name in ENTRY_FIELDS}
    data["kind"] = data["kind"] or "call"
    data["visibility"] = (
        "private" if form.get("private") == "on" else (data["visibility"] or "team")
    )
    if not data["occurred_at"]:
        data["occurred_at"] = None
    try:
        activity = service.log_from_quick_entry(
            session, user, parse_form(ActivityCreate, data), form.get("contact_query", "")
        )
    except FormErrors as exc:
        choices = getattr(exc, "choices", [])
        contact_id = form.get("contact_id", "")
        deal_choices = (
            deals.open_deal_choices(session, user, int(contact_id))
            if contact_id.isdigit() and len(contact_id) < 19
            else []
        )
        return _entry_form(request, dict(form), exc.fields, choices, 422, deal_choices)
    if is_htmx(request):
        loc = localizer_for(request)
        fresh = {"kind": "call", "visibility": "team"}
        response = _entry_form(request, fresh, {})
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


def _follow_up_done(request, session, user, follow_up, done: bool):
    follow_ups.mark_done(session, user, follow_up, done)
    if is_htmx(request):
        row = follow_ups.follow_up_row(session, user, follow_up)
        return render(request, "activities/_follow_up.html", {"row": row})
    return RedirectResponse("/today", 303)


@router.post("/follow-ups/{follow_up_id}/done")
def follow_up_done(request: Request, session: SessionDep, user: RecordUser, follow_up: FollowUpDep):
    return _follow_up_done(request, session, user, follow_up, True)


@router.post("/follow-ups/{follow_up_id}/undo")
def follow_up_undo(request: Request, session: SessionDep, user: RecordUser, follow_up: FollowUpDep):
    return _follow_up_done(request, session, user, follow_up, False)


@router.post("/follow-ups/{follow_up_id}/reschedule")
def follow_up_reschedule(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    follow_up: FollowUpDep,
    form: FormData,
):
    errors = {}
    try:
        follow_ups.reschedule(session, user, follow_up, form.get("due", ""))
    except FormErrors as exc:
        errors = exc.fields
    if is_htmx(request):
        row = follow_ups.follow_up_row(session, user, follow_up)
        context = {"row": row, "errors": errors, "due_input": form.get("due", "")}
        return render(request, "activities/_follow_up.html", context, 422 if errors else 200)
    if errors:
        return render(
            request,
            "activities/today.html",
            {
                "today": service.today_for(session, user, settings.quote_wait_days),
                "errors": errors,
            },
            status_code=400,
        )
    return RedirectResponse("/today", 303)
