"""Pages of two-step sign-in: the code after the password, setting it up (at sign-in when
the team requires it, or from the account page), recovery codes, turning it off."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth import pending, service, two_step
from app.auth.deps import ADMIN, SIGNED_IN, AdminUser, CurrentUser, SessionDep
from app.auth.routes import _account_page, _login_csrf_ok, _start, _with_login_csrf
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, checked
from app.core.i18n import N_
from app.core.ids import IdPath
from app.core.templating import render, saved_or_form

public = APIRouter(include_in_schema=False)
signed_in = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)
EXPIRED = N_("This form had expired. Please try again.")
WRONG = N_("This code does not match. Type the 6 digits your app shows now, or a recovery code.")
SETUP_MINUTES = 15


def mount(app: FastAPI) -> None:
    app.include_router(public)
    app.include_router(signed_in, dependencies=SIGNED_IN)
    app.include_router(admin, dependencies=ADMIN)


def _client(request: Request) -> str:
    address = request.client.host if request.client else ""
    return service.client_key(request.app.state.secret_key, address)


def _setup_context(user, secret: str, **extra) -> dict:
    uri = two_step.setup_uri(user, secret)
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": two_step.qr_svg(uri), "key": key, "errors": {}, **extra}


def _codes_page(request: Request, codes: list[str], then: str):
    return render(request, "auth/recovery_codes.html", {"codes": codes, "then": then})


# ---- the second step of signing in ------------------------------------------


@public.get("/login/code")
def code_page(request: Request, session: SessionDep):
    half = pending.read(request, session)
    if half is None:
        return RedirectResponse("/login", 303)
    if not half[0].two_step:
        return RedirectResponse("/login/two-step", 303)
    return _with_login_csrf(request, "auth/two_step_code.html", {})


@public.post("/login/code")
def sign_in_with_code(request: Request, settings: SettingsDep, session: SessionDep, form: FormData):
    half = pending.read(request, session)
    if half is None:
        return RedirectResponse("/login", 303)
    user, target, _secret = half
    if not _login_csrf_ok(request, form):
        return _with_login_csrf(request, "auth/two_step_code.html", {"error": EXPIRED}, 400)
    client = _client(request)
    try:
        service.check_throttle(session, settings, user.email, client)
    except service.TooManyAttempts as exc:
        context = {"error": N_("Too many failed attempts from here. Wait a moment and try again.")}
        response = _with_login_csrf(request, "auth/two_step_code.html", context, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not two_step.check_code(session, user, form.get("code", "")[:40]):
        service.note_failure(session, user.email, client)
        return _with_login_csrf(request, "auth/two_step_code.html", {"error": WRONG}, 400)
    service.clear_failures(session, user.email, client)
    return pending.forget(_start(request, session, user, target))


@public.get("/login/two-step")
def required_setup_page(request: Request, session: SessionDep):
    """The team requires it and this account has none yet: set it up before anything."""
    half = pending.read(request, session)
    if half is None:
        return RedirectResponse("/login", 303)
    user, target, secret = half
    if user.two_step:
        return RedirectResponse("/login/code", 303)
    secret = secret or two_step.new_secret()
    context = _setup_context(user, secret, action="/login/two-step", required=True)
    response = _with_login_csrf(request, "auth/two_step_setup.html", context)
    return pending.remember(request, response, user, target, secret)


@public.post("/login/two-step")
def required_setup(request: Request, session: SessionDep, form: FormData):
    half = pending.read(request, session)
    if half is None or not half[2]:
        return RedirectResponse("/login", 303)
    user, target, secret = half
    context = _setup_context(user, secret, action="/login/two-step", required=True)
    if not _login_csrf_ok(request, form):
        return _with_login_csrf(
            request, "auth/two_step_setup.html", context | {"error": EXPIRED}, 400
        )
    try:
        codes = two_step.enable(session, user, secret, form.get("code", "")[:40])
    except FormErrors as exc:
        context["errors"] = exc.fields
        return _with_login_csrf(request, "auth/two_step_setup.html", context, 400)
    started = _start(request, session, user, target)
    page = _codes_page(request, codes, started.headers["location"])
    for cookie in started.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", cookie)
    return pending.forget(page)


# ---- from the account page ---------------------------------------------------


def _setup_serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="carnet.two-step.setup")


def _account_setup(request, user, secret: str, status: int = 200, errors=None):
    sealed = _setup_serializer(request).dumps({"u": user.id, "s": secret})
    context = _setup_context(user, secret, action="/account/two-step", sealed=sealed)
    context["errors"] = errors or {}
    return render(request, "auth/two_step_setup.html", context, status_code=status)


@signed_in.get("/account/two-step")
def account_setup_page(request: Request, user: CurrentUser):
    if user.two_step:
        return RedirectResponse("/account#two-step", 303)
    return _account_setup(request, user, two_step.new_secret())


@signed_in.post("/account/two-step")
def account_setup(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    try:
        sealed = _setup_serializer(request).loads(
            form.get("sealed", ""), max_age=SETUP_MINUTES * 60
        )
    except BadSignature:
        return _account_setup(request, user, two_step.new_secret(), 400, {"code": [EXPIRED]})
    if sealed.get("u") != user.id or user.two_step:
        return RedirectResponse("/account#two-step", 303)
    try:
        codes = two_step.enable(session, user, sealed["s"], form.get("code", "")[:40])
    except FormErrors as exc:
        return _account_setup(request, user, sealed["s"], 400, exc.fields)
    return _codes_page(request, codes, "/account#two-step")


@signed_in.post("/account/two-step/codes")
def renew_codes(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    try:
        codes = two_step.new_recovery_codes(session, user, form.get("password", ""))
    except FormErrors as exc:
        return _account_page(request, session, user, 400, errors=exc.fields)
    return _codes_page(request, codes, "/account#two-step")


@signed_in.post("/account/two-step/off")
def turn_off(request: Request, session: SessionDep, user: CurrentUser, form: FormData):
    return saved_or_form(
        lambda: two_step.disable(session, user, form.get("password", "")),
        "/account?saved=two-step#two-step",
        lambda errors: _account_page(request, session, user, errors=errors),
    )


@admin.post("/admin/users/{user_id}/two-step/off")
def admin_turn_off(session: SessionDep, user: AdminUser, user_id: IdPath):
    target = service.get_user(session, user, user_id)
    two_step.reset_for(session, user, target)
    return RedirectResponse("/admin/users?saved=two-step", 303)


@admin.post("/admin/two-step")
def admin_require(session: SessionDep, user: AdminUser, form: FormData):
    two_step.set_required(session, user, checked(form, "required"))
    return RedirectResponse("/admin/users?saved=two-step", 303)
