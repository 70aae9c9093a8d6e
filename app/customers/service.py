"""Organizations and contacts: shared inside the team (R1), hidden from pure managers (R5)."""

from dataclasses import dataclass

from sqlalchemy import and_, literal_column, or_, update
from sqlmodel import Session, select

from app.audit.trail import changes_between, record_changes
from app.auth.models import User
from app.core import outbox
from app.core.access import require_records
from app.core.api import ListQuery
from app.core.errors import FormErrors, NotFound, refusal_rolls_back
from app.core.forms import parse_form
from app.core.i18n import N_
from app.core.pagination import Page, clamp_limit, cursor_id, decode_cursor, encode_cursor
from app.core.phones import stored_words
from app.core.schema import utcnow
from app.core.text import fold, looks_like_email, looks_like_phone
from app.customers.models import (
    Contact,
    ContactCreate,
    ContactUpdate,
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
)
from app.customers.search import matching, page_ids

# Both keys live in one index; PostgreSQL caps an index entry near 2 700 bytes, and a
# character may take 4, so they are kept short. Searching past 400 characters is moot.
SORT_KEY_CHARS = 100
SEARCH_TEXT_CHARS = 400


ORGANIZATION_AUDITED = ("name", "website", "phone", "tags", "notes")
CONTACT_AUDITED = (
    "name",
    "email",
    "phone",
    "title",
    "organization_id",
    "tags",
    "notes",
    "language",
)


def _values(record, names, session: Session | None = None) -> dict:
    values = {name: getattr(record, name) for name in names}
    if "organization_id" in values:
        # The trail names the organization: an id means nothing to a reader.
        org_id = values.pop("organization_id")
        org = session.get(Organization, org_id) if org_id is not None else None
        values["organization"] = org.name if org else None
    return values


def _record_update(session, user, record_type, record, names, before) -> None:
    """The audit trail of an edit: one entry per field that really changed."""
    changes = changes_between(before, _values(record, names, session))
    if changes:
        record_changes(session, user, record_type, record.id, changes)


def sort_key(name: str) -> str:
    return fold(name)[:SORT_KEY_CHARS]


def _check_email(email: str, errors: FormErrors) -> None:
    # The same checks as a spreadsheet import's: a form must not take what an import refuses.
    if email and not looks_like_email(email):
        errors.add("email", N_("Enter a valid email address."))


def _check_phone(phone: str | None, errors: FormErrors) -> None:
    if phone and not looks_like_phone(phone):
        errors.add("phone", N_("Enter a phone number: digits, spaces and + - . ( ) only."))


def contact_search_text(contact: Contact, org_name: str) -> str:
    parts = [contact.name, contact.email, contact.phone, *stored_words(contact.phone), org_name]
    return fold(" ".join(p for p in parts if p))[:SEARCH_TEXT_CHARS]


def organization_search_text(org: Organization) -> str:
    parts = [org.name, org.website, org.phone, *stored_words(org.phone), org.tags]
    return fold(" ".join(p for p in parts if p))[:SEARCH_TEXT_CHARS]


def _searched(
    session,
    stmt,
    model,
    query: str,
    archived: bool,
    cursor: str | None,
    limit: int | None = None,
    indexed: bool = True,
):
    """Live or archived records matching the folded query, after the cursor, in name order.
    A search of live contacts takes its page's ids from app/customers/search.py (`indexed`
    off when the statement narrows the contacts further, as to one organization's)."""
    after = decode_cursor(cursor, 2)
    if after:
        after = (str(after[0]), cursor_id(after[1]) or 0)
    live = model.archived_at.is_(None)
    ids = None
    if model is Contact and indexed and not archived and query.strip():
        ids = page_ids(session, query, after, clamp_limit(limit, 25) + 1)
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
        if session.get_bind().dialect.name == "sqlite":
            # The unary + keeps SQLite off the name indexes: the page's rows by id, sorted.
            live = literal_column("+contact.archived_at").is_(None)
    stmt = stmt.where(model.archived_at.is_not(None) if archived else live)
    if query.strip():
        stmt = stmt.where(matching(model.search_text, query))
    if after:
        key, last_id = after
        stmt = stmt.where(
            or_(model.sort_key > key, and_(model.sort_key == key, model.id > last_id))
        )
    return stmt.order_by(model.sort_key, model.id)


def _page(session: Session, stmt, limit: int | None, item, key) -> Page:
    """Runs a keyset query for one page; `key(row)` gives the (sort_key, id) of a row."""
    limit = clamp_limit(limit, 25)
    rows = list(session.exec(stmt.limit(limit + 1)))
    page = Page(items=[item(row) for row in rows[:limit]])
    if len(rows) > limit:
        page.next_cursor = encode_cursor(*key(rows[limit - 1]))
    return page


def _whole(row):
    return row


def _record_key(record):
    return record.sort_key, record.id


# ---- organizations ---------------------------------------------------------


