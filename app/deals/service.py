"""Writing deals: create, edit, move with the target stage's guardrails, people, next step.
Pages and API share these, so they obey the same guardrails and the same optimistic lock."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.audit.trail import record_changes
from app.auth.models import User
from app.core import outbox
from app.core.access import require_records
from app.core.clock import user_today
from app.core.errors import Conflict, FormErrors, Message, refusal_rolls_back
from app.core.i18n import N_
from app.core.money import MoneyError, check_currency, from_minor, to_minor
from app.core.schema import utcnow
from app.core.text import fold
from app.customers.models import Contact, Organization
from app.deals.models import (
    FACT_LABELS,
    TITLE_KEY_CHARS,
    Deal,
    DealContact,
    DealCreate,
    DealMove,
    DealUpdate,
    Stage,
)
from app.deals.stages import first_open_stage, get_stage, stage_text
from app.documents import service as documents
from app.satisfaction import service as satisfaction


class MissingFacts(FormErrors):
    """A move refused by its target stage's guardrails; `missing` names the facts."""

    def __init__(self, stage: Stage, missing: list[str]) -> None:
        super().__init__()
        self.stage = stage
        self.missing = missing


def _amount(amount: Decimal | None, currency: str, errors: FormErrors) -> int | None:
    if amount is None:
        return None
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        errors.add("amount", exc.message)
        return None


def _currency(code: str, errors: FormErrors) -> str:
    try:
        return check_currency(code)
    except MoneyError as exc:
        errors.add("currency", exc.message)
        return ""


def _check_organization(session: Session, organization_id: int | None, errors: FormErrors) -> bool:
    if organization_id is not None and session.get(Organization, organization_id) is None:
        errors.add("organization_id", N_("This organization does not exist."))
        return False
    return True


def _check_contact(session: Session, contact_id: int | None, errors: FormErrors):
    if contact_id is not None and session.get(Contact, contact_id) is None:
        errors.add("contact_id", N_("This contact does not exist."))


def _name_of(session: Session, model, record_id: int | None) -> str | None:
    record = session.get(model, record_id) if record_id is not None else None
    return record.name if record else None


def _snapshot(session: Session, deal: Deal) -> dict:
    """The deal as its history tells it: names, not ids, so the trail reads on its own."""
    return {
        "title": deal.title,
        "organization": _name_of(session, Organization, deal.organization_id),
        "owner": _name_of(session, User, deal.owner_id),
        "amount": (
            f"{from_minor(deal.amount_minor, deal.currency)} {deal.currency}"
            if deal.amount_minor is not None
            else None
        ),
        "expected_close_on": deal.expected_close_on,
        "next_step": deal.next_step,
        "next_step_due": deal.next_step_due,
        "lost_reason": deal.lost_reason,
    }


def _audit(session, user, deal: Deal, before: dict) -> None:
    after = _snapshot(session, deal)
    changes = {
        k: (before.get(k), v) for k, v in after.items() if (before.get(k) or "") != (v or "")
    }
    if changes:
        record_changes(session, user, "deal", deal.id, changes)


# What a refused writer is told about: the fields a page or the API can send.
_COMPARED = (
    "title",
    "stage_id",
    "organization_id",
    "currency",
    "expected_close_on",
    "next_step",
    "next_step_due",
    "lost_reason",
)


