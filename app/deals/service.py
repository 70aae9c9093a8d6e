"""Deals: shared inside the team (R1), hidden from pure managers (R5). Stage moves check
the target stage's required facts here, so pages and API obey the same guardrails."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, delete, func, insert, literal, or_, update
from sqlmodel import Session, select

from app.audit.trail import AuditEntry, record_changes
from app.auth.models import User
from app.core import outbox
from app.core.access import require_admin, require_records
from app.core.clock import user_today
from app.core.errors import Conflict, FormErrors, Message, NotFound
from app.core.i18n import N_
from app.core.money import MoneyError, amount_input, check_currency, from_minor, to_minor
from app.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from app.core.schema import utcnow
from app.core.text import fold, like_pattern
from app.customers.models import Contact, Organization
from app.deals.models import (
    DEFAULT_NAMES,
    FACT_LABELS,
    FACTS,
    MAX_STAGES,
    STAGE_KINDS,
    Deal,
    DealContact,
    DealCreate,
    DealMove,
    DealUpdate,
    Stage,
)
from app.documents import service as documents
from app.satisfaction import service as satisfaction

TITLE_KEY_CHARS = 100


class MissingFacts(FormErrors):
    """A move refused by its target stage's guardrails; `missing` names the facts."""

    def __init__(self, stage: Stage, missing: list[str]) -> None:
        super().__init__()
        self.stage = stage
        self.missing = missing


# ---- stages ----------------------------------------------------------------


def list_stages(session: Session) -> list[Stage]:
    return list(session.exec(select(Stage).order_by(Stage.position, Stage.id).limit(MAX_STAGES)))


def stage_text(stage: Stage) -> str:
    """A stage as history keeps it: the admin's name, or the default name's message id,
    which the page translates for its reader."""
    return stage.name or DEFAULT_NAMES.get(stage.key, stage.key)


def get_stage(session: Session, stage_id: int | None) -> Stage | None:
    return session.get(Stage, stage_id) if stage_id is not None else None


def _first_open_stage(session: Session) -> Stage:
    stage = session.exec(
        select(Stage).where(Stage.kind == "open").order_by(Stage.position, Stage.id).limit(1)
    ).first()
    if stage is None:
        errors = FormErrors()
        errors.add("stage_id", N_("The pipeline has no open stage: ask an admin to add one."))
        raise errors
    return stage


def quote_stage_ids(session: Session) -> list[int]:
    """Open stages that require a quote: a deal there is waiting for the customer's answer."""
    return [s.id for s in list_stages(session) if s.kind == "open" and "quote" in s.facts]


def _check_probability(value: str | int | None, errors: FormErrors) -> int | None:
    text = str(value if value is not None else "").strip().rstrip("%").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 100:
        errors.add("probability", N_("Enter a whole number from 0 to 100."))
        return None
    return int(text)


def _check_stage_fields(name: str, kind: str, facts: list[str], errors: FormErrors) -> None:
    if len(name) > 60:
        errors.add("name", N_("This is too long."))
    if kind not in STAGE_KINDS:
        errors.add("kind", N_("Pick a value from the list."))
    if any(f not in FACTS for f in facts):
        errors.add("required_facts", N_("Pick a value from the list."))


def create_stage(
    session: Session, user: User, name: str, kind: str, facts: list[str], probability=None
) -> Stage:
    require_admin(user)
    errors = FormErrors()
    name = name.strip()
    if not name:
        errors.add("name", N_("This field is required."))
    _check_stage_fields(name, kind, facts, errors)
    chance = _check_probability(probability, errors)
    stages = list_stages(session)
    if len(stages) >= MAX_STAGES:
        errors.add("name", Message(N_("A pipeline has at most %(n)s stages."), n=MAX_STAGES))
    errors.raise_if_any()
    position = max((s.position for s in stages), default=-1) + 1
    stage = Stage(
        name=name,
        kind=kind,
        position=position,
        required_facts=",".join(facts),
        probability=chance if chance is not None else {"won": 100}.get(kind, 0),
    )
    session.add(stage)
    session.commit()
    return stage


