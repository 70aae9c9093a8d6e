"""The import pages assembled once: the start page (recent imports) and one import's page,
whose content follows its state (mapping and preview, progress, or report)."""

import json

from sqlmodel import Session

from app.auth.models import User
from app.core.config import Settings
from app.core.errors import FormErrors
from app.interop.imports import jobs as import_jobs
from app.interop.imports import mapping as columns
from app.interop.imports import planning, service
from app.interop.imports.models import ImportJob


def start_page(session: Session, user: User, errors: dict | None = None) -> dict:
    return {
        "jobs": service.list_jobs(session, user),
        "entities": columns.ENTITIES,
        "errors": errors or {},
    }


def job_page(
    session: Session, user: User, job: ImportJob, settings: Settings, errors: dict | None = None
) -> dict:
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
        context["report"] = report = json.loads(job.report or "{}")
        context["left_out"] = [
            (number, [planning.loaded_message(m) for m in messages])
            for number, messages in report.get("invalid", [])
        ]
    return context
