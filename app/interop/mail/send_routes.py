"""Writing a mail to a customer from a record's page, and the admin's team templates."""

from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import ADMIN, RECORDS, AdminUser, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData
from app.core.ids import IdPath, id_from
from app.core.mail import can_send
from app.core.templating import render
from app.documents.models import KIND_LABELS
from app.interop.mail import compose, mail_templates, sending
from app.interop.mail.mail_templates import FIELDS, LANGUAGES

router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


def _record(session, user, values) -> compose.Record:
    return compose.load_record(
        session,
        user,
        deal_id=id_from(values.get("deal_id")),
        contact_id=id_from(values.get("contact_id")),
        organization_id=id_from(values.get("organization_id")),
    )


def _compose_page(request, session, settings, user, record, form, errors=None, status=200):
    documents, versions = compose.record_documents(session, user, record)
    context = {
        "record": record,
        "form": form,
        "errors": errors or {},
        "templates": mail_templates.all_templates(session),
        "documents": documents,
        "versions": versions,
        "can_send": can_send(settings),
        "languages": LANGUAGES,
        "kind_labels": KIND_LABELS,
        "draft_token": sending.new_draft_token(),
    }
    return render(request, "interop/compose.html", context, status_code=status)


@router.get("/mail/compose")
def compose_page(request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser):
    """The compose form; with `template_id`, the template filled in for the chosen person."""
    values = dict(request.query_params)
    try:
        record = _record(session, user, values)
    except FormErrors:
        return render(request, "interop/compose.html", {"record": None}, status_code=400)
    person = record.person(values.get("to"))
    form = {k: v for k, v in values.items() if k in DRAFT_FIELDS}
    form["to"] = str(person.id) if person else ""
    template_id = id_from(values.get("template_id"))
    if template_id:
        template = mail_templates.get_template(session, template_id)
        form["subject"], form["body"] = compose.apply_template(template, record, person, user)
        form["template_id"] = str(template_id)
    if values.get("survey") in ("csat", "nps") and not form.get("subject"):
        form["subject"], form["body"] = compose.survey_text(record, person, user, values["survey"])
    return _compose_page(request, session, settings, user, record, form)


DRAFT_FIELDS = ("subject", "body", "survey", "visibility", "next_step", "next_step_due")


@router.post("/mail/draft")
def draft_from_quick_entry(request: Request, user: RecordUser, form: FormData):
    """Quick entry's "Write it as a mail": what was typed there (contact, deal, text, next
    step) carried to the compose form. Nothing is saved until the mail is sent."""
    params = {
        k: form[k] for k in ("deal_id", "contact_id", "organization_id") if id_from(form.get(k))
    }
    params.update(
        body=form.get("text", "")[:2000],
        next_step=form.get("next_step", "")[:500],
        next_step_due=form.get("next_step_due", "")[:40],
    )
    if form.get("private"):
        params["visibility"] = "private"
    url = "/mail/compose?" + urlencode({k: v for k, v in params.items() if v})
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, 303)


@router.post("/mail/compose")
def send_mail(
    request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser, form: FormData
):
    record = _record(session, user, form)
    draft = sending.parse(form)
    try:
        sending.send(session, user, settings, request.app.state.secret_key, record, draft)
    except FormErrors as exc:
        return _compose_page(request, session, settings, user, record, form, exc.fields, 400)
    return RedirectResponse(f"{record.url}?mail=sent#h-activities", 303)


@router.post("/mail/survey")
def send_survey(
    request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser, form: FormData
):
    """A satisfaction survey link mailed in one click, with the text Carnet writes itself."""
    record = _record(session, user, form)
    person = record.person(form.get("to"))
    kind = form.get("kind") if form.get("kind") in ("csat", "nps") else "csat"
    subject, body = compose.survey_text(record, person, user, kind)
    values = {"to": str(person.id) if person else "", "subject": subject, "body": body}
    draft = sending.parse({**values, "survey": kind})
    try:
        sending.send(session, user, settings, request.app.state.secret_key, record, draft)
    except FormErrors as exc:
        return _compose_page(
            request, session, settings, user, record, {**values, "survey": kind}, exc.fields, 400
        )
    return RedirectResponse(f"{record.url}?mail=sent#surveys", 303)


# ---- the admin's templates -------------------------------------------------------------


def _templates_page(request, session, form=None, errors=None, editing=None, status=200):
    context = {
        "templates": mail_templates.all_templates(session),
        "form": form or {"language": "en"},
        "errors": errors or {},
        "editing": editing,
        "fields": FIELDS,
        "languages": LANGUAGES,
        "saved": request.query_params.get("saved"),
    }
    return render(request, "admin/mail_templates.html", context, status_code=status)


@admin.get("/admin/mail-templates")
def templates_page(request: Request, session: SessionDep):
    return _templates_page(request, session)


@admin.get("/admin/mail-templates/{template_id}")
def edit_template_page(request: Request, session: SessionDep, template_id: IdPath):
    template = mail_templates.get_template(session, template_id)
    form = {k: getattr(template, k) for k in ("name", "language", "subject", "body")}
    return _templates_page(request, session, form, editing=template)


@admin.post("/admin/mail-templates")
def new_template(request: Request, session: SessionDep, user: AdminUser, form: FormData):
    try:
        mail_templates.save(session, user, mail_templates.parse(form))
    except FormErrors as exc:
        return _templates_page(request, session, form, exc.fields, status=400)
    return RedirectResponse("/admin/mail-templates?saved=1", 303)


@admin.post("/admin/mail-templates/{template_id}")
def save_template(
    request: Request, session: SessionDep, user: AdminUser, template_id: IdPath, form: FormData
):
    template = mail_templates.get_template(session, template_id)
    try:
        mail_templates.save(session, user, mail_templates.parse(form), template.id)
    except FormErrors as exc:
        return _templates_page(request, session, form, exc.fields, template, 400)
    return RedirectResponse("/admin/mail-templates?saved=1", 303)


@admin.post("/admin/mail-templates/{template_id}/delete")
def delete_template(session: SessionDep, user: AdminUser, template_id: IdPath):
    mail_templates.delete(session, user, template_id)
    return RedirectResponse("/admin/mail-templates?saved=1", 303)
