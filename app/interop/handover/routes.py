"""The admin's hand-over page: pick who leaves and who takes over, preview, then hand over."""

from fastapi import APIRouter, FastAPI, Request

from app.auth.deps import ADMIN, AdminUser, SessionDep
from app.core.errors import FormErrors
from app.core.forms import MultipartData
from app.core.ids import id_from
from app.core.templating import render, saved_or_form
from app.interop.handover import service as handover

admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(admin, dependencies=ADMIN)


def _ids(values: list[str]) -> list[int]:
    return [i for i in map(id_from, values) if i is not None]


def _handover_page(request, session, user, colleagues, departing=None, plan=None, errors=None):
    context = {
        "sellers": handover.sellers(session, user),
        "departing": departing,
        "colleagues": colleagues,
        "plan": plan,
        "errors": errors or {},
        # The banner of a hand-over just made, never beside the messages of a refused one.
        "done": None if errors else request.query_params.get("done"),
    }
    return render(request, "interop/handover.html", context, status_code=400 if errors else 200)


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
    departing_id = departing[0] if departing else None
    return _handover_page(request, session, user, colleagues, departing_id, plan, errors)


@admin.post("/admin/handover")
def do_handover(request: Request, session: SessionDep, user: AdminUser, submitted: MultipartData):
    departing = _ids(submitted.lists.get("departing", []))
    colleagues = _ids(submitted.lists.get("colleagues", []))
    return saved_or_form(
        lambda: handover.hand_over(session, user, departing[0] if departing else None, colleagues),
        lambda plan: f"/admin/handover?done={plan.departing.id}",
        lambda errors: _handover_page(request, session, user, colleagues, errors=errors),
    )