def update_stage(
    session: Session,
    user: User,
    stage: Stage,
    name: str,
    kind: str,
    facts: list[str],
    probability=None,
) -> Stage:
    """Renaming keeps every deal where it is. A kind change re-labels the deals in it."""
    require_admin(user)
    errors = FormErrors()
    name = name.strip()
    if not name and not stage.key:
        errors.add("name", N_("This field is required."))
    _check_stage_fields(name, kind, facts, errors)
    chance = _check_probability(probability, errors)
    errors.raise_if_any()
    stage.name = name
    if chance is not None:
        stage.probability = chance
    stage.required_facts = ",".join(f for f in FACTS if f in facts)
    if kind != stage.kind:
        stage.kind = kind
        session.execute(
            update(Deal)
            .where(Deal.stage_id == stage.id)
            .values(status=kind, version=Deal.version + 1)
        )
    session.add(stage)
    session.commit()
    return stage


def move_stage_position(session: Session, user: User, stage: Stage, step: int) -> None:
    require_admin(user)
    stages = list_stages(session)
    index = next(i for i, s in enumerate(stages) if s.id == stage.id)
    other = index + step
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
    for position, s in enumerate(stages):
        s.position = position
        session.add(s)
    session.commit()


def count_deals_in(session: Session, stage: Stage) -> int:
    return session.exec(select(func.count()).where(Deal.stage_id == stage.id)).one()


def remove_stage(session: Session, user: User, stage: Stage, move_to_id: int | None) -> None:
    """A stage holding deals goes only once they have somewhere to go; each moved deal's
    history says so. Guardrails are not applied: the admin is reshaping the pipeline."""
    require_admin(user)
    errors = FormErrors()
    stages = list_stages(session)
    if len(stages) <= 1:
        errors.add("stage", N_("A pipeline needs at least one stage."))
    held = count_deals_in(session, stage)
    target = get_stage(session, move_to_id) if move_to_id else None
    if held and (target is None or target.id == stage.id):
        errors.add(
            "move_to",
            Message(N_("This stage holds %(n)s deals: choose where to move them."), n=held),
        )
    errors.raise_if_any()
    if held:
        now = utcnow()
        # One statement each, whatever the number of deals: history first, then the move.
        session.execute(
            insert(AuditEntry).from_select(
                ["record_type", "record_id", "field", "old_value", "new_value", "actor_id", "at"],
                select(
                    literal("deal"),
                    Deal.id,
                    literal("stage"),
                    literal(stage_text(stage)),
                    literal(stage_text(target)),
                    literal(user.id),
                    literal(now, type_=AuditEntry.__table__.c.at.type),
                ).where(Deal.stage_id == stage.id),
            )
        )
        session.execute(
            update(Deal)
            .where(Deal.stage_id == stage.id)
            .values(
                stage_id=target.id,
                status=target.kind,
                furthest_position=case(
                    (Deal.furthest_position < target.position, target.position),
                    else_=Deal.furthest_position,
                ),
                stage_entered_at=now,
                updated_at=now,
                version=Deal.version + 1,
            )
        )
    session.delete(stage)
    session.commit()


# ---- reading deals ---------------------------------------------------------


def get_deal(session: Session, user: User, deal_id: int) -> Deal:
    require_records(user)
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound
    return deal


def owner_name(session: Session, deal: Deal) -> str:
    owner = session.get(User, deal.owner_id)
    return owner.name if owner else ""


def deal_counts_by_stage(session: Session) -> dict[int, int]:
    """For the admin's stage page: how many deals each stage holds (a team total)."""
    rows = session.exec(select(Deal.stage_id, func.count()).group_by(Deal.stage_id))
    return {stage_id: count for stage_id, count in rows}


def form_values(deal: Deal) -> dict[str, str]:
    return {
        "title": deal.title,
        "organization_id": str(deal.organization_id or ""),
        "amount": amount_input(deal.amount_minor, deal.currency),
        "currency": deal.currency,
        "expected_close_on": deal.expected_close_on.isoformat() if deal.expected_close_on else "",
        "next_step": deal.next_step,
        "next_step_due": deal.next_step_due.isoformat() if deal.next_step_due else "",
        "lost_reason": deal.lost_reason,
        "version": str(deal.version),
    }


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


def contacts_of(session: Session, user: User, deal: Deal) -> list[Contact]:
    require_records(user)
    return list(
        session.exec(
            select(Contact)
            .join(DealContact, DealContact.contact_id == Contact.id)
            .where(DealContact.deal_id == deal.id)
            .order_by(Contact.sort_key)
            .limit(100)
        )
    )


def contact_ids_of(session: Session, deal_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in deal_ids}
    if deal_ids:
        rows = session.exec(
            select(DealContact.deal_id, DealContact.contact_id).where(
                DealContact.deal_id.in_(deal_ids)
            )
        )
        for deal_id, contact_id in rows:
            found[deal_id].append(contact_id)
    return found


