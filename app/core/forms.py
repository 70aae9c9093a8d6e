"""Turning submitted form fields into validated models, with messages per field."""

from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from app.core.errors import FormErrors
from app.core.i18n import N_
from app.core.text import strip_controls

M = TypeVar("M", bound=BaseModel)

# Pydantic error types mapped to our message ids (translated when shown).
_MESSAGES = {
    "string_too_short": N_("This field is required."),
    "missing": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "datetime_parsing": N_("Enter a valid date and time."),
    "datetime_from_date_parsing": N_("Enter a valid date and time."),
    "date_parsing": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "literal_error": N_("Pick a value from the list."),
    "enum": N_("Pick a value from the list."),
}


def form_errors_from(exc: ValidationError) -> FormErrors:
    errors = FormErrors()
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "__all__"
        errors.add(field, _MESSAGES.get(err["type"], N_("This value is not valid.")))
    return errors


def parse_form(model: type[M], data: dict) -> M:
    """Validates form data; empty optional ids become None, as a blank select means none."""
    cleaned = {k: (None if v == "" and k.endswith("_id") else v) for k, v in data.items()}
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        raise form_errors_from(exc) from None


async def _read_form(request: Request) -> dict[str, str]:
    # Async only to await the body; the data is then handed to a plain def route.
    form = await request.form()
    # Control characters (NUL above all, which PostgreSQL refuses) never belong in a form.
    return {k: strip_controls(v) for k, v in form.items() if isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(_read_form)]


class UploadTooLarge(Exception):
    """The request body is larger than any allowed upload: refused before reading it."""


@dataclass
class Submitted:
    fields: dict[str, str]
    files: dict[str, UploadFile]
    # Every value of fields sent more than once (checkbox groups).
    lists: dict[str, list[str]] = field(default_factory=dict)

    def file(self, name: str) -> UploadFile | None:
        """The uploaded file, or None when the file input was left empty."""
        upload = self.files.get(name)
        return upload if upload is not None and upload.filename else None


async def _read_multipart(request: Request) -> Submitted:
    limit = request.app.state.settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    # A little room for the other fields; a larger body is refused before it is read.
    if length.isdigit() and int(length) > limit + 256 * 1024:
        raise UploadTooLarge
    form = await request.form(max_files=5, max_fields=100)
    fields = {k: strip_controls(v) for k, v in form.items() if isinstance(v, str)}
    files = {k: v for k, v in form.items() if isinstance(v, UploadFile)}
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(strip_controls(value))
    return Submitted(fields, files, lists)


MultipartData = Annotated[Submitted, Depends(_read_multipart)]


def checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def local_path(target: str, fallback: str = "") -> str:
    """A `next` the user may be sent to: a path on this site only, never another host."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else fallback
