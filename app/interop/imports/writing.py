"""Spreadsheet import, step 3: the plan written in bulk (a few statements per thousand rows),
all or nothing in one commit; and undo, which takes a whole import back."""

import json
from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import delete, insert, update
from sqlmodel import Session, select

from app.activities.models import Activity
from app.audit.trail import AuditEntry
from app.auth.models import User
from app.core import outbox
from app.core.access import require_records
from app.core.errors import FormErrors
from app.core.i18n import N_
from app.core.jobs import Stopped
from app.core.schema import utcnow
from app.core.text import clean_tags, fold
from app.customers.models import Contact, Organization
from app.customers.service import (
    SEARCH_TEXT_CHARS,
    contact_search_text,
    organization_search_text,
    sort_key,
)
from app.deals.models import Deal, DealContact, Stage
from app.interop.imports.mapping import BATCH
from app.interop.imports.models import ImportFile, ImportJob, ImportRecord
from app.interop.imports.planning import Plan, contact_row

# Left-out rows and merges the report lists (its counts cover them all).
REPORT_LINES = 500

# A running import's progress, per job, for the runner to store with its lease. Only the
# thread doing the import writes it; other processes read the stored figure.
PROGRESS: dict[int, object] = {}


def _advance(job: ImportJob, rows: int) -> None:
    run = PROGRESS.get(job.id)
    if run is not None:
        run.progress((run.done or 0) + rows)
        run.check()  # a cancel, or the process stopping: everything rolls back


def write_import(session: Session, user: User, job: ImportJob, plan: Plan, finish=None) -> None:
    """All or nothing: every record of the file, the report and the end of the job in one
    commit. `finish` closes the background job in that same transaction; when the claim
    was lost meanwhile, nothing is kept."""
    writer = {
        "contacts": _write_contacts,
        "organizations": _write_organizations,
        "deals": _write_deals,
    }
    created, merged = writer[job.entity](session, user, job, plan.creates, plan.merges)
    report = plan.report
    report["created"] = created[:200]
    report["merged"] = merged[:200]
    report["merges"] = report["merges"][:REPORT_LINES]
    report["invalid"] = report["invalid"][:REPORT_LINES]
    # Rows, not records: two rows folded into one contact are two rows merged (and, when
    # the contact is new, one created); counting records said "0 merged" for them.
    job.created, job.merged = len(created), plan.merged_rows
    job.skipped = len(report["skipped"])
    job.invalid = len(report["invalid"])
    job.report = json.dumps(report, ensure_ascii=False, default=str)
    job.status = "done"
    job.error = ""
    job.finished_at = utcnow()
    session.add(job)
    session.execute(delete(ImportFile).where(ImportFile.import_id == job.id))
    if finish is not None and not finish(session):
        session.rollback()
        raise Stopped
    session.commit()


