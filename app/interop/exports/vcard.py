"""vCard (RFC 6350; versions 3 and 4 read, 4 written) through vobject: contacts in and out.

An import is all or nothing: the whole file is read and checked first, then every new
contact (and organization) is written in one transaction."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import vobject
from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_records
from app.core.api import ListQuery
from app.core.errors import FormErrors, Message
from app.core.i18n import N_
from app.core.text import fold
from app.customers import service as customers
from app.customers.models import Contact, ContactCreate, Organization, OrganizationCreate

PAGE = 100  # contacts read and written at a time


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v)
    return str(value or "").strip()


def contact_card(contact: Contact, organization_name: str | None) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("version").value = "4.0"
    card.add("fn").value = contact.name
    family, _, given = contact.name.rpartition(" ")
    card.add("n").value = vobject.vcard.Name(family=family or given, given=given if family else "")
    if contact.email:
        card.add("email").value = contact.email
    if contact.phone:
        card.add("tel").value = contact.phone
    if organization_name:
        card.add("org").value = [organization_name]
    if contact.title:
        card.add("title").value = contact.title
    if contact.notes:
        card.add("note").value = contact.notes
    if contact.tags:
        card.add("categories").value = [t.strip() for t in contact.tags.split(",") if t.strip()]
    if contact.language:
        card.add("lang").value = contact.language
    card.add("uid").value = f"urn:carnet:contact:{contact.id}"
    return card


def export_contacts(session: Session, user: User, contacts: list[Contact]) -> str:
    require_records(user)
    org_ids = {c.organization_id for c in contacts if c.organization_id}
    names: dict[int, str] = {}
    if org_ids:
        rows = session.exec(
            select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
        ).all()
        names = {org_id: name for org_id, name in rows}
    return "".join(contact_card(c, names.get(c.organization_id)).serialize() for c in contacts)


def card_pages(
    sessions, user: User, query: str = "", organization_id: int | None = None
) -> Iterator[str]:
    """Every contact a search shows (live ones), as vCards, a page at a time: each page in a
    session of its own, so a long export holds no connection between two pages and sends its
    first cards at once, however many follow."""
    require_records(user)
    wanted = ListQuery(q=query, limit=PAGE)
    while True:
        with sessions() as session:
            page = customers.list_full(session, user, Contact, wanted, organization_id)
            cards = export_contacts(session, user, list(page.items))
        if cards:
            yield cards
        if not page.next_cursor:
            return
        wanted.cursor = page.next_cursor


@dataclass
class CardContact:
    name: str
    email: str = ""
    phone: str = ""
    title: str = ""
    organization: str = ""
    notes: str = ""
    tags: str = ""
    language: str = ""


@dataclass
class VCardImport:
    created: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    organizations: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_cards(text: str) -> list[CardContact]:
    """Every card in the file, or FormErrors saying where the file is broken."""
    errors = FormErrors()
    cards: list[CardContact] = []
    try:
        components = list(vobject.readComponents(text, ignoreUnreadable=False))
    except Exception as exc:  # vobject raises several kinds for a broken file
        errors.add(
            "file", Message(N_("This is not a valid vCard file: %(why)s"), why=str(exc)[:200])
        )
        raise errors from None
    for number, card in enumerate(components, start=1):
        if card.name != "VCARD":
            continue
        name = _text(card.fn.value) if hasattr(card, "fn") else ""
        if not name and hasattr(card, "n"):
            n = card.n.value
            name = " ".join(p for p in (_text(n.given), _text(n.family)) if p)
        if not name:
            errors.add("file", Message(N_("Card %(n)s has no name."), n=number))
            continue
        email = next((_text(e.value) for e in card.contents.get("email", []) if _text(e.value)), "")
        phone = next((_text(t.value) for t in card.contents.get("tel", []) if _text(t.value)), "")
        org = _text(card.org.value) if hasattr(card, "org") else ""
        categories = [
            _text(c) for cat in card.contents.get("categories", []) for c in (cat.value or [])
        ]
        cards.append(
            CardContact(
                name=name[:200],
                email=email.removeprefix("mailto:")[:254],
                phone=phone.removeprefix("tel:")[:50],
                title=(_text(card.title.value) if hasattr(card, "title") else "")[:200],
                organization=org[:200],
                notes=(_text(card.note.value) if hasattr(card, "note") else "")[:10000],
                tags=", ".join(categories)[:500],
                language=(_text(card.lang.value) if hasattr(card, "lang") else "")[:2].lower(),
            )
        )
    if not cards and not errors:
        errors.add("file", N_("This file holds no vCard."))
    errors.raise_if_any()
    return cards


def import_cards(session: Session, user: User, data: bytes) -> VCardImport:
    """Creates the file's contacts; one already known by its email (here or earlier in the
    file) is skipped and reported, never doubled."""
    require_records(user)
    cards = parse_cards(decode(data))
    report = VCardImport()
    emails = {
        e.lower()
        for e in session.exec(
            select(Contact.email).where(
                Contact.email.in_([c.email.lower() for c in cards if c.email])
            )
        )
    }
    wanted = {fold(c.organization) for c in cards if c.organization}
    orgs = {
        fold(o.name): o
        for o in session.exec(select(Organization).where(Organization.sort_key.in_(wanted)))
    }
    try:
        for card in cards:
            if card.email and card.email.lower() in emails:
                report.skipped.append((card.name, N_("a contact with this email exists")))
                continue
            if card.email and ("@" not in card.email or any(c.isspace() for c in card.email)):
                report.skipped.append((card.name, N_("the email address is not valid")))
                continue
            org = None
            if card.organization:
                org = orgs.get(fold(card.organization))
                if org is None:
                    org = customers.create_organization(
                        session, user, OrganizationCreate(name=card.organization), commit=False
                    )
                    orgs[fold(card.organization)] = org
                    report.organizations.append(org.name)
            customers.create_contact(
                session,
                user,
                ContactCreate(
                    name=card.name,
                    email=card.email,
                    phone=card.phone,
                    title=card.title,
                    organization_id=org.id if org else None,
                    notes=card.notes,
                    tags=card.tags,
                    language=card.language if card.language in ("fr", "en") else "",
                ),
                commit=False,
            )
            if card.email:
                emails.add(card.email.lower())
            report.created.append(card.name)
    except FormErrors:
        session.rollback()
        raise
    session.commit()
    return report
