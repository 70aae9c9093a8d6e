"""Pages of the spreadsheet import: upload, mapping and preview, progress, report, undo."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.forms import FormData, MultipartData
from app.core.templating import is_htmx, render, saved_or_form
from app.interop.imports import jobs as import_jobs
from app.interop.imports import mapping as columns
from app.interop.imports import pages, service, writing
from app.interop.imports.deps import ImportDep

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


def _start_page(request, session, user, errors=None):
    context = pages.start_page(session, user, errors)
    return render(request, "interop/imports.html", context)


@router.get("/imports")
def imports_page(request: Request, session: SessionDep, user: RecordUser):
    return _start_page(request, session, user)


@router.post("/imports")
def start_import(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    submitted: MultipartData,
):
    upload, entity = submitted.file("file"), submitted.fields.get("entity", "")
    return saved_or_form(
        lambda: service.start_import(session, user, settings, upload, entity),
        lambda job: f"/imports/{job.id}",
        lambda errors: _start_page(request, session, user, errors),
    )


def _job_page(request, session, user, job, errors=None):
    context = pages.job_page(session, user, job, request.app.state.settings, errors)
    return render(request, "interop/import.html", context)


@router.get("/imports/{import_id}")
def import_page(request: Request, session: SessionDep, user: RecordUser, job: ImportDep):
    return _job_page(request, session, user, job)


@router.post("/imports/{import_id}/mapping")
def save_mapping(
    request: Request, session: SessionDep, user: RecordUser, job: ImportDep, form: FormData
):
    mapping = {
        int(k.removeprefix("column_")): v
        for k, v in form.items()
        if k.startswith("column_") and k.removeprefix("column_").isdigit() and v
    }
    return saved_or_form(
        lambda: columns.set_mapping(session, user, job, mapping),
        f"/imports/{job.id}",
        lambda errors: _job_page(request, session, user, job, errors),
    )


@router.post("/imports/{import_id}/run")
def run_import(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    job: ImportDep,
    form: FormData,
):
    decisions, default = import_jobs.decisions_of(form)
    return saved_or_form(
        lambda: import_jobs.run_or_queue(session, user, job, settings, decisions, default),
        f"/imports/{job.id}",
        lambda errors: _job_page(request, session, user, job, errors),
    )


@router.post("/imports/{import_id}/cancel")
def cancel_import(request: Request, session: SessionDep, user: RecordUser, job: ImportDep):
    import_jobs.cancel(session, user, job)
    return RedirectResponse(f"/imports/{job.id}", 303)


@router.get("/imports/{import_id}/progress")
def import_progress(request: Request, session: SessionDep, user: RecordUser, job: ImportDep):
    if job.status not in ("queued", "running") and is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    context = {"job": job, "progress": import_jobs.progress_of(session, job)}
    return render(request, "interop/_progress.html", context)


@router.post("/imports/{import_id}/undo")
def undo_import(request: Request, session: SessionDep, user: RecordUser, job: ImportDep):
    return saved_or_form(
        lambda: writing.undo_import(session, user, job),
        f"/imports/{job.id}",
        lambda errors: _job_page(request, session, user, job, errors),
    )