def lock(session: Session, job: ImportJob) -> ImportJob:
    """The import's row, locked and read again: a second "run" waits here for the first, then
    sees what it did (an object already loaded would otherwise keep its old status)."""
    return session.exec(
        select(ImportJob)
        .where(ImportJob.id == job.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _insert_all(session: Session, model, rows: list[dict]) -> list[int]:
    """One multi-row INSERT; the new ids come back in the rows' order."""
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return session.execute(stmt, rows).scalars().all()


def _draft_organization(**fields) -> SimpleNamespace:
    """What the search text needs, without building a model per row: that costs more than
    the INSERT itself, and on SQLite every other writer waits for the import to finish."""
    return SimpleNamespace(**({"website": "", "phone": "", "tags": "", "notes": ""} | fields))


def _organization_row(user: User, org: SimpleNamespace, now) -> dict:
    return {
        "name": org.name,
        "website": org.website,
        "phone": org.phone,
        "tags": org.tags,
        "notes": org.notes,
        "owner_id": user.id if user.is_seller else None,
        "sort_key": sort_key(org.name),
        "search_text": organization_search_text(org),
        "created_at": now,
        "updated_at": now,
    }


def _organizations_by_name(session: Session, user: User, job, names: set[str]) -> dict[str, int]:
    """Existing organizations by folded name; missing ones created (and recorded)."""
    ids: dict[str, int] = {}
    wanted = {fold(n): n for n in names if n}
    if not wanted:
        return ids
    for oid, name in session.exec(select(Organization.id, Organization.name)):
        key = fold(name)
        if key in wanted and key not in ids:
            ids[key] = oid
    missing = [wanted[k] for k in wanted if k not in ids]
    now = utcnow()
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        rows = [
            _organization_row(user, _draft_organization(name=name[:200]), now) for name in chunk
        ]
        new_ids = _insert_all(session, Organization, rows)
        _recorded(session, user, job, "organization", new_ids, [r["name"] for r in rows])
        for name, oid in zip(chunk, new_ids, strict=True):
            ids[fold(name)] = oid
    return ids


def _recorded(session, user, job, record_type: str, ids: list[int], names: list[str]) -> None:
    now = utcnow()
    if not ids:
        return
    session.execute(
        insert(ImportRecord),
        [
            {
                "import_id": job.id,
                "record_type": record_type,
                "record_id": i,
                "action": "created",
                "previous": "{}",
            }
            for i in ids
        ],
    )
    session.execute(
        insert(AuditEntry),
        [
            {
                "record_type": record_type,
                "record_id": i,
                "field": "created",
                "old_value": "",
                "new_value": f"{n} (import {job.filename})"[:500],
                "actor_id": user.id,
                "at": now,
            }
            for i, n in zip(ids, names, strict=True)
        ],
    )


def _write_contacts(session, user, job, creates, merges):
    orgs = _organizations_by_name(
        session, user, job, {v.get("organization", "") for v in creates + [m for _i, m in merges]}
    )
    names_by_org = {oid: name for name, oid in orgs.items()}
    now = utcnow()
    created: list[str] = []
    hooks = outbox.subscribed(session, "contact.created")
    for start in range(0, len(creates), BATCH):
        chunk = creates[start : start + BATCH]
        rows = []
        for v in chunk:
            org_id = orgs.get(fold(v.get("organization", ""))) if v.get("organization") else None
            row = v.get("_row") or contact_row(user, v)
            rows.append(row | {"organization_id": org_id, "created_at": now, "updated_at": now})
        ids = _insert_all(session, Contact, rows)
        _recorded(session, user, job, "contact", ids, [r["name"] for r in rows])
        if hooks:
            outbox.emit_many(
                session,
                hooks,
                "contact.created",
                [
                    {
                        "contact_id": i,
                        "name": r["name"],
                        "email": r["email"],
                        "organization_id": r["organization_id"],
                    }
                    for i, r in zip(ids, rows, strict=True)
                ],
            )
        created.extend(r["name"] for r in rows)
        _advance(job, len(chunk))
    merged = []
    for contact_id, v in merges:
        contact = session.get(Contact, contact_id)
        previous = {}
        for name in ("email", "phone", "title", "notes", "language"):
            if v.get(name) and not getattr(contact, name):
                previous[name] = getattr(contact, name)
                setattr(contact, name, v[name] if name != "email" else v[name].lower())
        if v.get("tags"):
            tags = clean_tags(", ".join(x for x in (contact.tags, v["tags"]) if x))
            if tags != contact.tags:
                previous["tags"] = contact.tags
                contact.tags = tags
        if v.get("organization") and contact.organization_id is None:
            previous["organization_id"] = None
            contact.organization_id = orgs.get(fold(v["organization"]))
        if previous:
            contact.search_text = contact_search_text(
                contact, names_by_org.get(contact.organization_id, v.get("organization", ""))
            )[:SEARCH_TEXT_CHARS]
            contact.updated_at = now
            session.add(contact)
            session.add(
                AuditEntry(
                    record_type="contact",
                    record_id=contact.id,
                    field="import",
                    old_value="",
                    new_value=f"merged from {job.filename}"[:500],
                    actor_id=user.id,
                    at=now,
                )
            )
        session.add(
            ImportRecord(
                import_id=job.id,
                record_type="contact",
                record_id=contact.id,
                action="merged",
                previous=json.dumps(previous, default=str),
            )
        )
        merged.append(contact.name)
    return created, merged


def _write_organizations(session, user, job, creates, merges):
    now = utcnow()
    created = []
    for start in range(0, len(creates), BATCH):
        rows = []
        for v in creates[start : start + BATCH]:
            org = _draft_organization(
                name=v["name"][:200],
                website=v.get("website", ""),
                phone=v.get("phone", ""),
                tags=clean_tags(v.get("tags", "")),
                notes=v.get("notes", ""),
            )
            rows.append(_organization_row(user, org, now))
        ids = _insert_all(session, Organization, rows)
        _recorded(session, user, job, "organization", ids, [r["name"] for r in rows])
        created.extend(r["name"] for r in rows)
        _advance(job, len(rows))
    merged = []
    for org_id, v in merges:
        org = session.get(Organization, org_id)
        previous = {}
        for name in ("website", "phone", "notes"):
            if v.get(name) and not getattr(org, name):
                previous[name] = getattr(org, name)
                setattr(org, name, v[name])
        if previous:
            org.search_text = organization_search_text(org)
            session.add(org)
        session.add(
            ImportRecord(
                import_id=job.id,
                record_type="organization",
                record_id=org.id,
                action="merged",
                previous=json.dumps(previous),
            )
        )
        merged.append(org.name)
    return created, merged


def _write_deals(session, user, job, creates, merges):
    orgs = _organizations_by_name(session, user, job, {v.get("organization", "") for v in creates})
    stages = session.exec(select(Stage).order_by(Stage.position)).all()
    by_name = {}
    for s in stages:
        for label in (s.name, s.key, s.key.replace("_", " ")):
            if label:
                by_name[fold(label)] = s
    from app.core.i18n import translations
    from app.deals.models import DEFAULT_NAMES

    for s in stages:
        for language in ("en", "fr"):
            if s.key in DEFAULT_NAMES:
                by_name[fold(translations(language).gettext(DEFAULT_NAMES[s.key]))] = s
    first_open = next((s for s in stages if s.kind == "open"), stages[0])
    emails = {v["contact_email"].lower() for v in creates if v.get("contact_email")}
    contact_ids = {}
    if emails:
        for cid, email in session.exec(
            select(Contact.id, Contact.email).where(Contact.email.in_(emails))
        ):
            contact_ids.setdefault(email, cid)
    now = utcnow()
    created = []
    for start in range(0, len(creates), BATCH):
        chunk = creates[start : start + BATCH]
        rows = []
        for v in chunk:
            stage = by_name.get(fold(v.get("stage", "")), first_open)
            rows.append(
                {
                    "title": v["title"][:200],
                    "title_key": fold(v["title"])[:100],
                    "organization_id": orgs.get(fold(v.get("organization", "")))
                    if v.get("organization")
                    else None,
                    "owner_id": user.id,
                    "stage_id": stage.id,
                    "status": stage.kind,
                    "amount_minor": v.get("amount_minor"),
                    "currency": v.get("currency") or "EUR",
                    "expected_close_on": v.get("expected_close_on") or None,
                    "next_step": v.get("next_step", "")[:500] if v.get("next_step_due") else "",
                    "next_step_due": v.get("next_step_due") or None if v.get("next_step") else None,
                    "won_on": now.date() if stage.kind == "won" else None,
                    "won_amount_minor": v.get("amount_minor") if stage.kind == "won" else None,
                    "lost_on": now.date() if stage.kind == "lost" else None,
                    "lost_reason": "",
                    "stage_entered_at": now,
                    "furthest_position": stage.position,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        ids = _insert_all(session, Deal, rows)
        links = [
            {"deal_id": i, "contact_id": contact_ids[v["contact_email"].lower()]}
            for i, v in zip(ids, chunk, strict=True)
            if v.get("contact_email") and v["contact_email"].lower() in contact_ids
        ]
        if links:
            session.execute(insert(DealContact), links)
        _recorded(session, user, job, "deal", ids, [r["title"] for r in rows])
        created.extend(r["title"] for r in rows)
        _advance(job, len(chunk))
    merged = [session.get(Deal, deal_id).title for deal_id, _v in merges]
    for deal_id, _v in merges:
        session.add(
            ImportRecord(
                import_id=job.id,
                record_type="deal",
                record_id=deal_id,
                action="merged",
                previous="{}",
            )
        )
    return created, merged


def undo_import(session: Session, user: User, job: ImportJob) -> dict[str, int]:
    """Takes the whole import back: merged fields return to what they were; created records
    go, or are archived when someone has since worked on them (nothing of theirs is lost)."""
    require_records(user)
    if job.status != "done":
        errors = FormErrors()
        errors.add("import", N_("Only a finished import can be undone."))
        raise errors
    records = session.exec(select(ImportRecord).where(ImportRecord.import_id == job.id)).all()
    by = defaultdict(list)
    for r in records:
        by[(r.record_type, r.action)].append(r)
    now = utcnow()
    kept = 0
    for r in by[("contact", "merged")] + by[("organization", "merged")]:
        model = Contact if r.record_type == "contact" else Organization
        record = session.get(model, r.record_id)
        if record is not None:
            for name, value in json.loads(r.previous).items():
                setattr(record, name, value)
            session.add(record)
    deal_ids = [r.record_id for r in by[("deal", "created")]]
    contact_ids = [r.record_id for r in by[("contact", "created")]]
    org_ids = [r.record_id for r in by[("organization", "created")]]
    for start in range(0, len(deal_ids), BATCH):
        chunk = deal_ids[start : start + BATCH]
        used = set(session.exec(select(Activity.deal_id).where(Activity.deal_id.in_(chunk))).all())
        free = [i for i in chunk if i not in used]
        session.execute(delete(DealContact).where(DealContact.deal_id.in_(free)))
        session.execute(delete(Deal).where(Deal.id.in_(free)))
        kept += len(chunk) - len(free)
    for ids, model, column in (
        (contact_ids, Contact, Activity.contact_id),
        (org_ids, Organization, Activity.organization_id),
    ):
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            used = set(session.exec(select(column).where(column.in_(chunk))).all())
            if model is Contact:
                used |= set(
                    session.exec(
                        select(DealContact.contact_id).where(DealContact.contact_id.in_(chunk))
                    ).all()
                )
            else:
                used |= set(
                    session.exec(
                        select(Contact.organization_id).where(Contact.organization_id.in_(chunk))
                    ).all()
                )
                used |= set(
                    session.exec(
                        select(Deal.organization_id).where(Deal.organization_id.in_(chunk))
                    ).all()
                )
            free = [i for i in chunk if i not in used]
            session.execute(delete(model).where(model.id.in_(free)))
            busy = [i for i in chunk if i in used]
            if busy:
                session.execute(update(model).where(model.id.in_(busy)).values(archived_at=now))
            kept += len(busy)
    session.execute(delete(ImportRecord).where(ImportRecord.import_id == job.id))
    job.status = "undone"
    session.add(job)
    session.commit()
    return {"kept_archived": kept}
