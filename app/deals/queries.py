"""Reading deals: one deal as its user may see it, the keyset list, the board and Today's
sections. Deals are shared inside the team (R1), hidden from pure managers (R5)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, literal, literal_column, or_, union_all
from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_records
from app.core.clock import user_today
from app.core.errors import NotFound
from app.core.money import amount_input
from app.core.pagination import (
    Page,
    clamp_limit,
    cursor_id,
    cursor_int,
    cursor_time,
    decode_cursor,
    encode_cursor,
)
from app.core.schema import utcnow
from app.core.text import fold, like_pattern
from app.customers.models import Contact, Organization
from app.deals.models import (
    TITLE_KEY_CHARS,
    Deal,
    DealContact,
    Stage,
    StageTally,
)
from app.deals.stages import list_stages, quote_stage_ids


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
    rows = session.exec(
        select(StageTally.stage_id, func.sum(StageTally.deals)).group_by(StageTally.stage_id)
    )
    return {stage_id: int(count) for stage_id, count in rows if count}


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
    owner_id: int | None = None

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
    Deal.owner_id,
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
    "title": (Deal.title_key, False, None),  # never empty: kept by every write
}


SCOPES = ("mine", "team")


STATUSES = ("open", "won", "lost", "all")


def _cursor_value(sort: str, raw):
    if raw is None:
        return None
    try:
        if sort == "recent":
            return cursor_time(raw)
        if sort == "close":
            return date.fromisoformat(str(raw))
        if sort == "amount":
            return cursor_int(raw)
        return str(raw)
    except (TypeError, ValueError):
        return None


def _literal(value: int | date):
    """A sort's stand-in for empty values, as SQL text: its own constants only, never input."""
    return literal_column(f"'{value.isoformat()}'" if isinstance(value, date) else str(int(value)))


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
    # The stand-in as a literal, spelled as the indexes of migration 0024 spell it (an
    # engine uses an expression index only for the very same expression, never a parameter).
    key = func.coalesce(column, _literal(blank)) if blank is not None else column
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
        last_id = cursor_id(after[1]) or 0
        if value is not None:
            if descending:
                stmt = stmt.where(or_(key < value, and_(key == value, Deal.id < last_id)))
            else:
                stmt = stmt.where(or_(key > value, and_(key == value, Deal.id > last_id)))
    order = (key.desc(), Deal.id.desc()) if descending else (key, Deal.id)
    limit = clamp_limit(limit, 25)
    rows = [
        unattributed(DealRow(*r), user)
        for r in session.exec(stmt.order_by(*order).limit(limit + 1))
    ]
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


def others_result(deal, user: User) -> bool:
    """A won or lost deal of someone else: in a list, whose result it was is not said (R3).
    Its page still names its owner, so colleagues can carry on (R1)."""
    return deal.status != "open" and deal.owner_id != user.id


def unattributed(row: DealRow, user: User) -> DealRow:
    if others_result(row, user):
        row.owner_name, row.owner_id = "", None
    return row


def list_deals_full(session: Session, user: User, **filters) -> Page[Deal]:
    """Whole records, for the API, in the list's order (the API hides the owner of others'
    results with `others_result`)."""
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
    Bounded: at most 8 stages x 20 cards; totals come from the stage tally the database
    keeps (migration 0021), a row per stage, seller and currency however many deals."""
    require_records(user)
    stages = list_stages(session)
    mine = scope != "team"
    totals = select(
        StageTally.stage_id,
        StageTally.currency,
        func.sum(StageTally.deals),
        func.sum(StageTally.amount_minor),
    )
    if mine:
        totals = totals.where(StageTally.seller_id == user.id)
    columns = {s.id: Column(stage=s, cards=[]) for s in stages}
    for stage_id, currency, count, total in session.exec(
        totals.group_by(StageTally.stage_id, StageTally.currency)
    ):
        count = int(count or 0)  # PostgreSQL sums are Decimal
        column = columns.get(stage_id)
        if column:
            column.count += count
            if total:
                column.totals.append((currency, int(total)))
    # Each column's latest cards, read from its index, in one statement for all columns.
    firsts = []
    for column in columns.values():
        if not column.count:
            continue
        first = select(Deal.id).where(Deal.stage_id == column.stage.id)
        if mine:
            first = first.where(Deal.owner_id == user.id)
        first = first.order_by(Deal.updated_at.desc()).limit(CARDS_PER_COLUMN).subquery()
        firsts.append(select(first.c.id))
    if firsts:
        picked = union_all(*firsts).subquery("picked")
        rows = session.exec(_rows_select().join(picked, picked.c.id == Deal.id))
        for row in sorted((DealRow(*r) for r in rows), key=lambda r: r.updated_at, reverse=True):
            columns[row.stage_id].cards.append(row)
    return [columns[s.id] for s in stages]


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

    def first(section: str, *where, order=Deal.updated_at):
        place = func.row_number().over(order_by=(order, Deal.id)).label("place")
        stmt = select(Deal.id, place).where(mine_open, *where).order_by(order, Deal.id)
        sub = stmt.limit(limit).subquery()
        return select(sub.c.id, sub.c.place, literal(section).label("section"))

    firsts = [
        first("no_next_step", Deal.next_step_due.is_(None)),
        first("overdue", Deal.next_step_due < today, order=Deal.next_step_due),
    ]
    quote_stages = quote_stage_ids(session)
    if quote_stages:
        since = utcnow() - timedelta(days=quote_wait_days)
        firsts.append(
            first(
                "quotes_waiting",
                Deal.stage_id.in_(quote_stages),
                Deal.stage_entered_at < since,
                order=Deal.stage_entered_at,
            )
        )
    # The three lists in one statement: each section's first deals from its own index, then
    # their rows (a deal may be in two sections).
    picked = union_all(*firsts).subquery("picked")
    found = session.exec(
        _rows_select()
        .add_columns(picked.c.section, picked.c.place)
        .join(picked, picked.c.id == Deal.id)
    )
    sections: dict[str, list[tuple[int, int, DealRow]]] = {
        "no_next_step": [],
        "overdue": [],
        "quotes_waiting": [],
    }
    for *row, section, place in found:
        sections[section].append((place, row[0], DealRow(*row)))
    for rows in sections.values():
        rows.sort(key=lambda p: p[:2])
    return DealsToday(**{name: [r for *_, r in rows] for name, rows in sections.items()})
