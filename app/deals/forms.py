"""Reading deal forms as people type them: amounts in their locale, dates like +2w or 31/12."""

from app.auth.models import User
from app.core.clock import user_today
from app.core.due_dates import parse_due
from app.core.errors import FormErrors
from app.core.forms import parse_form
from app.core.i18n import N_, reading_language
from app.core.money import MoneyError, parse_decimal_input
from app.deals.models import DealCreate, DealMove, DealUpdate

DEAL_FIELDS = (
    "title",
    "organization_id",
    "contact_id",
    "stage_id",
    "amount",
    "currency",
    "expected_close_on",
    "next_step",
    "next_step_due",
    "lost_reason",
    "owner_id",
    "version",
)
DATE_HELP = N_("Write a date like 2026-12-31, 31/12/2026, +2w or tomorrow.")


def _read(form: dict[str, str], user: User, errors: FormErrors) -> dict:
    """Only the fields the form sent: a form that shows one fact changes only that fact."""
    language = reading_language(user)
    data: dict = {}
    for name in DEAL_FIELDS:
        if name not in form:
            continue
        value = form[name].strip()
        if name == "amount":
            try:
                data[name] = parse_decimal_input(value, language)
            except MoneyError as exc:
                errors.add(name, exc.message)
        elif name in ("expected_close_on", "next_step_due"):
            try:
                data[name] = parse_due(value, user_today(user), language) if value else None
            except ValueError:
                errors.add(name, DATE_HELP)
        elif name.endswith("_id") or name == "version":
            data[name] = value or None
        else:
            data[name] = value
    return data


def _parsed(model, form, user):
    errors = FormErrors()
    data = _read(form, user, errors)
    try:
        parsed = parse_form(model, {k: v for k, v in data.items() if k in model.model_fields})
    except FormErrors as exc:
        for field, messages in exc.fields.items():
            for message in messages:
                errors.add(field, message)
        parsed = None
    errors.raise_if_any()
    return parsed


def deal_create(form: dict[str, str], user: User) -> DealCreate:
    return _parsed(DealCreate, form, user)


def deal_update(form: dict[str, str], user: User) -> DealUpdate:
    return _parsed(DealUpdate, form, user)


def deal_move(form: dict[str, str], user: User) -> DealMove:
    return _parsed(DealMove, form, user)