@dataclass
class DealRow:
    id: int
    title: str
    organization_id: int | None
    organization_name: str | None
    owner_name: str
    stage_id: int
    status: str
    amount_minor: int | None
    currency: str
    expected_close_on: date | None
    next_step: str
    next_step_due: date | None
    version: int
    updated_at: datetime

    def flag(self, today: date) -> str:
        """'none' without a next step, 'overdue' when it is late, '' otherwise (open deals)."""
        if self.status != "open":
            return ""
        if self.next_step_due is None:
            return "none"
        return "overdue" if self.next_step_due < today else ""


_ROW_COLUMNS = (
    Deal.id,
    Deal.title,
    Deal.organization_id,
    Organization.name,
    User.name,
    Deal.stage_id,
    Deal.status,
    Deal.amount_minor,
    Deal.currency,
    Deal.expected_close_on,
    Deal.next_step,
    Deal.next_step_due,
    Deal.version,
    Deal.updated_at,
)


def _rows_select():
    return (
        select(*_ROW_COLUMNS)
        .join(User, User.id == Deal.owner_id)
        .outerjoin(Organization, Organization.id == Deal.organization_id)
    )


# Sort orders of the list: (column, descending, stand-in for empty values).
SORTS = {
    "recent": (Deal.updated_at, True, None),
    "close": (Deal.expected_close_on, False, date(9999, 12, 31)),
    "amount": (Deal.amount_minor, True, -1),
    "title": (Deal.title_key, False, ""),
}
SCOPES = ("mine", "team")
STATUSES = ("open", "won", "lost", "all")


def _cursor_value(sort: str, raw):
    if raw is None:
        return None
    try:
        if sort == "recent":
            return datetime.fromisoformat(str(raw))
        if sort == "close":
            return date.fromisoformat(str(raw))
        if sort == "amount":
            return int(raw)
        return str(raw)
    except (TypeError, ValueError):
        return None


