"""Pages for deals (board, list, deal page, in-place guardrail form) and the admin's stages."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import ADMIN, RECORDS, AdminUser, RecordUser, SessionDep
from app.core.errors import Conflict, FormErrors
from app.core.forms import FormData, MultipartData, checked, local_path
from app.core.ids import id_from
from app.core.templating import is_htmx, localizer_for, render, render_list, saved_or_form
from app.core.text import clean_query
from app.deals import forms, pages, queries, service
from app.deals import stages as stage_list
from app.deals.deps import DealDep, StageDep
from app.documents import service as documents
from app.documents.deps import StoreDep
from app.documents.service import Upload
from app.records.feeds import add_record_feeds

router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


# ---- board and list --------------------------------------------------------


@router.get("/deals/board")
def deal_board(request: Request, session: SessionDep, user: RecordUser, scope: str = "mine"):
    context = pages.board(session, user, scope, localizer_for(request))
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
        "stage_id": id_from(stage),
        "status": status if status in queries.STATUSES else "open",
        "query": clean_query(q),
        "sort": sort if sort in queries.SORTS else "recent",
    }
    context = pages.deal_list(session, user, filters, cursor)
    return render_list(request, "deals/deals.html", "deals/_deal_rows.html", "deal", context)


# ---- creating and editing --------------------------------------------------


def _deal_form(request, session, user, form, errors=None, deal=None, status=200):
    currency = request.app.state.settings.default_currency
    context = pages.deal_form(session, user, form, currency, errors, deal)
    return render(request, "deals/deal_form.html", context, status_code=status)


@router.get("/deals/new")
def new_deal(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    organization_id: str = "",
    contact_id: str = "",
):
    form = pages.new_deal_form(session, user, organization_id, id_from(contact_id))
    return _deal_form(request, session, user, form)


@router.post("/deals")
def create_deal(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    currency = request.app.state.settings.default_currency
    return saved_or_form(
        lambda: service.create_deal(session, user, forms.deal_create(form, user), currency),
        lambda deal: f"/deals/{deal.id}",
        lambda errors: _deal_form(request, session, user, dict(form), errors),
    )


def _deal_page(request, session, user, deal, move_to=None, errors=None, form=None, status=200):
    secret = request.app.state.secret_key
    context = pages.deal_page(session, user, deal, secret, move_to, errors, form)
    return render(request, "deals/deal.html", context, status_code=status)


@router.get("/deals/{deal_id}")
def deal_page(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, move_to: str = ""
):
    return _deal_page(request, session, user, deal, id_from(move_to))


@router.get("/deals/{deal_id}/edit")
def edit_deal(request: Request, session: SessionDep, user: RecordUser, deal: DealDep):
    return _deal_form(request, session, user, queries.form_values(deal), {}, deal)


@router.post("/deals/{deal_id}")
def update_deal(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, form: FormData
):
    def form_page(errors):
        # The deal page's own next-step form, or the full edit form.
        if form.get("from") == "deal":
            return _deal_page(request, session, user, deal, errors=errors, form=form)
        return _deal_form(request, session, user, dict(form), errors, deal)

    return saved_or_form(
        lambda: service.update_deal(session, user, deal, forms.deal_update(form, user)),
        f"/deals/{deal.id}",
        form_page,
    )


def _board_scope(request: Request, form: dict[str, str]) -> str | None:
    """The board's scope when the move was made from the board by script (it then gets the
    board back, or the dialog's form), else None: the deal page's form-post flow."""
    if is_htmx(request) and request.headers.get("hx-target") == "board":
        return form.get("scope", "mine")
    return None


def _board(request, session, user, scope, status=200, **said):
    context = pages.board(session, user, scope, localizer_for(request), **said)
    return render(request, "deals/_board.html", context, status_code=status)


def _refused_move(request, session, user, deal, form, exc: FormErrors, scope: str | None):
    """A move refused for its input: the form for exactly what is missing, with messages (in
    the board's dialog, or in place on the deal page)."""
    missing = isinstance(exc, service.MissingFacts)
    target = exc.stage.id if missing else id_from(form.get("stage_id", ""))
    status = 422 if missing else 400
    if scope is not None:
        context = pages.board_move_form(session, user, deal, scope, target, exc.fields, form)
        return render(request, "deals/_move_form.html", context, status_code=status)
    if missing and is_htmx(request):
        # Another page's script: the deal page shows the form.
        target_page = f"/deals/{deal.id}?move_to={target}"
        return Response(status_code=204, headers={"HX-Redirect": target_page})
    return _deal_page(request, session, user, deal, target, exc.fields, form, status)


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
    Refused moves come back as the form for exactly what is missing; from the board, the
    answer is the board itself, so the page stays where it is."""
    form = submitted.fields
    scope = _board_scope(request, form)
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
    except FormErrors as exc:
        return _refused_move(request, session, user, deal, form, exc, scope)
    except Conflict:
        if scope is None:
            raise  # the app's 409 page
        # Nothing was written; the board shows the deal where the other writer put it.
        return _board(request, session, user, scope, 409, conflict=deal)
    if scope is not None:
        return _board(request, session, user, scope, moved=deal)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return RedirectResponse(local_path(form.get("next", ""), f"/deals/{deal.id}"), 303)


@router.post("/deals/{deal_id}/contacts")
def add_deal_contact(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, form: FormData
):
    contact_id, query = id_from(form.get("contact_id", "")), form.get("contact_query", "")
    return saved_or_form(
        lambda: service.add_contact_by_query(session, user, deal, contact_id, query),
        f"/deals/{deal.id}",
        lambda errors: _deal_page(request, session, user, deal, errors=errors, form=form),
    )


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
    form, upload = submitted.fields, Upload.of(submitted.file("file"))
    return saved_or_form(
        lambda: documents.attach(session, user, store, upload, form.get("kind", ""), deal=deal),
        f"/deals/{deal.id}#documents",
        lambda errors: _deal_page(request, session, user, deal, errors=errors, form=form),
    )


# ---- stages (admin) --------------------------------------------------------


def _stages_page(request, session, errors=None, form=None, status=200):
    context = pages.stages_page(session, errors, form)
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
    name, kind, probability = (
        form.get("name", ""),
        form.get("kind", "open"),
        form.get("probability"),
    )
    return saved_or_form(
        lambda: stage_list.create_stage(session, user, name, kind, _facts(form), probability),
        "/admin/stages",
        lambda errors: _stages_page(request, session, errors, form),
    )


def _stage_errors(request, session, stage, form):
    """The stages page with one stage's row showing its messages."""
    return lambda errors: _stages_page(
        request, session, {f"{stage.id}-{k}": v for k, v in errors.items()}, form
    )


@admin.post("/admin/stages/{stage_id}")
def update_stage(
    request: Request, session: SessionDep, user: AdminUser, stage: StageDep, form: FormData
):
    name, kind, probability = (
        form.get("name", ""),
        form.get("kind", stage.kind),
        form.get("probability"),
    )
    return saved_or_form(
        lambda: stage_list.update_stage(
            session, user, stage, name, kind, _facts(form), probability
        ),
        "/admin/stages",
        _stage_errors(request, session, stage, form),
    )


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
    move_to = id_from(form.get("move_to", ""))
    return saved_or_form(
        lambda: stage_list.remove_stage(session, user, stage, move_to),
        "/admin/stages",
        _stage_errors(request, session, stage, form),
    )


add_record_feeds(router, "deal", DealDep)