@dataclass
class OrganizationRow:
    id: int
    name: str
    phone: str
    tags: str
    archived: bool


def list_organizations(
    session: Session,
    user: User,
    query: str = "",
    cursor: str | None = None,
    limit: int | None = None,
    archived: bool = False,
) -> Page[OrganizationRow]:
    require_records(user)
    stmt = select(
        Organization.id,
        Organization.name,
        Organization.phone,
        Organization.tags,
        Organization.archived_at,
        Organization.sort_key,
    )
    return _page(
        session,
        _searched(session, stmt, Organization, query, archived, cursor),
        limit,
        lambda r: OrganizationRow(r[0], r[1], r[2], r[3], r[4] is not None),
        lambda r: (r[5], r[0]),
    )


def get_organization(session: Session, user: User, organization_id: int) -> Organization:
    require_records(user)
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound
    return org


def create_organization(
    session: Session, user: User, data: OrganizationCreate, *, commit: bool = True
) -> Organization:
    """With commit=False the caller (an import) commits many records as one."""
    require_records(user)
    errors = FormErrors()
    _check_phone(data.phone, errors)
    errors.raise_if_any()
    org = Organization.model_validate(data)
    org.owner_id = user.id if user.is_seller else None
    org.sort_key = sort_key(org.name)
    org.search_text = organization_search_text(org)
    session.add(org)
    session.flush()
    record_changes(session, user, "organization", org.id, {"created": ("", org.name)})
    if commit:
        session.commit()
        session.refresh(org)
    return org


@refusal_rolls_back
def create_organization_with_contact(
    session: Session,
    user: User,
    data: OrganizationCreate,
    person: dict[str, str],
) -> Organization:
    """A new organization and, when a name is given, its first person, in one transaction:
    the usual start with a new customer is one form, not two. The person's messages come
    back under `contact_<field>`."""
    if any(v.strip() for v in person.values()) and not person.get("name", "").strip():
        # An email typed without the person's name would otherwise be dropped without a word.
        refused = FormErrors()
        refused.add("contact_name", N_("Give the person's name, or clear their details."))
        raise refused
    org = create_organization(session, user, data, commit=False)
    if person.get("name", "").strip():
        try:
            fields = parse_form(ContactCreate, person | {"organization_id": org.id})
            create_contact(session, user, fields, commit=False)
        except FormErrors as refused:
            errors = FormErrors()
            for field, messages in refused.fields.items():
                for message in messages:
                    errors.add(f"contact_{field}", message)
            raise errors from None
    session.commit()
    session.refresh(org)
    return org


def organization_named(session: Session, user: User, name: str) -> Organization | None:
    """The live organization with this name, whatever its case and accents."""
    require_records(user)
    return session.exec(
        select(Organization)
        .where(Organization.archived_at.is_(None), Organization.sort_key == sort_key(name))
        .order_by(Organization.id)
        .limit(1)
    ).first()


@refusal_rolls_back
def update_organization(
    session: Session, user: User, org: Organization, data: OrganizationUpdate
) -> Organization:
    require_records(user)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    errors = FormErrors()
    _check_phone(changes.get("phone"), errors)
    errors.raise_if_any()
    renamed = "name" in changes and changes["name"] != org.name
    before = _values(org, ORGANIZATION_AUDITED)
    org.sqlmodel_update({k: v for k, v in changes.items() if v is not None})
    org.sort_key = sort_key(org.name)
    org.search_text = organization_search_text(org)
    org.updated_at = utcnow()
    session.add(org)
    if renamed:
        _refresh_contacts_search(session, org)
    _record_update(session, user, "organization", org, ORGANIZATION_AUDITED, before)
    session.commit()
    session.refresh(org)
    return org


def _refresh_contacts_search(session: Session, org: Organization) -> None:
    """Contacts are found by their organization's name, so a rename re-indexes them."""
    contacts = session.exec(select(Contact).where(Contact.organization_id == org.id))
    for contact in contacts:
        session.exec(
            update(Contact)
            .where(Contact.id == contact.id)
            .values(search_text=contact_search_text(contact, org.name))
        )


def set_organization_archived(
    session: Session, user: User, org: Organization, archived: bool
) -> Organization:
    require_records(user)
    if (org.archived_at is not None) != archived:
        record_changes(
            session, user, "organization", org.id, {"archived": (not archived, archived)}
        )
    org.archived_at = utcnow() if archived else None
    session.add(org)
    session.commit()
    return org


def organization_choices(session: Session, user: User, limit: int = 500) -> list[tuple[int, str]]:
    """Organizations for a select box; bounded, the form also accepts a typed search."""
    require_records(user)
    rows = session.exec(
        select(Organization.id, Organization.name)
        .where(Organization.archived_at.is_(None))
        .order_by(Organization.sort_key, Organization.id)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]


