"""Pages for login, first-run setup, the user's account and the admin's account list."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.background import BackgroundTask

from app.auth import pending, recovery, service, two_step
from app.auth.deps import (
    ADMIN,
    SESSION_COOKIE,
    SIGNED_IN,
    AdminUser,
    CurrentUser,
    SessionDep,
    cookie_token,
    optional_user,
)
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, checked
from app.core.i18n import LANGUAGES, N_, language_from_header, timezone_names
from app.core.ids import IdPath
from app.core.security import new_token, same
from app.core.templating import render, saved_or_form

LOGIN_CSRF_COOKIE = "carnet_login_csrf"

public = APIRouter(include_in_schema=False)
signed_in = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False, prefix="/admin")


def mount(app: FastAPI) -> None:
    app.include_router(public)
    app.include_router(signed_in, dependencies=SIGNED_IN)
    app.include_router(admin, dependencies=ADMIN)


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not bounce the user to another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def _home_for(user) -> str:
    """Where someone lands: a seller (or admin) on Today, a pure manager on the outcomes
    they are there to see."""
    if user.can_see_records:
        return "/today"
    return "/reports/team" if user.is_manager else "/account"


# ---- public: login, setup --------------------------------------------------


def _with_login_csrf(request: Request, template: str, context: dict, status: int = 200):
    """Login and setup come before any session, so they use a double-submit cookie."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    context["login_csrf"] = token
    response = render(request, template, context, status_code=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookies_secure,
    )
    return response


def _login_csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(cookie) and same(cookie, form.get("csrf_token", ""))


def _start(request: Request, session, user, target: str):
    raw = service.start_session(session, request.app.state.settings, user)
    response = RedirectResponse(_safe_next(target) if target else _home_for(user), 303)
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.signer.sign(raw),
        max_age=request.app.state.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookies_secure,
    )
    return response


@public.get("/")
def home(request: Request, user: Annotated[object, Depends(optional_user)], session: SessionDep):
    if user is None:
        if not service.has_any_user(session):
            return RedirectResponse("/setup", 303)
        return RedirectResponse("/login", 303)
    return RedirectResponse(_home_for(user), 303)


@public.get("/login")
def login_page(request: Request, session: SessionDep, next: str = ""):
    if not service.has_any_user(session):
        return RedirectResponse("/setup", 303)
    return _with_login_csrf(request, "auth/login.html", {"next": _safe_next(next), "email": ""})


