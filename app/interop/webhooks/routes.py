"""The admin's webhooks page: add, remove, and each webhook's latest deliveries."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import ADMIN, AdminUser, SessionDep
from app.core.forms import MultipartData
from app.core.ids import IdPath
from app.core.templating import render, saved_or_form
from app.interop.webhooks import service as webhooks

admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(admin, dependencies=ADMIN)


def _webhooks_page(request, session, user, errors=None, form=None, status=200):
    context = {
        "hooks": webhooks.webhooks_with_deliveries(session, user),
        "events": webhooks.EVENTS,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "interop/webhooks.html", context, status_code=status)


@admin.get("/admin/webhooks")
def webhooks_page(request: Request, session: SessionDep, user: AdminUser):
    return _webhooks_page(request, session, user)


@admin.post("/admin/webhooks")
def create_webhook(
    request: Request, session: SessionDep, user: AdminUser, submitted: MultipartData
):
    url = submitted.fields.get("url", "")
    events = submitted.lists.get("events", [])
    return saved_or_form(
        lambda: webhooks.create_webhook(
            session, user, url, events, request.app.state.settings.webhook_allow_private
        ),
        "/admin/webhooks",
        lambda errors: _webhooks_page(request, session, user, errors, {"url": url}),
    )


@admin.post("/admin/webhooks/{webhook_id}/delete")
def delete_webhook(session: SessionDep, user: AdminUser, webhook_id: IdPath):
    webhooks.delete_webhook(session, user, webhook_id)
    return RedirectResponse("/admin/webhooks", 303)
