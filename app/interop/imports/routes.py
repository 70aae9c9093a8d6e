"""Pages of the spreadsheet import: upload, mapping and preview, progress, report, undo."""

import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, MultipartData
from app.core.ids import IdPath
from app.core.templating import is_htmx, render, saved_or_form
from app.interop.imports import jobs as import_jobs
from app.interop.imports import mapping as columns
from app.interop.imports import planning, service, writing

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


def _start_page(request, session, user, errors=None, status=200):
    context = {
        "jobs": service.list_jobs(session, user),
        "entities": columns.ENTITIES,
        "errors": errors or {},
    }
    return render(request, "interop/imports.html", context, status_code=status)


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


def _job_page(request, session, user, job, errors=None, status=200):
    settings = request.app.state.settings
    context = {"job": job, "errors": errors or {}, "fields": columns.FIELDS[job.entity]}
    if job.status in planning.RUNNABLE:
        try:
            context["preview"] = planning.preview(session, user, job, settings)
        except FormErrors as exc:
            context["errors"] = exc.fields
        context["mapping"] = {int(k): v for k, v in json.loads(job.mapping).items()}
        context["headers"] = json.loads(job.headers)
    elif job.status in ("queued", "running"):
        context["progress"] = import_jobs.progress_of(session, job)
    else:
        context["report"] = json.loads(job.report or "{}")
    return render(request, "interop/import.html", context, status_code=status)


@router.get("/imports/{import_id}")
def import_page(request: Request, session: SessionDep, user: RecordUser, import_id: IdPath):
    job = service.get_job(session, user, import_id)
    return _job_page(request, session, user, job)


@router.post("/imports/{import_id}/mapping")
def save_mapping(
    request: Request, session: SessionDep, user: RecordUser, import_id: IdPath, form: FormData
):
    job = service.get_job(session, user, import_id)
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
    import_id: IdPath,
    form: FormData,
):
    job = service.get_job(session, user, import_id)
    decisions, default = import_jobs.decisions_of(form)
    return saved_or_form(
        lambda: import_jobs.run_or_queue(session, user, job, settings, decisions, default),
        f"/imports/{job.id}",
        lambda errors: _job_page(request, session, user, job, errors),
    )


@router.post("/imports/{import_id}/cancel")
def cancel_import(request: Request, session: SessionDep, user: RecordUser, import_id: IdPath):
    job = service.get_job(session, user, import_id)
    import_jobs.cancel(session, user, job)
    return RedirectResponse(f"/imports/{job.id}", 303)


@router.get("/imports/{import_id}/progress")
def import_progress(request: Request, session: SessionDep, user: RecordUser, import_id: IdPath):
    job = service.get_job(session, user, import_id)
    if job.status not in ("queued", "running") and is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    context = {"job": job, "progress": import_jobs.progress_of(session, job)}
    return render(request, "interop/_progress.html", context)


@router.post("/imports/{import_id}/undo")
def undo_import(request: Request, session: SessionDep, user: RecordUser, import_id: IdPath):
    job = service.get_job(session, user, import_id)
    return saved_or_form(
        lambda: writing.undo_import(session, user, job),
        f"/imports/{job.id}",
        lambda errors: _job_page(request, session, user, job, errors),
    )
