"""Jinja2 rendering in the user's language and zone; HTMX gets fragments."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse

from app.core.errors import FormErrors
from app.core.i18n import LANGUAGES, Localizer, language_from_header

ROOT = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=str(ROOT / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
# Templates change only with a release; checking their files on every include costs time.
templates.env.auto_reload = False


def localizer_for(request: Request) -> Localizer:
    """The user's choice, else the browser's language; the user's zone, else the default."""
    cached = getattr(request.state, "localizer", None)
    if cached is not None:
        return cached
    user = getattr(request.state, "user", None)
    settings = request.app.state.settings
    language = (user and user.language) or language_from_header(
        request.headers.get("accept-language")
    )
    timezone = (user and user.timezone) or settings.default_timezone
    loc = Localizer(language=language, timezone=timezone)
    if user is not None:
        request.state.localizer = loc
    return loc


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    loc = localizer_for(request)
    ctx: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "t": loc,
        "_": loc.gettext,
        "gettext": loc.gettext,
        "ngettext": loc.ngettext,
        "languages": LANGUAGES,
        "htmx": is_htmx(request),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


def render_list(request: Request, page: str, rows: str, row_ids: str, context: dict):
    """A list page, or only its rows when HTMX asks for the next page or a new search
    (`<row_ids>-rows` and `<row_ids>-more` are the targets the templates use)."""
    targets = (f"{row_ids}-rows", f"{row_ids}-more")
    if is_htmx(request) and request.headers.get("hx-target") in targets:
        return render(request, rows, context)
    return render(request, page, context)


def saved_or_form(save, then, form_page, status: int = 400):
    """A form post's one shape. `save()` runs the service write; on success the browser goes
    to `then` (a path, or a function of what `save` returned), 303 so a refresh does not
    post again. A refusal (FormErrors; the service has already rolled back) shows the form
    again: `form_page(errors)` renders it with the user's input and the field messages."""
    try:
        result = save()
    except FormErrors as exc:
        response = form_page(exc.fields)
        response.status_code = status
        return response
    return RedirectResponse(then(result) if callable(then) else then, 303)
