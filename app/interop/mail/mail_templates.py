"""The team's mail templates, kept by the admin in French and English, and their fields.

Fields are filled by plain substitution of known names ({first_name}), never by a template
engine: a template is text an admin typed, not code Carnet runs."""

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_admin
from app.core.errors import FormErrors, Message, NotFound
from app.core.i18n import N_
from app.core.schema import utcnow
from app.interop.mail.models import MailTemplate

LANGUAGES = {"en": "English", "fr": "Français"}
MAX_TEMPLATES = 200

# The fields a template may use, with what each becomes (shown on the admin's page).
FIELDS = {
    "first_name": N_("the contact's first name"),
    "name": N_("the contact's full name"),
    "organization": N_("the contact's organization"),
    "deal": N_("the deal's title"),
    "seller": N_("your name"),
    "seller_email": N_("your email address"),
    "survey_link": N_("a new satisfaction survey link"),
}
_FIELD = re.compile(r"\{(" + "|".join(FIELDS) + r")\}")
# Anything that looks like a field ({word}, {a.b}, {0}): a typo would be sent as typed.
_ANY_FIELD = re.compile(r"\{([^{}\s]{1,40})\}")


@dataclass
class TemplateForm:
    name: str = ""
    language: str = "en"
    subject: str = ""
    body: str = ""


def all_templates(session: Session) -> list[MailTemplate]:
    return list(
        session.exec(
            select(MailTemplate)
            .order_by(MailTemplate.name, MailTemplate.language)
            .limit(MAX_TEMPLATES)
        ).all()
    )


def get_template(session: Session, template_id: int) -> MailTemplate:
    template = session.get(MailTemplate, template_id)
    if template is None:
        raise NotFound
    return template


def _check(form: TemplateForm) -> FormErrors:
    errors = FormErrors()
    for field, limit in LIMITS.items():
        if len(getattr(form, field)) > limit:
            errors.add(field, Message(N_("At most %(n)s characters."), n=limit))
    if not form.name:
        errors.add("name", N_("Name the template."))
    if form.language not in LANGUAGES:
        errors.add("language", N_("Pick a value from the list."))
    if not form.subject:
        errors.add("subject", N_("Write the subject."))
    elif "\n" in form.subject or "\r" in form.subject:
        errors.add("subject", N_("A subject is one line."))
    for field in ("subject", "body"):
        unknown = sorted(set(_ANY_FIELD.findall(getattr(form, field))) - set(FIELDS))
        if unknown:
            errors.add(
                field,
                Message(
                    N_("Unknown field {%(name)s}: the fields are listed below."), name=unknown[0]
                ),
            )
    if not form.body:
        errors.add("body", N_("Write the message."))
    return errors


LIMITS = {"name": 100, "language": 8, "subject": 500, "body": 10_000}


def parse(raw: dict) -> TemplateForm:
    values = {k: (raw.get(k) or "").strip() for k in LIMITS}
    values["body"] = (raw.get("body") or "").strip("\r\n").rstrip()
    return TemplateForm(**values)


def save(
    session: Session, user: User, form: TemplateForm, template_id: int | None = None
) -> MailTemplate:
    """Creates or updates a template; a name already used in that language is refused."""
    require_admin(user)
    errors = _check(form)
    errors.raise_if_any()
    template = get_template(session, template_id) if template_id else None
    if template is None:
        if len(all_templates(session)) >= MAX_TEMPLATES:
            errors.add("name", N_("There are too many templates: delete one first."))
            errors.raise_if_any()
        template = MailTemplate(updated_by=user.id)
    template.name, template.language = form.name, form.language
    template.subject, template.body = form.subject, form.body
    template.updated_by, template.updated_at = user.id, utcnow()
    session.add(template)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        errors.add("name", N_("A template with this name exists in this language."))
        errors.raise_if_any()
    session.refresh(template)
    return template


def delete(session: Session, user: User, template_id: int) -> None:
    require_admin(user)
    template = session.get(MailTemplate, template_id)
    if template is not None:
        session.delete(template)
        session.commit()


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each known field replaced; unknown braces are left as typed."""
    return _FIELD.sub(lambda m: values.get(m.group(1), ""), text)
