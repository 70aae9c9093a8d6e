"""create_app(): settings, database, middleware, routers, static files and error pages."""

import time
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: app.routes is flat already
    iter_route_contexts = None

from app.auth.deps import CsrfFailed, NotAuthenticated
from app.core import health, limits
from app.core.config import Settings, get_settings
from app.core.db import ROOT, check_migrated, make_engine, reader
from app.core.errors import Conflict, Forbidden, FormErrors, NotFound
from app.core.forms import UploadTooLarge
from app.core.i18n import N_, browser_languages
from app.core.secret_key import installation_key
from app.core.security import CookieSigner
from app.core.templating import is_htmx, localizer_for, render
from app.documents.storage import remove_stale_temp_files


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, message: str):
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    loc = localizer_for(request)
    return render(
        request,
        "error.html",
        {"title": loc.gettext(title), "message": loc.gettext(message), "status": status},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated):
        if _wants_json(request):
            return JSONResponse(
                {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = "/login?next=" + quote(request.url.path)
        if is_htmx(request):
            return JSONResponse({}, status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return _error_page(
            request, 403, N_("Not available"), N_("Your account does not give access to this page.")
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _error_page(
            request, 404, N_("Not found"), N_("This page does not exist or was removed.")
        )

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return _error_page(
            request,
            403,
            N_("Please try again"),
            N_("This form had expired. Reload the page and submit it again."),
        )

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        message = N_(
            "Someone saved this record after you opened it. Reload it to see their change, "
            "then make yours again."
        )
        if _wants_json(request):
            body = {"detail": message, "changed": exc.changed, "version": exc.version}
            return JSONResponse(body, status_code=409)
        loc = localizer_for(request)
        context = {
            "title": loc.gettext(N_("Changed meanwhile")),
            "message": loc.gettext(message),
            "status": 409,
            "changed": exc.changed,
            # Back to the page the stale form came from (its path only: never another host).
            "reload": urlsplit(request.headers.get("referer", "")).path,
        }
        return render(request, "error.html", context, status_code=409)

    @app.exception_handler(UploadTooLarge)
    async def upload_too_large(request: Request, exc: UploadTooLarge):
        return _error_page(
            request,
            413,
            N_("File too large"),
            N_("This file is larger than the upload limit. Go back and choose a smaller one."),
        )

    @app.exception_handler(FormErrors)
    async def form_errors(request: Request, exc: FormErrors):
        # Pages catch FormErrors to re-render their form; this answers the API.
        loc = localizer_for(request)
        detail = [
            {"loc": ["body", f], "msg": loc.message(m), "type": "value_error"}
            for f, msgs in exc.fields.items()
            for m in msgs
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names the methods of the first route matching the path; a path
            # served by several routes (GET and POST apart) has them all.
            headers = {**(headers or {}), "Allow": _allowed_methods(app, request.url.path)}
        if exc.status_code == 400 and not _wants_json(request):
            # An unreadable form (too many fields, a broken body) on a page: a page back.
            return _error_page(
                request,
                400,
                N_("Something is off"),
                N_("This request is not valid. Go back and try again."),
            )
        if _wants_json(request) or exc.status_code not in (404, 405):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
        return _error_page(
            request, exc.status_code, N_("Not found"), N_("This page does not exist.")
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            errors = [
                {k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _error_page(
            request,
            400,
            N_("Something is off"),
            N_("This request is not valid. Go back and try again."),
        )


def _allowed_methods(app: FastAPI, path: str) -> str:
    """Every method some route serves on this path (a 405 is rare: compiling is fine)."""
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    methods: set[str] = set()
    for route in routes:
        template, allowed = getattr(route, "path", None), getattr(route, "methods", None)
        if template and allowed and compile_path(template)[0].match(path):
            methods |= set(allowed)
    return ", ".join(sorted(methods))


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
# No other host, ever: the app calls none and the browser may load from none.
CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"frame-ancestors 'none'; form-action 'self'"
)


class ResponseHeaders:
    """Security headers on every response; for signed-in requests, Cache-Control: no-store
    and Server-Timing (so the benchmark can read server time without the client's overhead).
    Plain ASGI: cheaper than BaseHTTPMiddleware."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        for name, value in scope["headers"]:
            if name == b"accept-language":
                browser_languages.set(value.decode("latin-1"))
                break

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in names)
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP))
                if scope.get("state", {}).get("auth"):
                    # Signed-in pages hold someone's records: no cache keeps them, and only
                    # signed-in people learn how long the server took.
                    if b"cache-control" not in names:
                        headers.append((b"cache-control", b"no-store"))
                    elapsed = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, engine=None, check_schema: bool = True) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url, settings=settings)
    if check_schema:
        check_migrated(engine)
    # Uploads and exports cut short by a crash (kill -9) leave their temporary files.
    for directory in (settings.documents_dir / "tmp", settings.data_dir / "tmp"):
        remove_stale_temp_files(directory)

    from app.background import lifespan

    app = FastAPI(
        lifespan=lifespan,
        title="Carnet",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    read_engine = reader(engine)
    app.state.session_factory = lambda writes=True: Session(
        engine if writes else read_engine, expire_on_commit=False
    )
    app.state.secret_key = installation_key(engine, settings.secret_key, settings.data_dir)
    app.state.signer = CookieSigner(app.state.secret_key)

    limits.install(app, settings)  # inside ResponseHeaders: a refusal gets the headers too
    app.add_middleware(ResponseHeaders)

    _install_error_handlers(app)
    health.install(app)
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs():
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="Carnet API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        # Swagger UI starts from an inline script; still nothing from another host.
        page.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:"
        )
        return page

    from app.activities import api as activities_api
    from app.activities import routes as activities_routes
    from app.auth import recovery_routes, two_step_routes
    from app.auth import routes as auth_routes
    from app.customers import api as customers_api
    from app.customers import routes as customers_routes
    from app.deals import api as deals_api
    from app.deals import routes as deals_routes
    from app.documents import api as documents_api
    from app.documents import routes as documents_routes
    from app.interop import erasure_routes
    from app.interop.calendar import routes as calendar_routes
    from app.interop.exports import routes as exports_routes
    from app.interop.handover import routes as handover_routes
    from app.interop.imports import routes as import_routes
    from app.interop.mail import api as mail_api
    from app.interop.mail import routes as mail_routes
    from app.interop.mail import send_routes as mail_send_routes
    from app.interop.webhooks import routes as webhooks_routes
    from app.reports import api as reports_api
    from app.reports import routes as reports_routes
    from app.satisfaction import routes as satisfaction_routes

    for module in (auth_routes, customers_routes, activities_routes, deals_routes):
        module.mount(app)
    recovery_routes.mount(app)
    two_step_routes.mount(app)
    documents_routes.mount(app)
    satisfaction_routes.mount(app)
    reports_routes.mount(app)
    for module in (calendar_routes, exports_routes, handover_routes, webhooks_routes):
        module.mount(app)
    erasure_routes.mount(app)
    import_routes.mount(app)
    mail_routes.mount(app)
    mail_send_routes.mount(app)
    mail_api.mount(app)
    for module in (customers_api, activities_api, deals_api, documents_api, reports_api):
        module.mount(app)
    return app