def people_of_organization(
    session: Session, user: User, org: Organization, limit: int = 100
) -> list[Contact]:
    require_records(user)
    return list(
        session.exec(
            select(Contact)
            .where(Contact.organization_id == org.id, Contact.archived_at.is_(None))
            .order_by(Contact.sort_key, Contact.id)
            .limit(limit)
        )
    )


# ---- contacts --------------------------------------------------------------


@dataclass
class ContactRow:
    id: int
    name: str
    email: str
    phone: str
    title: str
    organization_id: int | None
    organization_name: str | None
    archived: bool


def list_contacts(
    session: Session,
    user: User,
    query: str = "",
    cursor: str | None = None,
    limit: int | None = None,
    archived: bool = False,
    organization_id: int | None = None,
) -> Page[ContactRow]:
    require_records(user)
    stmt = select(
        Contact.id,
        Contact.name,
        Contact.email,
        Contact.phone,
        Contact.title,
        Contact.organization_id,
        Organization.name,
        Contact.archived_at,
        Contact.sort_key,
    ).outerjoin(Organization, Organization.id == Contact.organization_id)
    if organization_id is not None:
        stmt = stmt.where(Contact.organization_id == organization_id)
    return _page(
        session,
        _searched(session, stmt, Contact, query, archived, cursor, limit, organization_id is None),
        limit,
        lambda r: ContactRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] is not None),
        lambda r: (r[8], r[0]),
    )


def list_full(
    session: Session,
    user: User,
    model: type[Contact] | type[Organization],
    query: ListQuery,
    organization_id: int | None = None,
) -> Page:
    """Whole records of one kind, for the API and the vCard export."""
    require_records(user)
    stmt = select(model)
    if organization_id is not None:
        stmt = stmt.where(model.organization_id == organization_id)
    stmt = _searched(
        session,
        stmt,
        model,
        query.q,
        query.archived,
        query.cursor or None,
        query.limit,
        organization_id is None,
    )
    return _page(session, stmt, query.limit, _whole, _record_key)


def get_contact(session: Session, user: User, contact_id: int) -> Contact:
    require_records(user)
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound
    return contact


def _organization_name(session: Session, organization_id: int | None, errors: FormErrors) -> str:
    if organization_id is None:
        return ""
    org = session.get(Organization, organization_id)
    if org is None:
        errors.add("organization_id", N_("This organization does not exist."))
        return ""
    return org.name


def create_contact(
    session: Session, user: User, data: ContactCreate, *, commit: bool = True
) -> Contact:
    require_records(user)
    errors = FormErrors()
    _check_email(data.email, errors)
    _check_phone(data.phone, errors)
    org_name = _organization_name(session, data.organization_id, errors)
    errors.raise_if_any()
    contact = Contact.model_validate(data)
    contact.owner_id = user.id if user.is_seller else None
    contact.email = contact.email.lower()
    contact.sort_key = sort_key(contact.name)
    contact.search_text = contact_search_text(contact, org_name)
    session.add(contact)
    session.flush()
    record_changes(session, user, "contact", contact.id, {"created": ("", contact.name)})
    outbox.emit(
        session,
        "contact.created",
        {
            "contact_id": contact.id,
            "name": contact.name,
            "email": contact.email,
            "organization_id": contact.organization_id,
        },
    )
    if commit:
        session.commit()
        session.refresh(contact)
    return contact


@refusal_rolls_back
def update_contact(session: Session, user: User, contact: Contact, data: ContactUpdate) -> Contact:
    require_records(user)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    errors = FormErrors()
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
        _check_email(changes["email"], errors)
    _check_phone(changes.get("phone"), errors)
    org_id = changes.get("organization_id", contact.organization_id)
    org_name = _organization_name(session, org_id, errors)
    errors.raise_if_any()
    nullable = {"organization_id"}
    before = _values(contact, CONTACT_AUDITED, session)
    contact.sqlmodel_update({k: v for k, v in changes.items() if v is not None or k in nullable})
    contact.sort_key = sort_key(contact.name)
    contact.search_text = contact_search_text(contact, org_name)
    contact.updated_at = utcnow()
    session.add(contact)
    _record_update(session, user, "contact", contact, CONTACT_AUDITED, before)
    session.commit()
    session.refresh(contact)
    return contact


def set_contact_archived(session: Session, user: User, contact: Contact, archived: bool) -> Contact:
    require_records(user)
    if contact.erased:
        return contact  # forgotten at their request: nothing to bring back
    if (contact.archived_at is not None) != archived:
        record_changes(session, user, "contact", contact.id, {"archived": (not archived, archived)})
    contact.archived_at = utcnow() if archived else None
    session.add(contact)
    session.commit()
    return contact


def find_contacts(session: Session, user: User, query: str, limit: int = 8) -> list[ContactRow]:
    """Quick-entry lookup: the first few live contacts matching a few letters."""
    if len(fold(query)) < 1:
        return []
    return list_contacts(session, user, query=query, limit=limit).items
