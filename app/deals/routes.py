"""Pages for deals (board, list, deal page, in-place guardrail form) and the admin's stages."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.activities import service as activities
from app.audit.trail import history
from app.auth.deps import ADMIN, RECORDS, AdminUser, RecordUser, SessionDep
from app.core.errors import FormErrors
from app.core.forms import FormData, MultipartData, checked, local_path
from app.core.templating import is_htmx, localizer_for, render
from app.customers import service as customers
from app.deals import forms, queries, service
from app.deals import stages as stage_list
from app.deals.deps import DealDep, StageDep
from app.deals.models import FACT_LABELS, FACTS, STAGE_KINDS
from app.documents import service as documents
from app.documents.deps import StoreDep
from app.documents.models import KIND_LABELS
from app.documents.service import Upload
from app.satisfaction import service as satisfaction

router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


# ---- board and list --------------------------------------------------------


@router.get("/deals/board")
def deal_board(request: Request, session: SessionDep, user: RecordUser, scope: str = "mine"):
    scope = scope if scope in queries.SCOPES else "mine"
    columns = queries.board(session, user, scope)
    loc = localizer_for(request)
    # (id, name, "Move to name"), once per stage rather than once per card.
    moves = [
        (c.stage.id, label, loc.gettext("Move to %(stage)s", stage=label))
        for c in columns
        for label in [c.stage.label(loc)]
    ]
    context = {"columns": columns, "scope": scope, "stage_moves": moves}
    return render(request, "deals/board.html", context)


@router.get("/deals")
def deal_list(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    scope: str = "mine",
    stage: str = "",
    status: str = "open",
    q: str = "",
    sort: str = "recent",
    cursor: str = "",
):
    filters = {
        "scope": scope if scope in queries.SCOPES else "mine",
        "stage_id": _int(stage),
        "status": status if status in queries.STATUSES else "open",
        "query": q[:200],
        "sort": sort if sort in queries.SORTS else "recent",
    }
    page = queries.list_deals(session, user, cursor=cursor, **filters)
    context = {"page": page, "filters": filters, "stages": stage_list.list_stages(session)}
    if is_htmx(request) and request.headers.get("hx-target") in ("deal-rows", "deal-more"):
        return render(request, "deals/_deal_rows.html", context)
    return render(request, "deals/deals.html", context)


# ---- creating and editing --------------------------------------------------


def _deal_form(request, session, user, form, errors, deal=None, status=200):
    context = {
        "form": form,
        "errors": errors,
        "deal": deal,
        "organizations": customers.organization_choices(session, user),
        "stages": stage_list.list_stages(session),
        "default_currency": request.app.state.settings.default_currency,
    }
    return render(request, "deals/deal_form.html", context, status_code=status)


@router.get("/deals/new")
def new_deal(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    organization_id: str = "",
    contact_id: str = "",
):
    form = {"organization_id": organization_id, "contact_id": contact_id}
    if _int(contact_id):
        contact = customers.get_contact(session, user, _int(contact_id))
        form.update(contact_name=contact.name, organization_id=str(contact.organization_id or ""))
    return _deal_form(request, session, user, form, {})


@router.post("/deals")
def create_deal(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    try:
        deal = service.create_deal(
            session,
            user,
            forms.deal_create(form, user),
            request.app.state.settings.default_currency,
        )
    except FormErrors as exc:
        return _deal_form(request, session, user, dict(form), exc.fields, status=400)
    return RedirectResponse(f"/deals/{deal.id}", 303)


def _deal_page(request, session, user, deal, move=None, errors=None, form=None, status=200):
    docs = documents.documents_of(session, user, deal_id=deal.id)
    context = {
        "deal": deal,
        "stages": stage_list.list_stages(session),
        "stage": stage_list.get_stage(session, deal.stage_id),
        "organization": (
            customers.get_organization(session, user, deal.organization_id)
            if deal.organization_id
            else None
        ),
        "owner_name": queries.owner_name(session, deal),
        "contacts": queries.contacts_of(session, user, deal),
        "documents": docs,
        "versions": documents.versions_by_document(session, user, [d.document.id for d in docs]),
        "timeline": activities.deal_timeline(session, user, deal),
        "timeline_url": f"/deals/{deal.id}/timeline",
        "history": history(session, "deal", deal.id),
        "history_url": f"/deals/{deal.id}/history",
        "feedback": satisfaction.feedback_for(
            session, user, request.app.state.secret_key, deal_id=deal.id
        ),
        "survey_url": f"/deals/{deal.id}/surveys",
        "move": move,
        "errors": errors or {},
        "form": form or {},
        "fact_labels": FACT_LABELS,
        "kind_labels": KIND_LABELS,
    }
    return render(request, "deals/deal.html", context, status_code=status)


@router.get("/deals/{deal_id}")
def deal_page(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, move_to: str = ""
):
    move = None
    target = stage_list.get_stage(session, _int(move_to)) if _int(move_to) else None
    if target is not None and target.id != deal.stage_id:
        move = service.missing_for_move(session, user, deal, target)
    return _deal_page(request, session, user, deal, move)


@router.get("/deals/{deal_id}/timeline")
def deal_timeline(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, cursor: str = ""
):
    context = {
        "timeline": activities.deal_timeline(session, user, deal, cursor=cursor),
        "timeline_url": f"/deals/{deal.id}/timeline",
    }
    return render(request, "activities/_timeline_items.html", context)


@router.get("/deals/{deal_id}/history")
def deal_history(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, cursor: str = ""
):
    context = {
        "history": history(session, "deal", deal.id, cursor),
        "history_url": f"/deals/{deal.id}/history",
    }
    return render(request, "deals/_history_items.html", context)


@router.get("/deals/{deal_id}/edit")
def edit_deal(request: Request, session: SessionDep, user: RecordUser, deal: DealDep):
    return _deal_form(request, session, user, queries.form_values(deal), {}, deal)


@router.post("/deals/{deal_id}")
def update_deal(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, form: FormData
):
    try:
        service.update_deal(session, user, deal, forms.deal_update(form, user))
    except FormErrors as exc:
        if form.get("from") == "deal":
            return _deal_page(
                request, session, user, deal, errors=exc.fields, form=form, status=400
            )
        return _deal_form(request, session, user, dict(form), exc.fields, deal, 400)
    return RedirectResponse(f"/deals/{deal.id}", 303)


@router.post("/deals/{deal_id}/move")
def move_deal(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    deal: DealDep,
    store: StoreDep,
    submitted: MultipartData,
):
    """One move, with whatever facts the target stage asked for, a quote file among them.
    Refused moves come back as the in-place form for exactly what is missing."""
    form = submitted.fields
    back = local_path(form.get("next", ""), f"/deals/{deal.id}")
    try:
        service.move_deal(
            session,
            user,
            deal,
            forms.deal_move(form, user),
            store=store,
            quote=Upload.of(submitted.file("quote")),
            contact_query=form.get("contact_query", ""),
        )
    except service.MissingFacts as exc:
        if is_htmx(request):
            # The board has no room for the form: the deal page shows it.
            target = f"/deals/{deal.id}?move_to={exc.stage.id}"
            return Response(status_code=204, headers={"HX-Redirect": target})
        move = service.missing_for_move(session, user, deal, exc.stage)
        return _deal_page(request, session, user, deal, move, exc.fields, form, 422)
    except FormErrors as exc:
        target = stage_list.get_stage(session, _int(form.get("stage_id", "")))
        move = service.missing_for_move(session, user, deal, target) if target else None
        return _deal_page(request, session, user, deal, move, exc.fields, form, 400)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return RedirectResponse(back, 303)


@router.post("/deals/{deal_id}/contacts")
def add_deal_contact(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, form: FormData
):
    try:
        service.add_contact_by_query(
            session, user, deal, _int(form.get("contact_id", "")), form.get("contact_query", "")
        )
    except FormErrors as exc:
        return _deal_page(request, session, user, deal, errors=exc.fields, form=form, status=400)
    return RedirectResponse(f"/deals/{deal.id}", 303)


@router.post("/deals/{deal_id}/contacts/{contact_id}/remove")
def remove_deal_contact(session: SessionDep, user: RecordUser, deal: DealDep, contact_id: int):
    service.remove_contact(session, user, deal, contact_id)
    return RedirectResponse(f"/deals/{deal.id}", 303)


@router.post("/deals/{deal_id}/documents")
def attach_to_deal(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    deal: DealDep,
    store: StoreDep,
    submitted: MultipartData,
):
    form = submitted.fields
    try:
        documents.attach(
            session, user, store, Upload.of(submitted.file("file")), form.get("kind", ""), deal=deal
        )
    except FormErrors as exc:
        return _deal_page(request, session, user, deal, errors=exc.fields, form=form, status=400)
    return RedirectResponse(f"/deals/{deal.id}#documents", 303)


# ---- stages (admin) --------------------------------------------------------


def _stages_page(request, session, errors=None, form=None, status=200):
    stages = stage_list.list_stages(session)
    context = {
        "stages": stages,
        "counts": queries.deal_counts_by_stage(session),
        "facts": FACTS,
        "fact_labels": FACT_LABELS,
        "kinds": STAGE_KINDS,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "deals/stages.html", context, status_code=status)


def _facts(form: dict[str, str]) -> list[str]:
    return [
        name.removeprefix("fact_")
        for name in form
        if name.startswith("fact_") and checked(form, name)
    ]


@admin.get("/admin/stages")
def stages(request: Request, session: SessionDep, user: AdminUser):
    return _stages_page(request, session)


@admin.post("/admin/stages")
def create_stage(request: Request, session: SessionDep, user: AdminUser, form: FormData):
    try:
        stage_list.create_stage(
            session,
            user,
            form.get("name", ""),
            form.get("kind", "open"),
            _facts(form),
            form.get("probability"),
        )
    except FormErrors as exc:
        return _stages_page(request, session, exc.fields, form, 400)
    return RedirectResponse("/admin/stages", 303)


@admin.post("/admin/stages/{stage_id}")
def update_stage(
    request: Request, session: SessionDep, user: AdminUser, stage: StageDep, form: FormData
):
    try:
        stage_list.update_stage(
            session,
            user,
            stage,
            form.get("name", ""),
            form.get("kind", stage.kind),
            _facts(form),
            form.get("probability"),
        )
    except FormErrors as exc:
        return _stages_page(
            request, session, {f"{stage.id}-{k}": v for k, v in exc.fields.items()}, form, 400
        )
    return RedirectResponse("/admin/stages", 303)


@admin.post("/admin/stages/{stage_id}/up")
def stage_up(session: SessionDep, user: AdminUser, stage: StageDep):
    stage_list.move_stage_position(session, user, stage, -1)
    return RedirectResponse("/admin/stages", 303)


@admin.post("/admin/stages/{stage_id}/down")
def stage_down(session: SessionDep, user: AdminUser, stage: StageDep):
    stage_list.move_stage_position(session, user, stage, 1)
    return RedirectResponse("/admin/stages", 303)


@admin.post("/admin/stages/{stage_id}/delete")
def delete_stage(
    request: Request, session: SessionDep, user: AdminUser, stage: StageDep, form: FormData
):
    try:
        stage_list.remove_stage(session, user, stage, _int(form.get("move_to", "")))
    except FormErrors as exc:
        return _stages_page(
            request, session, {f"{stage.id}-{k}": v for k, v in exc.fields.items()}, form, 400
        )
    return RedirectResponse("/admin/stages", 303)