def list_deals(
    session: Session,
    user: User,
    *,
    scope: str = "mine",
    stage_id: int | None = None,
    status: str = "open",
    query: str = "",
    sort: str = "recent",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[DealRow]:
    """My deals or the team's (R1), never one colleague's: no owner filter exists (R3)."""
    require_records(user)
    sort = sort if sort in SORTS else "recent"
    column, descending, blank = SORTS[sort]
    key = func.coalesce(column, blank) if blank is not None else column
    stmt = _rows_select()
    if scope != "team":
        stmt = stmt.where(Deal.owner_id == user.id)
    if stage_id is not None:
        stmt = stmt.where(Deal.stage_id == stage_id)
    if status in ("open", "won", "lost"):
        stmt = stmt.where(Deal.status == status)
    if query.strip():
        stmt = stmt.where(Deal.title_key.like(like_pattern(query), escape="\\"))
    after = decode_cursor(cursor, 2)
    if after:
        value = _cursor_value(sort, after[0])
        last_id = int(after[1]) if str(after[1]).isdigit() else 0
        if value is not None:
            if descending:
                stmt = stmt.where(or_(key < value, and_(key == value, Deal.id < last_id)))
            else:
                stmt = stmt.where(or_(key > value, and_(key == value, Deal.id > last_id)))
    order = (key.desc(), Deal.id.desc()) if descending else (key, Deal.id)
    limit = clamp_limit(limit, 25)
    rows = [DealRow(*r) for r in session.exec(stmt.order_by(*order).limit(limit + 1))]
    page = Page(items=rows[:limit])
    if len(rows) > limit:
        last = rows[limit - 1]
        value = {
            "recent": last.updated_at,
            "close": last.expected_close_on or blank,
            "amount": last.amount_minor if last.amount_minor is not None else blank,
            "title": None,
        }[sort]
        if sort == "title":
            value = fold(last.title)[:TITLE_KEY_CHARS]
        page.next_cursor = encode_cursor(
            value.isoformat() if hasattr(value, "isoformat") else value, last.id
        )
    return page


def list_deals_full(session: Session, user: User, **filters) -> Page[Deal]:
    """Whole records, for the API, in the list's order."""
    page = list_deals(session, user, **filters)
    ids = [row.id for row in page.items]
    deals = {d.id: d for d in session.exec(select(Deal).where(Deal.id.in_(ids)))} if ids else {}
    return Page(items=[deals[i] for i in ids], next_cursor=page.next_cursor)


def deals_of(
    session: Session, user: User, *, organization_id=None, contact_id=None, limit: int = 50
) -> list[DealRow]:
    """The deals on a customer's page, open ones first."""
    require_records(user)
    stmt = _rows_select()
    if organization_id is not None:
        stmt = stmt.where(Deal.organization_id == organization_id)
    else:
        stmt = stmt.join(DealContact, DealContact.deal_id == Deal.id).where(
            DealContact.contact_id == contact_id
        )
    stmt = stmt.order_by(Deal.status != "open", Deal.updated_at.desc()).limit(limit)
    return [DealRow(*r) for r in session.exec(stmt)]


def open_deal_choices(session: Session, user: User, contact_id: int) -> list[DealRow]:
    """For quick entry: the open deals of a contact or of its organization."""
    require_records(user)
    contact = session.get(Contact, contact_id)
    if contact is None:
        return []
    on_contact = select(DealContact.deal_id).where(DealContact.contact_id == contact_id)
    where = Deal.id.in_(on_contact)
    if contact.organization_id:
        where = or_(where, Deal.organization_id == contact.organization_id)
    stmt = _rows_select().where(where, Deal.status == "open")
    return [DealRow(*r) for r in session.exec(stmt.order_by(Deal.updated_at.desc()).limit(20))]


# ---- the board -------------------------------------------------------------

# Enough to work a column from the board; the list shows the rest.
CARDS_PER_COLUMN = 20


@dataclass
class Column:
    stage: Stage
    cards: list[DealRow]
    count: int = 0
    totals: list[tuple[str, int]] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def board(session: Session, user: User, scope: str = "mine") -> list[Column]:
    """A column per stage with its first cards, its deal count and its totals per currency.
    Bounded: at most 8 stages x 20 cards; totals come from a covering index."""
    require_records(user)
    stages = list_stages(session)
    mine = scope != "team"
    totals = select(Deal.stage_id, Deal.currency, func.count(), func.sum(Deal.amount_minor))
    if mine:
        totals = totals.where(Deal.owner_id == user.id)
    columns = {s.id: Column(stage=s, cards=[]) for s in stages}
    for stage_id, currency, count, total in session.exec(
        totals.group_by(Deal.stage_id, Deal.currency)
    ):
        column = columns.get(stage_id)
        if column:
            column.count += count
            if total:
                column.totals.append((currency, int(total)))
    for column in columns.values():
        if not column.count:
            continue
        stmt = _rows_select().where(Deal.stage_id == column.stage.id)
        if mine:
            stmt = stmt.where(Deal.owner_id == user.id)
        stmt = stmt.order_by(Deal.updated_at.desc()).limit(CARDS_PER_COLUMN)
        column.cards = [DealRow(*r) for r in session.exec(stmt)]
    return [columns[s.id] for s in stages]


# ---- writing deals ---------------------------------------------------------


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


def _check_organization(session: Session, organization_id: int | None, errors: FormErrors):
    if organization_id is not None and session.get(Organization, organization_id) is None:
        errors.add("organization_id", N_("This organization does not exist."))


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
    stage = get_stage(session, data.stage_id) if data.stage_id else _first_open_stage(session)
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
    if "organization_id" in changes:
        _check_organization(session, changes["organization_id"], errors)
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
    stage = _first_open_stage(session)
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


# ---- Today -----------------------------------------------------------------


@dataclass
class DealsToday:
    no_next_step: list[DealRow]
    overdue: list[DealRow]
    quotes_waiting: list[DealRow]

    @property
    def is_empty(self) -> bool:
        return not (self.no_next_step or self.overdue or self.quotes_waiting)


def deals_today(
    session: Session, user: User, quote_wait_days: int, limit: int = 20, day: date | None = None
) -> DealsToday:
    """My open deals that need me: no next step, a late one, a quote left unanswered."""
    require_records(user)
    today = day or user_today(user)
    mine_open = and_(Deal.owner_id == user.id, Deal.status == "open")

    def rows(*where, order=Deal.updated_at):
        stmt = _rows_select().where(mine_open, *where).order_by(order, Deal.id).limit(limit)
        return [DealRow(*r) for r in session.exec(stmt)]

    waiting: list[DealRow] = []
    quote_stages = quote_stage_ids(session)
    if quote_stages:
        since = utcnow() - timedelta(days=quote_wait_days)
        waiting = rows(
            Deal.stage_id.in_(quote_stages),
            Deal.stage_entered_at < since,
            order=Deal.stage_entered_at,
        )
    return DealsToday(
        no_next_step=rows(Deal.next_step_due.is_(None)),
        overdue=rows(Deal.next_step_due < today, order=Deal.next_step_due),
        quotes_waiting=waiting,
    )
