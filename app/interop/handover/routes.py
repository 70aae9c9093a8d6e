"""The admin's hand-over page: pick who leaves and who takes over, preview, then hand over."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import ADMIN, AdminUser, SessionDep
from app.core.errors import FormErrors
from app.core.forms import MultipartData
from app.core.templating import render
from app.interop.handover import service as handover

admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(admin, dependencies=ADMIN)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@admin.get("/admin/handover")
def handover_page(request: Request, session: SessionDep, user: AdminUser):
    """Pick who leaves and who takes over; the same page previews the counts."""
    departing = _ids(request.query_params.getlist("departing"))
    colleagues = _ids(request.query_params.getlist("colleagues"))
    plan, errors = None, {}
    if departing:
        try:
            plan = handover.plan_handover(session, user, departing[0], colleagues)
        except FormErrors as exc:
            errors = exc.fields
    context = {
        "sellers": handover.sellers(session, user),
        "departing": departing[0] if departing else None,
        "colleagues": colleagues,
        "plan": plan,
        "errors": errors,
        "done": request.query_params.get("done"),
    }
    return render(request, "interop/handover.html", context, status_code=400 if errors else 200)


@admin.post("/admin/handover")
def do_handover(request: Request, session: SessionDep, user: AdminUser, submitted: MultipartData):
    departing = _ids(submitted.lists.get("departing", []))
    colleagues = _ids(submitted.lists.get("colleagues", []))
    try:
        plan = handover.hand_over(session, user, departing[0] if departing else None, colleagues)
    except FormErrors as exc:
        context = {
            "sellers": handover.sellers(session, user),
            "departing": None,
            "colleagues": colleagues,
            "plan": None,
            "errors": exc.fields,
            "done": None,
        }
        return render(request, "interop/handover.html", context, status_code=400)
    return RedirectResponse(f"/admin/handover?done={plan.departing.id}", 303)