@public.post("/login")
def login(request: Request, settings: SettingsDep, session: SessionDep, form: FormData):
    email, target = form.get("email", ""), form.get("next", "")
    context = {"next": _safe_next(target), "email": email[:254]}
    if not _login_csrf_ok(request, form):
        context["error"] = N_("This form had expired. Please try again.")
        return _with_login_csrf(request, "auth/login.html", context, 400)
    client = service.client_key(
        request.app.state.secret_key, request.client.host if request.client else ""
    )
    try:
        user = service.authenticate(session, settings, email, form.get("password", ""), client)
    except service.TooManyAttempts as exc:
        context["error"] = N_("Too many failed attempts from here. Wait a moment and try again.")
        response = _with_login_csrf(request, "auth/login.html", context, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        context["error"] = N_("This email and password do not match an active account.")
        return _with_login_csrf(request, "auth/login.html", context, 400)
    if user.two_step or two_step.required(session):
        return pending.begin(request, user, target)
    return _start(request, session, user, target)


@public.get("/setup")
def setup_page(request: Request, session: SessionDep):
    if service.has_any_user(session):
        return RedirectResponse("/login", 303)
    return _with_login_csrf(request, "auth/setup.html", {"form": {}, "errors": {}})


@public.post("/setup")
def setup(request: Request, settings: SettingsDep, session: SessionDep, form: FormData):
    if service.has_any_user(session):
        return RedirectResponse("/login", 303)
    context = {"form": {k: v for k, v in form.items() if "password" not in k}, "errors": {}}
    if not _login_csrf_ok(request, form):
        context["errors"] = {"__all__": [N_("This form had expired. Please try again.")]}
        return _with_login_csrf(request, "auth/setup.html", context, 400)
    try:
        user = service.create_user(
            session,
            email=form.get("email", ""),
            name=form.get("name", ""),
            password=form.get("password", ""),
            is_seller=checked(form, "is_seller"),
            is_admin=True,
            language=language_from_header(request.headers.get("accept-language")),
            timezone=settings.default_timezone,
        )
    except FormErrors as exc:
        context["errors"] = exc.fields
        return _with_login_csrf(request, "auth/setup.html", context, 400)
    return _start(request, session, user, "")


# ---- signed in: logout, account --------------------------------------------


@signed_in.post("/logout")
def logout(request: Request, session: SessionDep, user: CurrentUser):
    raw = cookie_token(request)
    if raw:
        service.end_session(session, raw)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account_page(request, session, user, status=200, **extra):
    context = {
        "tokens": service.list_api_tokens(session, user),
        "timezones": timezone_names(),
        "two_step_required": two_step.required(session),
        "codes_left": two_step.recovery_codes_left(session, user) if user.two_step else 0,
        "errors": {},
    }
    context.update(extra)
    return render(request, "auth/account.html", context, status_code=status)


@signed_in.get("/account")
def account(request: Request, session: SessionDep, user: CurrentUser):
    return _account_page(request, session, user, saved=request.query_params.get("saved"))


@signed_in.post("/account/preferences")
def save_preferences(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    return saved_or_form(
        lambda: service.update_preferences(
            session,
            user,
            language=form.get("language", ""),
            timezone=form.get("timezone", ""),
            digest=checked(form, "digest"),
        ),
        "/account?saved=preferences",
        lambda errors: _account_page(request, session, user, errors=errors),
    )


@signed_in.post("/account/password")
def change_password(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    return saved_or_form(
        lambda: service.change_password(
            session,
            user,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            keep_session=cookie_token(request),
        ),
        "/account?saved=password",
        lambda errors: _account_page(request, session, user, errors=errors),
    )


@signed_in.post("/account/tokens")
def create_token(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    try:
        _token, raw = service.create_api_token(session, user, form.get("token_name", ""))
    except FormErrors as exc:
        return _account_page(
            request, session, user, 400, errors=exc.fields, token_name=form.get("token_name")
        )
    # Shown once, on this response only; only its hash is kept.
    return _account_page(request, session, user, new_token=raw)


@signed_in.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: SessionDep, user: CurrentUser, token_id: IdPath):
    service.revoke_api_token(session, user, token_id)
    return RedirectResponse("/account?saved=token", 303)


# ---- admin: accounts -------------------------------------------------------


def _users_page(request, session, user, status=200, **extra):
    context = {
        "users": service.list_users(session, user),
        "errors": {},
        "form": {},
        "two_step_required": two_step.required(session),
    }
    context.update(extra)
    return render(request, "admin/users.html", context, status_code=status)


@admin.get("/users")
def users(request: Request, session: SessionDep, user: AdminUser):
    return _users_page(request, session, user)


@admin.post("/users")
def create_user(
    request: Request, settings: SettingsDep, session: SessionDep, user: AdminUser, form: FormData
):
    kept = {k: v for k, v in form.items() if k != "password"}
    invitation = []

    def save():
        created, message = recovery.create_account(
            session,
            settings,
            request.app.state.secret_key,
            user,
            password=form.get("password", ""),
            email=form.get("email", ""),
            name=form.get("name", ""),
            is_seller=checked(form, "is_seller"),
            is_manager=checked(form, "is_manager"),
            is_admin=checked(form, "is_admin"),
            language=form.get("language") if form.get("language") in LANGUAGES else None,
            timezone=settings.default_timezone,
        )
        invitation.append(message)
        return created

    response = saved_or_form(
        save,
        "/admin/users",
        lambda errors: _users_page(request, session, user, errors=errors, form=kept),
    )
    if invitation and invitation[0] is not None:
        # Sent once the account is saved and the page has its answer.
        response.background = BackgroundTask(recovery.send_quietly, settings, invitation[0])
    return response


@admin.post("/users/{user_id}")
def update_user(
    request: Request, session: SessionDep, user: AdminUser, user_id: IdPath, form: FormData
):
    target = service.get_user(session, user, user_id)
    return saved_or_form(
        lambda: service.update_user_access(
            session,
            user,
            target,
            is_seller=checked(form, "is_seller"),
            is_manager=checked(form, "is_manager"),
            is_admin=checked(form, "is_admin"),
            is_active=checked(form, "is_active"),
            is_leaving=checked(form, "is_leaving"),
        ),
        "/admin/users",
        lambda errors: _users_page(request, session, user, errors=errors, editing=user_id),
    )
