"""Spreadsheet import: upload, guessed column mapping, preview with row messages, duplicate
groups (merge, skip or create), then one all-or-nothing transaction, and undo.

Rows become records in bulk (a few statements per thousand rows), so 50 000 contacts
import in seconds; the whole import commits at once or not at all."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlalchemy import delete, insert, update
from sqlmodel import Session, select

from app.activities.models import Activity
from app.audit.trail import AuditEntry
from app.auth.models import User
from app.core import outbox
from app.core.access import require_records
from app.core.clock import user_today
from app.core.due_dates import parse_due
from app.core.errors import FormErrors, Message, NotFound
from app.core.i18n import N_
from app.core.jobs import Stopped
from app.core.money import MoneyError, check_currency, parse_decimal_input, to_minor
from app.core.schema import utcnow
from app.core.text import clean_tags, fold, phone_digits, strip_controls
from app.customers.models import Contact, Organization
from app.customers.service import (
    SEARCH_TEXT_CHARS,
    contact_search_text,
    organization_search_text,
    sort_key,
)
from app.deals.models import Deal, DealContact, Stage
from app.interop.models import ImportFile, ImportJob, ImportRecord
from app.interop.tabular import Sheet, read_table

ENTITIES = ("contacts", "organizations", "deals")
ACTIONS = ("merge", "skip", "create")
PREVIEW_ROWS = 20
BATCH = 1000
# Files over this are refused before they are read to the end.
MAX_IMPORT_BYTES = 50 * 1024 * 1024

FIELDS = {
    "contacts": {
        "name": N_("Name"),
        "first_name": N_("First name"),
        "last_name": N_("Last name"),
        "email": N_("Email"),
        "phone": N_("Phone"),
        "title": N_("Job title"),
        "organization": N_("Organization"),
        "tags": N_("Tags"),
        "notes": N_("Notes"),
        "language": N_("Language"),
    },
    "organizations": {
        "name": N_("Name"),
        "website": N_("Website"),
        "phone": N_("Phone"),
        "tags": N_("Tags"),
        "notes": N_("Notes"),
    },
    "deals": {
        "title": N_("Title"),
        "organization": N_("Organization"),
        "contact_email": N_("Contact email"),
        "amount": N_("Amount"),
        "currency": N_("Currency"),
        "stage": N_("Stage"),
        "expected_close_on": N_("Expected close date"),
        "next_step": N_("Next step"),
        "next_step_due": N_("Next step due"),
    },
}

# Folded header words, French and English, for each field.
HEADER_WORDS = {
    "name": [
        "name",
        "nom",
        "nom complet",
        "full name",
        "contact",
        "raison sociale",
        "company name",
    ],
    "first_name": ["first name", "firstname", "given name", "prenom"],
    "last_name": ["last name", "lastname", "surname", "family name", "nom de famille"],
    "email": [
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "email address",
    ],
    "phone": ["phone", "telephone", "tel", "mobile", "portable", "phone number", "numero"],
    "title": ["title", "job title", "fonction", "poste", "titre"],
    "organization": [
        "organization",
        "organisation",
        "company",
        "societe",
        "entreprise",
        "compte",
        "account",
        "client",
    ],
    "tags": ["tags", "tag", "etiquettes", "labels", "categories", "segment"],
    "notes": [
        "notes",
        "note",
        "remarques",
        "commentaire",
        "commentaires",
        "comments",
        "description",
    ],
    "language": ["language", "langue", "lang"],
    "website": ["website", "site", "site web", "url", "web"],
    "contact_email": ["contact email", "email du contact", "email", "e-mail", "courriel"],
    "amount": ["amount", "montant", "value", "valeur", "montant ht"],
    "currency": ["currency", "devise", "monnaie"],
    "stage": ["stage", "etape", "statut", "status", "phase"],
    "expected_close_on": [
        "close date",
        "expected close",
        "date de cloture",
        "cloture",
        "closing date",
    ],
    "next_step": ["next step", "prochaine etape", "action"],
    "next_step_due": ["next step due", "due", "echeance", "date de relance", "relance"],
}


def guess_mapping(entity: str, headers: list[str]) -> dict[int, str]:
    """Each column to the field its header names, exact words first; unknown columns stay
    unmapped (and are listed, not silently dropped)."""
    fields = FIELDS[entity]
    if entity == "deals":
        fields = {k: v for k, v in fields.items()}
    mapping: dict[int, str] = {}
    used: set[str] = set()
    folded = [fold(h).replace("_", " ").replace("-", " ").strip(" :*") for h in headers]
    for exact in (True, False):
        for i, header in enumerate(folded):
            if i in mapping:
                continue
            for name in fields:
                if name in used and name != "tags":
                    continue
                words = [fold(w).replace("-", " ") for w in HEADER_WORDS.get(name, [name])]
                if entity == "organizations" and name == "name":
                    words = [*words, *HEADER_WORDS["organization"]]
                if entity == "deals" and name == "title":
                    words = ["title", "titre", "deal", "affaire", "opportunite", "name", "nom"]
                hit = header in words if exact else any(w in header for w in words if len(w) > 3)
                if hit:
                    mapping[i] = name
                    used.add(name)
                    break
    return mapping


# ---- starting: store the file, read it once, guess the mapping -------------


def start_import(session: Session, user: User, settings, upload, entity: str) -> ImportJob:
    """Keeps the uploaded file in the database, so whichever process runs the import, on
    whichever host, reads the same bytes; it is removed once the import is done."""
    require_records(user)
    errors = FormErrors()
    if entity not in ENTITIES:
        errors.add("entity", N_("Pick a value from the list."))
    if upload is None:
        errors.add("file", N_("Choose a file to upload."))
    errors.raise_if_any()
    name = (upload.filename or "import").replace("/", "_").replace("\\", "_")[:200]
    data = upload.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        errors.add(
            "file",
            Message(
                N_("This file is larger than %(mb)s MB: split it in smaller files."),
                mb=MAX_IMPORT_BYTES // (1024 * 1024),
            ),
        )
        raise errors
    sheet = read_table(data, name)
    job = ImportJob(
        user_id=user.id,
        entity=entity,
        filename=name,
        stored_as="database",
        headers=json.dumps(sheet.headers),
        mapping=json.dumps({str(k): v for k, v in guess_mapping(entity, sheet.headers).items()}),
        total_rows=len(sheet.rows),
    )
    session.add(job)
    session.flush()
    session.add(ImportFile(import_id=job.id, content=data))
    session.commit()
    session.refresh(job)
    return job


def _file_of(session: Session, job: ImportJob) -> bytes:
    stored = session.get(ImportFile, job.id)
    if stored is None:
        errors = FormErrors()
        errors.add("file", N_("The uploaded file is no longer kept: upload it again."))
        raise errors
    return stored.content


def get_job(session: Session, user: User, job_id: int) -> ImportJob:
    """An import is its author's business only."""
    require_records(user)
    job = session.get(ImportJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound
    return job


def list_jobs(session: Session, user: User) -> list[ImportJob]:
    require_records(user)
    return list(
        session.exec(
            select(ImportJob)
            .where(ImportJob.user_id == user.id)
            .order_by(ImportJob.id.desc())
            .limit(20)
        )
    )


def set_mapping(session: Session, user: User, job: ImportJob, mapping: dict[int, str]) -> None:
    errors = FormErrors()
    fields = FIELDS[job.entity]
    clean = {int(k): v for k, v in mapping.items() if v in fields}
    required = {"contacts": "name", "organizations": "name", "deals": "title"}[job.entity]
    names = set(clean.values())
    if required not in names and not (
        job.entity == "contacts" and {"first_name", "last_name"} & names
    ):
        errors.add(
            "mapping",
            Message(
                N_("Pick the column that holds the %(field)s."), field=Message(fields[required])
            ),
        )
    errors.raise_if_any()
    job.mapping = json.dumps({str(k): v for k, v in clean.items()})
    job.status = "mapping"
    session.add(job)
    session.commit()


# ---- reading rows into records ---------------------------------------------


@dataclass
class Row:
    number: int  # the line in the file (header is 1)
    values: dict[str, str]
    messages: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.messages


def _rows(job: ImportJob, sheet: Sheet, user: User) -> list[Row]:
    mapping = {int(k): v for k, v in json.loads(job.mapping).items()}
    rows = []
    today = user_today(user)
    language = user.language or "en"
    for n, raw in enumerate(sheet.rows, start=2):
        values: dict[str, str] = {}
        for index, name in mapping.items():
            if index < len(raw) and raw[index]:
                text = strip_controls(raw[index])
                values[name] = (
                    (values[name] + ", " + text) if name == "tags" and name in values else text
                )
        row = Row(n, values)
        _check(job.entity, row, today, language)
        rows.append(row)
    return rows


LIMITS = {
    "name": 200,
    "email": 254,
    "phone": 50,
    "title": 200,
    "organization": 200,
    "tags": 500,
    "notes": 10000,
    "website": 300,
    "next_step": 500,
}


def _check(entity: str, row: Row, today: date, language: str) -> None:
    v = row.values
    if entity == "contacts" and not v.get("name"):
        full = " ".join(p for p in (v.get("first_name", ""), v.get("last_name", "")) if p)
        if full:
            v["name"] = full
    key = "title" if entity == "deals" else "name"
    if not v.get(key):
        row.messages.append(N_("The name is missing."))
    for name, limit in LIMITS.items():
        if len(v.get(name, "")) > limit:
            row.messages.append(
                Message(N_("%(field)s is too long."), field=Message(FIELDS[entity].get(name, name)))
            )
    email = v.get("email") or v.get("contact_email")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        row.messages.append(Message(N_("“%(value)s” is not an email address."), value=email[:80]))
    if v.get("language") and fold(v["language"])[:2] not in ("fr", "en"):
        v["language"] = ""
    if entity == "deals":
        currency = v.get("currency") or "EUR"
        try:
            v["currency"] = check_currency(currency)
            amount = _amount(v.get("amount", ""), language)
            v["amount_minor"] = to_minor(amount, v["currency"]) if amount is not None else None
        except MoneyError as exc:
            row.messages.append(exc.message)
        for name in ("expected_close_on", "next_step_due"):
            if v.get(name):
                try:
                    v[name] = parse_due(v[name], today, language)
                except ValueError:
                    row.messages.append(
                        Message(N_("“%(value)s” is not a date."), value=str(v[name])[:40])
                    )


def _amount(text: str, language: str):
    """A file's numbers follow the file's habits, not the reader's: 12 500,50 or 12,500.50."""
    for lang in dict.fromkeys((language, "fr", "en")):
        try:
            return parse_decimal_input(text, lang)
        except MoneyError:
            continue
    return parse_decimal_input(text, language)


def _phone_key(phone: str) -> str:
    digits = phone_digits(phone)
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else ""


# ---- duplicates -------------------------------------------------------------


@dataclass
class Group:
    key: str
    rows: list[Row]
    existing_id: int | None = None
    existing_name: str = ""
    why: str = ""


def _keys(entity: str, values: dict) -> list[tuple[str, str]]:
    keys = []
    if entity == "contacts":
        if values.get("email"):
            keys.append(("email", values["email"].lower()))
        phone = _phone_key(values.get("phone", ""))
        if phone:
            keys.append(("phone", phone))
        if values.get("name"):
            keys.append(("name", fold(values["name"]) + "|" + fold(values.get("organization", ""))))
    elif entity == "organizations":
        if values.get("name"):
            keys.append(("name", fold(values["name"])))
    elif values.get("title"):
        keys.append(("name", fold(values["title"]) + "|" + fold(values.get("organization", ""))))
    return keys


WHY = {"email": N_("same email"), "phone": N_("same phone"), "name": N_("same name")}


def _existing_keys(session: Session, entity: str) -> dict[tuple[str, str], tuple[int, str]]:
    found: dict[tuple[str, str], tuple[int, str]] = {}
    if entity == "contacts":
        rows = session.exec(
            select(Contact.id, Contact.name, Contact.email, Contact.phone, Organization.name)
            .outerjoin(Organization, Organization.id == Contact.organization_id)
            .where(Contact.archived_at.is_(None))
        )
        for cid, name, email, phone, org in rows:
            for key in _keys(
                "contacts",
                {
                    "name": name,
                    "email": email or "",
                    "phone": phone or "",
                    "organization": org or "",
                },
            ):
                found.setdefault(key, (cid, name))
    elif entity == "organizations":
        for oid, name in session.exec(
            select(Organization.id, Organization.name).where(Organization.archived_at.is_(None))
        ):
            found.setdefault(("name", fold(name)), (oid, name))
    else:
        rows = session.exec(
            select(Deal.id, Deal.title, Organization.name).outerjoin(
                Organization, Organization.id == Deal.organization_id
            )
        )
        for did, title, org in rows:
            found.setdefault(("name", fold(title) + "|" + fold(org or "")), (did, title))
    return found


def group_duplicates(session: Session, entity: str, rows: list[Row]) -> list[Group]:
    """Rows that are the same record as an existing one, or as each other: one group each."""
    existing = _existing_keys(session, entity)
    parent = list(range(len(rows)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    match: dict[int, tuple[int, str, str]] = {}
    for i, row in enumerate(rows):
        if not row.valid:
            continue
        for key in _keys(entity, row.values):
            if key in first_with:
                parent[root(i)] = root(first_with[key])
            else:
                first_with[key] = i
            if key in existing and i not in match:
                match[i] = (*existing[key], key[0])
    members: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row.valid:
            members[root(i)].append(i)
    groups = []
    for indexes in members.values():
        hit = next((match[i] for i in indexes if i in match), None)
        if len(indexes) == 1 and hit is None:
            continue
        group = Group(key=f"g{rows[indexes[0]].number}", rows=[rows[i] for i in indexes])
        if hit:
            group.existing_id, group.existing_name, why = hit
            group.why = WHY[why]
        else:
            group.why = N_("same record several times in the file")
        groups.append(group)
    return groups


@dataclass
class Preview:
    job: ImportJob
    sheet: Sheet
    rows: list[Row]
    groups: list[Group]

    @property
    def invalid(self) -> list[Row]:
        return [r for r in self.rows if not r.valid]

    @property
    def shown(self) -> list[Row]:
        return self.rows[:PREVIEW_ROWS]


def preview(session: Session, user: User, job: ImportJob, settings) -> Preview:
    sheet = read_table(_file_of(session, job), job.filename)
    rows = _rows(job, sheet, user)
    return Preview(job, sheet, rows, group_duplicates(session, job.entity, rows))


# ---- running ---------------------------------------------------------------

RUNNABLE = ("mapping", "ready", "failed", "interrupted", "cancelled")


@dataclass
class Plan:
    """What an import will do, decided from a read of the file and the database."""

    creates: list[dict]
    merges: list[tuple[int, dict]]
    report: dict


def plan_import(
    session: Session,
    user: User,
    job: ImportJob,
    settings,
    decisions: dict[str, str],
    default: str = "merge",
) -> Plan:
    require_records(user)
    found = preview(session, user, job, settings)
    action_of = {}
    for group in found.groups:
        choice = decisions.get(group.key, default)
        action_of[group.key] = choice if choice in ACTIONS else default
    in_group = {row.number: group for group in found.groups for row in group.rows}
    report = {"created": [], "merged": [], "skipped": [], "invalid": []}
    for row in found.invalid:
        report["invalid"].append([row.number, [_text(m) for m in row.messages]])
    creates: list[dict] = []  # merged values of each record to create
    merges: list[tuple[int, dict]] = []
    for group in found.groups:
        action = action_of[group.key]
        if action == "skip":
            report["skipped"].extend(r.number for r in group.rows)
        elif action == "create":
            creates.extend(r.values for r in group.rows)
        elif group.existing_id is not None:
            merges.append((group.existing_id, _combine([r.values for r in group.rows])))
        else:
            creates.append(_combine([r.values for r in group.rows]))
    for row in found.rows:
        if row.valid and row.number not in in_group:
            creates.append(row.values)
    if job.entity == "contacts":
        creates = [v | {"_row": _contact_row(user, v)} for v in creates]
    return Plan(creates, merges, report)


# A running import's progress, per job, for the runner to store with its lease. Only the
# thread doing the import writes it; other processes read the stored figure.
_PROGRESS: dict[int, object] = {}


def _advance(job: ImportJob, rows: int) -> None:
    run = _PROGRESS.get(job.id)
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
    job.created, job.merged = len(created), len(merged)
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


def run_import(
    session: Session,
    user: User,
    job: ImportJob,
    settings,
    decisions: dict[str, str],
    default: str = "merge",
) -> ImportJob:
    """Runs a small import within the request. The row is locked first, so a double
    submit waits and then finds it done."""
    require_records(user)
    locked = lock(session, job)
    if locked.status not in RUNNABLE:
        return locked
    write_import(
        session, user, locked, plan_import(session, user, locked, settings, decisions, default)
    )
    return locked


def _text(message) -> str:
    return json.dumps(
        {
            "id": str(message),
            "params": {k: str(v) for k, v in getattr(message, "params", {}).items()},
        },
        ensure_ascii=False,
    )


def _combine(values: list[dict]) -> dict:
    """One record from several rows: the first non-empty value of each field."""
    out: dict = {}
    for v in values:
        for k, x in v.items():
            if x not in (None, "") and not out.get(k):
                out[k] = x
    return out


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


def _contact_row(user: User, v: dict) -> dict:
    """A contact's columns from a row of the file, all but its organization and times.
    Computed while planning: folding text for 50 000 rows takes seconds, and on SQLite every
    other writer waits while the import writes."""
    contact = SimpleNamespace(
        name=v["name"][:200],
        email=v.get("email", "").lower(),
        phone=v.get("phone", ""),
    )
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "title": v.get("title", ""),
        "tags": clean_tags(v.get("tags", "")),
        "notes": v.get("notes", ""),
        "language": fold(v.get("language", ""))[:2],
        "owner_id": user.id if user.is_seller else None,
        "sort_key": sort_key(contact.name),
        "search_text": contact_search_text(contact, v.get("organization", ""))[:SEARCH_TEXT_CHARS],
    }


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
            row = v.get("_row") or _contact_row(user, v)
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


# ---- undo ------------------------------------------------------------------


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
