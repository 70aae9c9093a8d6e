"""Pages of a forgotten password: ask for a link, then choose a new password with it."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.background import BackgroundTask

from app.auth import recovery
from app.auth.deps import SessionDep
from app.auth.routes import _login_csrf_ok, _with_login_csrf
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData
from app.core.i18n import N_

public = APIRouter(include_in_schema=False)
EXPIRED = N_("This form had expired. Please try again.")


def mount(app: FastAPI) -> None:
    app.include_router(public)


@public.get("/password/forgot")
def forgot_page(request: Request):
    return _with_login_csrf(request, "auth/forgot.html", {})


@public.post("/password/forgot")
def forgot(request: Request, settings: SettingsDep, session: SessionDep, form: FormData):
    if not _login_csrf_ok(request, form):
        return _with_login_csrf(request, "auth/forgot.html", {"error": EXPIRED}, 400)
    secret = request.app.state.secret_key
    message = recovery.reset_mail(session, settings, secret, form.get("email", ""))
    context = {"sent": True, "minutes": settings.password_reset_minutes}
    response = _with_login_csrf(request, "auth/forgot.html", context)
    # The same answer, as fast, whether the address has an account or not: sent afterwards.
    response.background = BackgroundTask(recovery.send_quietly, settings, message)
    return response


def _reset_page(request, token, status=200, **context):
    context = {"token": token[:500], "errors": {}} | context
    return _with_login_csrf(request, "auth/reset.html", context, status)


@public.get("/password/reset/{token}")
def reset_page(request: Request, settings: SettingsDep, session: SessionDep, token: str):
    user = recovery.user_for_link(session, settings, request.app.state.secret_key, token)
    if user is None:
        return _reset_page(request, token, 400, expired=True)
    return _reset_page(request, token)


@public.post("/password/reset/{token}")
def reset(request: Request, settings: SettingsDep, session: SessionDep, token: str, form: FormData):
    user = recovery.user_for_link(session, settings, request.app.state.secret_key, token)
    if user is None:
        return _reset_page(request, token, 400, expired=True)
    if not _login_csrf_ok(request, form):
        return _reset_page(request, token, 400, error=EXPIRED)
    try:
        recovery.reset_password(session, user, form.get("new_password", ""))
    except FormErrors as exc:
        return _reset_page(request, token, 400, errors=exc.fields)
    return RedirectResponse("/login?reset=1", 303)