def _claim(
    session: Session, deal: Deal, expected_version: int | None, sent: dict | None = None
) -> None:
    """Optimistic lock: bump the version only if it is still the one the user read. The
    row stays locked until commit, so of two simultaneous moves exactly one passes."""
    expected = expected_version if expected_version is not None else deal.version
    result = session.execute(
        update(Deal)
        .where(Deal.id == deal.id, Deal.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Nothing was written (the request's transaction is rolled back when it ends).
        current = session.get(Deal, deal.id, populate_existing=True)
        changed = {
            name: "" if getattr(current, name) is None else str(getattr(current, name))
            for name in _COMPARED
            if name in (sent or {}) and getattr(current, name) != sent[name]
        }
        raise Conflict(changed, current.version)
    deal.version = expected + 1


def create_deal(session: Session, user: User, data: DealCreate, default_currency: str) -> Deal:
    require_records(user)
    errors = FormErrors()
    currency = _currency(data.currency or default_currency, errors)
    amount = _amount(data.amount, currency, errors) if currency else None
    _check_organization(session, data.organization_id, errors)
    _check_contact(session, data.contact_id, errors)
    stage = get_stage(session, data.stage_id) if data.stage_id else first_open_stage(session)
    if stage is None:
        errors.add("stage_id", N_("This stage does not exist."))
    if bool(data.next_step) != (data.next_step_due is not None):
        field_name = "next_step_due" if data.next_step else "next_step"
        errors.add(field_name, N_("A next step needs both what and when."))
    errors.raise_if_any()
    organization_id = data.organization_id
    if organization_id is None and data.contact_id is not None:
        organization_id = session.get(Contact, data.contact_id).organization_id
    deal = _insert_deal(
        session,
        user,
        stage,
        data.title,
        organization_id,
        data.contact_id,
        amount_minor=amount,
        currency=currency,
        expected_close_on=data.expected_close_on,
        next_step=data.next_step,
        next_step_due=data.next_step_due,
    )
    missing = missing_facts(session, deal, stage)
    if missing:
        session.rollback()
        raise _missing(stage, missing)
    _enter_stage(deal, stage, user_today(user), deal.created_at)
    session.commit()
    session.refresh(deal)
    return deal


def _apply(session: Session, user: User, deal: Deal, data: DealUpdate, errors: FormErrors):
    """Applies the fields that were sent; checks them into `errors`."""
    changes = data.model_dump(exclude_unset=True, exclude={"version", "stage_id", "contact_id"})
    currency = deal.currency
    if changes.get("currency"):
        currency = _currency(changes["currency"], errors) or deal.currency
    if "amount" in changes:
        deal.amount_minor = _amount(changes["amount"], currency, errors)
    elif currency != deal.currency and deal.amount_minor is not None:
        # Keep the amount, not its minor units: 12.50 EUR becomes 12.50 in the new currency.
        deal.amount_minor = _amount(from_minor(deal.amount_minor, deal.currency), currency, errors)
    deal.currency = currency
    if changes.get("title"):
        deal.title = changes["title"]
        deal.title_key = fold(deal.title)[:TITLE_KEY_CHARS]
    # Only a known organization goes on the deal: an unknown one would reach the database
    # (and its foreign key) at the next query's autoflush, before the refusal.
    if "organization_id" in changes and _check_organization(
        session, changes["organization_id"], errors
    ):
        deal.organization_id = changes["organization_id"]
    if changes.get("owner_id") is not None:
        owner = session.get(User, changes["owner_id"])
        if owner is None or not owner.is_active or not owner.is_seller:
            errors.add("owner_id", N_("Pick an active seller."))
        else:
            deal.owner_id = owner.id
    for name in ("expected_close_on", "next_step_due"):
        if name in changes:
            setattr(deal, name, changes[name])
    for name in ("next_step", "lost_reason"):
        if changes.get(name) is not None:
            setattr(deal, name, changes[name])
    if bool(deal.next_step) != (deal.next_step_due is not None) and (
        "next_step" in changes or "next_step_due" in changes
    ):
        field_name = "next_step_due" if deal.next_step else "next_step"
        errors.add(field_name, N_("A next step needs both what and when."))


@refusal_rolls_back
def update_deal(session: Session, user: User, deal: Deal, data: DealUpdate) -> Deal:
    require_records(user)
    before = _snapshot(session, deal)
    _claim(session, deal, data.version, data.model_dump(exclude_unset=True))
    errors = FormErrors()
    _apply(session, user, deal, data, errors)
    if errors:
        session.rollback()
        raise errors
    deal.updated_at = utcnow()
    session.add(deal)
    _audit(session, user, deal, before)
    session.commit()
    session.refresh(deal)
    return deal


def missing_facts(session: Session, deal: Deal, stage: Stage) -> list[str]:
    present = {
        "amount": deal.amount_minor is not None,
        "close_date": deal.expected_close_on is not None,
        "contact": lambda: (
            session.exec(
                select(DealContact.contact_id).where(DealContact.deal_id == deal.id).limit(1)
            ).first()
            is not None
        ),
        "quote": lambda: documents.has_current_quote(session, deal.id),
        "next_step": bool(deal.next_step) and deal.next_step_due is not None,
        "loss_reason": bool(deal.lost_reason.strip()),
    }
    missing = []
    for fact in stage.facts:
        value = present[fact]
        if not (value() if callable(value) else value):
            missing.append(fact)
    return missing


@dataclass
class MoveForm:
    """What the in-place form asks for before a deal may enter `stage`."""

    stage: Stage
    missing: list[str]
    people: list[Contact]


def missing_for_move(session: Session, user: User, deal: Deal, stage: Stage) -> MoveForm:
    require_records(user)
    missing = missing_facts(session, deal, stage)
    people: list[Contact] = []
    if "contact" in missing and deal.organization_id:
        people = list(
            session.exec(
                select(Contact)
                .where(
                    Contact.organization_id == deal.organization_id, Contact.archived_at.is_(None)
                )
                .order_by(Contact.sort_key)
                .limit(100)
            )
        )
    return MoveForm(stage, missing, people)


def _missing(stage: Stage, missing: list[str]) -> MissingFacts:
    error = MissingFacts(stage, missing)
    for fact in missing:
        error.add(
            fact,
            Message(N_("Needed before this stage: %(fact)s."), fact=Message(FACT_LABELS[fact])),
        )
    return error


def _enter_stage(deal: Deal, stage: Stage, today: date, now: datetime) -> None:
    deal.stage_id = stage.id
    deal.status = stage.kind
    if stage.kind != "lost":
        deal.furthest_position = max(deal.furthest_position, stage.position)
    deal.stage_entered_at = now
    deal.updated_at = now
    if stage.kind == "won":
        deal.won_on = deal.won_on or today
        deal.won_amount_minor = deal.amount_minor
        deal.lost_on = None
    elif stage.kind == "lost":
        deal.lost_on = deal.lost_on or today
        deal.won_on = deal.won_amount_minor = None
    else:
        deal.won_on = deal.won_amount_minor = deal.lost_on = None


@refusal_rolls_back
def move_deal(
    session: Session,
    user: User,
    deal: Deal,
    data: DealMove,
    *,
    store: documents.DocumentStore | None = None,
    quote: documents.Upload | None = None,
    contact_query: str = "",
) -> Deal:
    """Moves a deal, with the facts its new stage needs given in the same request (a quote
    file among them). Either everything is saved, or nothing and MissingFacts says what
    is still missing, or FormErrors says what is wrong with what was given."""
    require_records(user)
    stage = get_stage(session, data.stage_id)
    if stage is None:
        errors = FormErrors()
        errors.add("stage_id", N_("This stage does not exist."))
        raise errors
    old_stage = get_stage(session, deal.stage_id)
    before = _snapshot(session, deal)
    _claim(session, deal, data.version, data.model_dump(exclude_unset=True))
    errors = FormErrors()
    _apply(session, user, deal, data, errors)
    contact_id = data.contact_id
    if contact_id is not None:
        _check_contact(session, contact_id, errors)
    elif contact_query.strip():
        contact_id = _contact_from_query(session, user, contact_query, errors)
    if quote is not None and quote.filename:
        documents.check_upload(quote, "quote", errors)
    if errors:
        session.rollback()
        raise errors
    if contact_id is not None:
        _link_contact(session, deal, contact_id)
    if quote is not None and quote.filename:
        try:
            documents.attach(session, user, store, quote, "quote", deal=deal, commit=False)
        except FormErrors:
            session.rollback()
            raise
    session.flush()
    missing = missing_facts(session, deal, stage)
    if missing:
        session.rollback()
        raise _missing(stage, missing)
    now = utcnow()
    if stage.id != deal.stage_id:
        won = stage.kind == "won" and deal.status != "won"
        if won:
            satisfaction.link_for_won_deal(session, deal)
        _enter_stage(deal, stage, user_today(user), now)
        event = {
            "deal_id": deal.id,
            "title": deal.title,
            "old_stage": stage_text(old_stage) if old_stage else None,
            "new_stage": stage_text(stage),
            "amount_minor": deal.amount_minor,
            "currency": deal.currency,
        }
        outbox.emit(session, "deal.stage_changed", event)
        if won:
            outbox.emit(session, "deal.won", event | {"won_on": deal.won_on})
        record_changes(
            session,
            user,
            "deal",
            deal.id,
            {
                "stage": (
                    stage_text(old_stage) if old_stage else "",
                    stage_text(stage),
                )
            },
        )
    deal.updated_at = now
    session.add(deal)
    _audit(session, user, deal, before)
    session.commit()
    session.refresh(deal)
    return deal


def _link_contact(session: Session, deal: Deal, contact_id: int) -> bool:
    if session.get(DealContact, (deal.id, contact_id)) is not None:
        return False
    session.add(DealContact(deal_id=deal.id, contact_id=contact_id))
    return True


def _contact_from_query(session: Session, user: User, query: str, errors: FormErrors):
    from app.customers.service import find_contacts

    matches = find_contacts(session, user, query, limit=2)
    if len(matches) == 1:
        return matches[0].id
    errors.add(
        "contact_id",
        N_("Several contacts match: type more of the name.")
        if matches
        else N_("No contact matches these letters."),
    )
    return None


def add_contact_by_query(
    session: Session, user: User, deal: Deal, contact_id: int | None, query: str = ""
) -> None:
    """Adds a contact picked by id, or typed: a name that matches exactly one contact."""
    require_records(user)
    errors = FormErrors()
    if contact_id is None and query.strip():
        contact_id = _contact_from_query(session, user, query, errors)
    elif contact_id is None:
        errors.add("contact_id", N_("Pick a contact."))
    else:
        _check_contact(session, contact_id, errors)
    errors.raise_if_any()
    contact = session.get(Contact, contact_id)
    if _link_contact(session, deal, contact_id):
        record_changes(session, user, "deal", deal.id, {"contact": ("", contact.name)})
        deal.updated_at = utcnow()
        session.add(deal)
    session.commit()


def remove_contact(session: Session, user: User, deal: Deal, contact_id: int) -> None:
    require_records(user)
    contact = session.get(Contact, contact_id)
    result = session.execute(
        delete(DealContact).where(
            DealContact.deal_id == deal.id, DealContact.contact_id == contact_id
        )
    )
    if result.rowcount and contact is not None:
        record_changes(session, user, "deal", deal.id, {"contact": (contact.name, "")})
    session.commit()


def set_next_step(session: Session, user: User, deal: Deal, what: str, due: date) -> None:
    """From quick entry: the activity's next step becomes the deal's, in its transaction.
    The row is locked and read again first, and its version goes up from what is stored: a
    page opened before this is refused on save instead of undoing the new next step."""
    deal = session.exec(
        select(Deal)
        .where(Deal.id == deal.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    before = _snapshot(session, deal)
    deal.next_step, deal.next_step_due = what, due
    deal.updated_at = utcnow()
    deal.version += 1
    session.add(deal)
    _audit(session, user, deal, before)


def quick_deal(session: Session, user: User, title: str, contact: Contact | None, org_id):
    """A deal opened from quick entry, in the caller's transaction, in the first open stage."""
    stage = first_open_stage(session)
    return _insert_deal(session, user, stage, title, org_id, contact.id if contact else None)


def _insert_deal(session, user, stage, title, organization_id, contact_id, **fields) -> Deal:
    """A new deal of the user's, with its contact and the first line of its history."""
    now = utcnow()
    deal = Deal(
        title=title,
        title_key=fold(title)[:TITLE_KEY_CHARS],
        organization_id=organization_id,
        owner_id=user.id,
        stage_id=stage.id,
        status=stage.kind,
        furthest_position=stage.position,
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(deal)
    session.flush()
    if contact_id is not None:
        session.add(DealContact(deal_id=deal.id, contact_id=contact_id))
        session.flush()
    record_changes(session, user, "deal", deal.id, {"created": ("", title)})
    return deal
