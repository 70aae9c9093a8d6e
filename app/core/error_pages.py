"""Error answers that need no account and no database (a refused body, a database that
does not answer): a page for browsers, a JSON body for /api/."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.core.i18n import Localizer, language_from_header
from app.core.templating import render


def error_response(
    request: Request,
    status: int,
    title: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """`title` and `message` are message ids (N_), translated for the page."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    # The browser's language only: loading the account may be what failed.
    settings = request.app.state.settings
    loc = Localizer(
        language_from_header(request.headers.get("accept-language")), settings.default_timezone
    )
    request.state.localizer = loc
    context = {
        "title": loc.gettext(title),
        "message": loc.gettext(message),
        "status": status,
        "user": None,
        "csrf_token": "",
    }
    return render(request, "error.html", context, status_code=status, headers=headers)
