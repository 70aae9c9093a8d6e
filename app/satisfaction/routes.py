"""The customer's survey page (no account), and the seller's survey links on record pages."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import ADMIN, RECORDS, AdminUser, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors, NotFound
from app.core.forms import FormData
from app.core.i18n import N_, Localizer, language_from_header
from app.core.ids import id_from
from app.core.templating import render
from app.customers import service as customers
from app.customers.deps import ContactDep
from app.deals import queries as deals
from app.deals.deps import DealDep
from app.satisfaction import service
from app.satisfaction.models import SCALES

public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)

# What each kind of survey asks, in the customer's language.
QUESTIONS = {
    "csat": N_("How satisfied are you with our service?"),
    "nps": N_("How likely are you to recommend us to a friend or colleague?"),
}
STATUS = {"invalid": 404, "expired": 410, "answered": 200}


def mount(app: FastAPI) -> None:
    app.include_router(public)
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


def _speak(request: Request, session, link) -> None:
    """The survey speaks the customer's language, whatever the browser says; for a customer
    whose language nobody recorded, the browser's."""
    if link is not None:
        settings = request.app.state.settings
        language = service.customer_language(session, link) or language_from_header(
            request.headers.get("accept-language")
        )
        request.state.localizer = Localizer(language=language, timezone=settings.default_timezone)


def _survey_page(request, opened, token, form=None, errors=None, status=200):
    context = {
        "opened": opened,
        "token": token,
        "scale": list(SCALES[opened.link.kind]) if opened.link else [],
        "question": QUESTIONS.get(opened.link.kind, "") if opened.link else "",
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "satisfaction/survey.html", context, status_code=status)


@public.get("/s/{token}")
def survey(request: Request, session: SessionDep, token: str):
    opened = service.open_link(session, request.app.state.secret_key, token[:300])
    _speak(request, session, opened.link)
    return _survey_page(request, opened, token, status=STATUS.get(opened.state, 200))


@public.post("/s/{token}")
def answer_survey(
    request: Request, settings: SettingsDep, session: SessionDep, token: str, form: FormData
):
    opened = service.open_link(session, request.app.state.secret_key, token[:300])
    _speak(request, session, opened.link)
    if opened.state != "ok":
        return _survey_page(request, opened, token, status=STATUS.get(opened.state, 200))
    client = service.client_key(request.client.host if request.client else "")
    try:
        service.answer(
            session,
            opened.link,
            form.get("score", ""),
            form.get("comment", ""),
            client,
            settings.survey_max_answers,
        )
    except service.TooManyAnswers:
        return render(request, "satisfaction/too_many.html", {}, status_code=429)
    except FormErrors as exc:
        return _survey_page(request, opened, token, form, exc.fields, 400)
    return render(request, "satisfaction/thanks.html", {})


@router.post("/contacts/{contact_id}/surveys")
def new_contact_survey(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    contact: ContactDep,
    form: FormData,
):
    deal_id = form.get("deal_id", "")
    if deal_id.isdigit() and id_from(deal_id) is None:
        # An id the database cannot hold is no deal of ours: 404, like any unknown one.
        raise NotFound
    deal = deals.get_deal(session, user, int(deal_id)) if deal_id.isdigit() else None
    days = settings.survey_days
    service.create_link(session, user, contact, form.get("kind", "csat"), deal, days)
    return RedirectResponse(f"/contacts/{contact.id}#surveys", 303)


@router.post("/deals/{deal_id}/surveys")
def new_deal_survey(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    deal: DealDep,
    form: FormData,
):
    people = deals.contacts_of(session, user, deal)
    contact_id = form.get("contact_id", "")
    chosen = [c for c in people if str(c.id) == contact_id] or people[:1]
    if not chosen:
        return RedirectResponse(f"/deals/{deal.id}?survey=no-contact#surveys", 303)
    contact = customers.get_contact(session, user, chosen[0].id)
    days = settings.survey_days
    service.create_link(session, user, contact, form.get("kind", "csat"), deal, days)
    return RedirectResponse(f"/deals/{deal.id}#surveys", 303)


@admin.get("/admin/settings")
def app_settings(request: Request, session: SessionDep, user: AdminUser):
    context = {"survey_on_win": service.survey_on_win(session)}
    return render(request, "satisfaction/settings.html", context)


@admin.post("/admin/settings")
def save_app_settings(request: Request, session: SessionDep, user: AdminUser, form: FormData):
    service.set_survey_on_win(session, user, form.get("survey_on_win", ""))
    return RedirectResponse("/admin/settings", 303)
