"""Spreadsheet import, step 2: rows read and checked, duplicates grouped (in the file and
against the database), and the plan of what the import will create and merge."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_records
from app.core.clock import user_today
from app.core.due_dates import parse_due
from app.core.errors import FormErrors, Message
from app.core.i18n import N_, reading_language
from app.core.money import AMBIGUOUS, MoneyError, check_currency, parse_decimal_input, to_minor
from app.core.text import (
    clean_tags,
    fold,
    looks_like_email,
    looks_like_phone,
    phone_digits,
    strip_controls,
)
from app.customers.models import Contact, Organization
from app.customers.service import (
    SEARCH_TEXT_CHARS,
    contact_search_text,
    sort_key,
)
from app.deals.models import Deal
from app.interop.imports.mapping import ACTIONS, FIELDS, PREVIEW_ROWS
from app.interop.imports.models import ImportFile, ImportJob
from app.interop.imports.tabular import Sheet, read_table


def _file_of(session: Session, job: ImportJob) -> bytes:
    stored = session.get(ImportFile, job.id)
    if stored is None:
        errors = FormErrors()
        errors.add("file", N_("The uploaded file is no longer kept: upload it again."))
        raise errors
    return stored.content


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
    # As the import was started: the preview in the request and the run in the background
    # read "1,250" and "03/04" the same way.
    language = job.language or reading_language(user)
    for n, raw in zip(sheet.lines or range(2, len(sheet.rows) + 2), sheet.rows, strict=True):
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
    if entity == "contacts":
        _full_name(v)
    key = "title" if entity == "deals" else "name"
    if not v.get(key):
        row.messages.append(N_("The name is missing."))
    for name, limit in LIMITS.items():
        if len(v.get(name, "")) > limit:
            row.messages.append(
                Message(N_("%(field)s is too long."), field=Message(FIELDS[entity].get(name, name)))
            )
    email = v.get("email") or v.get("contact_email")
    if email and not looks_like_email(email):
        row.messages.append(Message(N_("“%(value)s” is not an email address."), value=email[:80]))
    if v.get("phone") and not looks_like_phone(v["phone"]):
        row.messages.append(
            Message(N_("“%(value)s” is not a phone number."), value=v["phone"][:80])
        )
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


def _full_name(v: dict) -> None:
    """A contact has one name: "Prénom Nom", from the two columns most files have."""
    first, last, name = v.get("first_name", ""), v.get("last_name", ""), v.get("name", "")
    if not name:
        v["name"] = " ".join(p for p in (first, last) if p)
    elif first and not last and fold(first) not in fold(name):
        # A "Name" column beside a "First name" one holds the last name.
        v["name"] = f"{first} {name}"


def _amount(text: str, language: str):
    """Read as the person importing reads it. A file from elsewhere may still write
    1200,50 for an English reader (or 1200.50 for a French one): what that reader's language
    refuses is tried in the other, but what it finds ambiguous (1.200 in French) is said,
    never settled by another language behind the reader's back."""
    try:
        return parse_decimal_input(text, language)
    except MoneyError as exc:
        if exc.message == AMBIGUOUS:
            raise
        refused = exc
    for other in ("fr", "en"):
        if other != language:
            try:
                return parse_decimal_input(text, other)
            except MoneyError:
                continue
    raise refused


def _phone_key(phone: str) -> str:
    digits = phone_digits(phone)
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else ""


@dataclass
class Group:
    key: str
    rows: list[Row]
    existing_id: int | None = None
    existing_name: str = ""
    why: str = ""
    # What the preview proposes: merge, unless only a phone number links two different names
    # (a shared switchboard, a reused number): then two people, created apart.
    suggested: str = "merge"


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
OTHER_NAME = N_("same phone, another name: created apart unless you choose to merge")


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
            names = {fold(rows[i].values.get("name", "")) for i in indexes}
            if why == "phone" and names != {fold(group.existing_name)}:
                group.why, group.suggested = OTHER_NAME, "create"
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


RUNNABLE = ("mapping", "ready", "failed", "interrupted", "cancelled")


@dataclass
class Plan:
    """What an import will do, decided from a read of the file and the database."""

    creates: list[dict]
    merges: list[tuple[int, dict]]
    report: dict
    # Rows of the file merged into a record, known or new: with those created, skipped and
    # left out, every row is counted once.
    merged_rows: int = 0


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
        choice = decisions.get(group.key, group.suggested if default == "merge" else default)
        action_of[group.key] = choice if choice in ACTIONS else group.suggested
    in_group = {row.number: group for group in found.groups for row in group.rows}
    report = {"created": [], "merged": [], "skipped": [], "invalid": [], "merges": []}
    for row in found.invalid:
        report["invalid"].append([row.number, [stored_message(m) for m in row.messages]])
    creates: list[dict] = []  # merged values of each record to create
    merges: list[tuple[int, dict]] = []
    merged_rows = 0
    key = "title" if job.entity == "deals" else "name"
    for group in found.groups:
        action = action_of[group.key]
        lines = [r.number for r in group.rows]
        if action == "skip":
            report["skipped"].extend(lines)
        elif action == "create":
            creates.extend(r.values for r in group.rows)
        else:
            combined = _combine([r.values for r in group.rows])
            if group.existing_id is not None:
                merges.append((group.existing_id, combined))
            else:
                creates.append(combined)
            merged_rows += len(lines)
            name = group.existing_name or combined[key]
            report["merges"].append([name, lines, group.existing_id is not None])
    for row in found.rows:
        if row.valid and row.number not in in_group:
            creates.append(row.values)
    if job.entity == "contacts":
        creates = [v | {"_row": contact_row(user, v)} for v in creates]
    return Plan(creates, merges, report, merged_rows)


def _message_data(message) -> dict:
    params = getattr(message, "params", {})
    return {
        "id": str(message),
        "params": {
            k: _message_data(v) if hasattr(v, "params") else str(v) for k, v in params.items()
        },
    }


def stored_message(message) -> str:
    """A row's message kept in the report untranslated, so it reads in whichever language
    the report is later shown in."""
    return json.dumps(_message_data(message), ensure_ascii=False)


def _loaded(data) -> Message | str:
    if not isinstance(data, dict):
        return str(data)
    return Message(data["id"], **{k: _loaded(v) for k, v in data.get("params", {}).items()})


def loaded_message(text: str) -> Message | str:
    return _loaded(json.loads(text))


def _combine(values: list[dict]) -> dict:
    """One record from several rows: the first non-empty value of each field."""
    out: dict = {}
    for v in values:
        for k, x in v.items():
            if x not in (None, "") and not out.get(k):
                out[k] = x
    return out


def contact_row(user: User, v: dict) -> dict:
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
