"""Demo and benchmark data: deterministic teams, customers, activities and follow-ups.

Rows are inserted in bulk (Core executemany), so the benchmark's 200 000
activities load in seconds; the same code fills `carnet demo`.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlmodel import Session, select

from app.activities.models import Activity, FollowUp
from app.audit.trail import AuditEntry
from app.auth.models import User
from app.auth.service import create_user
from app.core.clock import month_of, week_of
from app.core.text import fold
from app.customers.models import Contact, Organization
from app.customers.service import contact_search_text, organization_search_text, sort_key
from app.deals.models import Deal, DealContact, Stage
from app.demo_words import (
    DEAL_TITLES,
    FIRST,
    KINDS,
    LAST,
    LOSS_REASONS,
    NEXT,
    ORG_A,
    ORG_B,
    TAGS,
    TEXTS,
    TITLES,
)
from app.documents.models import Document, DocumentVersion
from app.satisfaction.models import (
    SurveyLink,
    SurveyResponse,
    SurveyTally,
    band_of,
    points_of,
)


@dataclass
class Sizes:
    sellers: int = 3
    organizations: int = 200
    contacts: int = 1000
    activities: int = 3000
    # Activities put on the first contact, so a benchmark can open a busy record.
    busy_contact_activities: int = 0
    deals: int = 150
    responses: int = 120
    # Share of deals that are won (0: every stage as likely as another).
    won_share: float = 0.0
    # Document rows without files: only for the benchmark, which never downloads them.
    placeholder_documents: bool = False


def _local_part(name: str) -> str:
    return "".join(c for c in fold(name) if c.isalnum())


def _batched(rows: list[dict], size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def generate(session: Session, sizes: Sizes, seller_ids: list[int], seed: int = 7) -> None:
    """Bulk-creates organizations, contacts, activities and follow-ups for these sellers."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(ZoneInfo("Europe/Paris")).date()

    org_rows = []
    for i in range(sizes.organizations):
        org = Organization(
            name=f"{rng.choice(ORG_A)} {rng.choice(ORG_B)} {i + 1}",
            phone=f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
            tags=", ".join(sorted(set(rng.sample(TAGS, rng.randint(0, 2))))),
            website=f"https://example-{i + 1}.test",
        )
        org.sort_key = sort_key(org.name)
        org.search_text = organization_search_text(org)
        row = org.model_dump(exclude={"id"})
        row["created_at"] = row["updated_at"] = now
        row["owner_id"] = seller_ids[i % len(seller_ids)] if seller_ids else None
        org_rows.append(row)
    first_org_id = _next_id(session, Organization)
    for i, row in enumerate(org_rows):
        row["id"] = first_org_id + i
    for batch in _batched(org_rows):
        session.execute(insert(Organization), batch)
    org_names = {first_org_id + i: r["name"] for i, r in enumerate(org_rows)}

    contact_rows, contact_orgs = [], []
    for i in range(sizes.contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org_id = first_org_id + rng.randrange(sizes.organizations) if sizes.organizations else None
        contact = Contact(
            name=f"{first} {last}",
            email=f"{_local_part(first)}.{_local_part(last)}{i}@example.test",
            phone="+33 6 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
            title=rng.choice(TITLES),
            organization_id=org_id,
            language=rng.choice(["fr", "fr", "en", ""]),
        )
        contact.sort_key = sort_key(contact.name)
        contact.search_text = contact_search_text(contact, org_names.get(org_id, ""))
        row = contact.model_dump(exclude={"id"})
        row["created_at"] = row["updated_at"] = now
        row["owner_id"] = seller_ids[i % len(seller_ids)] if seller_ids else None
        contact_rows.append(row)
        contact_orgs.append(org_id)
    first_contact_id = _next_id(session, Contact)
    for i, row in enumerate(contact_rows):
        row["id"] = first_contact_id + i
    for batch in _batched(contact_rows):
        session.execute(insert(Contact), batch)

    first_deal_id = _generate_deals(
        session, rng, sizes, seller_ids, first_contact_id, contact_orgs, now, today
    )

    activity_rows, follow_ups = [], []
    total = sizes.activities + sizes.busy_contact_activities
    first_activity_id = _next_id(session, Activity)
    for i in range(total):
        if len(activity_rows) >= 50_000:
            # Insert as we go: a million rows never sit in memory at once.
            session.execute(insert(Activity), activity_rows)
            activity_rows.clear()
        index = 0 if i < sizes.busy_contact_activities else rng.randrange(sizes.contacts)
        author = rng.choice(seller_ids)
        private = rng.random() < 0.1
        occurred = now - timedelta(minutes=rng.randint(5, 180 * 24 * 60))
        activity_rows.append(
            {
                "id": first_activity_id + i,
                "kind": rng.choice(KINDS),
                "occurred_at": occurred,
                "occurred_week": week_of(occurred),
                "contact_id": first_contact_id + index,
                "organization_id": contact_orgs[index],
                "author_id": author,
                # The busy contact's activities are on the first deal, so its page is busy too.
                "deal_id": first_deal_id if i < sizes.busy_contact_activities else None,
                "text": rng.choice(TEXTS),
                "visibility": "private" if private else "team",
                "created_at": now,
            }
        )
        if rng.random() < 0.2:
            due = today + timedelta(days=rng.randint(-10, 14))
            done = now if due < today and rng.random() < 0.5 else None
            follow_ups.append(
                {
                    "what": rng.choice(NEXT),
                    "due_on": due,
                    "owner_id": author,
                    "contact_id": first_contact_id + index,
                    "organization_id": contact_orgs[index],
                    "activity_id": first_activity_id + i,
                    "is_private": private,
                    "done_at": done,
                    "created_at": now,
                }
            )
    # Every seller starts with something due today, so Today is never empty in a demo.
    for n, seller in enumerate(seller_ids):
        follow_ups.append(
            {
                "what": "Call back about the proposal",
                "due_on": today,
                "owner_id": seller,
                "contact_id": first_contact_id + n % max(sizes.contacts, 1),
                "organization_id": contact_orgs[n % max(sizes.contacts, 1)],
                "activity_id": None,
                "is_private": False,
                "done_at": None,
                "created_at": now,
            }
        )
    for batch in _batched(activity_rows):
        session.execute(insert(Activity), batch)
    for batch in _batched(follow_ups):
        session.execute(insert(FollowUp), batch)
    _generate_answers(session, rng, sizes, seller_ids, first_contact_id, now)
    _catch_up_sequences(session, (Organization, Contact, Deal, Activity, SurveyLink, Document))
    session.commit()


def _next_id(session: Session, model) -> int:
    """The ids rows are written with: contiguous from the largest, so rows can refer to each
    other before they exist (on PostgreSQL the sequence may be ahead after rolled-back
    inserts; explicit ids do not depend on it, and it is caught up afterwards)."""
    return (session.exec(select(model.id).order_by(model.id.desc())).first() or 0) + 1


def _catch_up_sequences(session: Session, models) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
            )
        )


def _generate_answers(session, rng, sizes, seller_ids, first_contact_id, now) -> None:
    """Answered survey links over the last year, CSAT mostly, some NPS."""
    if not sizes.responses or not sizes.contacts:
        return
    first_link = _next_id(session, SurveyLink)
    links, answers = [], []
    for i in range(sizes.responses):
        kind = "csat" if rng.random() < 0.7 else "nps"
        answered = now - timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
        contact_id = first_contact_id + rng.randrange(sizes.contacts)
        seller = rng.choice(seller_ids)
        links.append(
            {
                "id": first_link + i,
                "nonce": f"demo{i}",
                "contact_id": contact_id,
                "created_by": seller,
                "kind": kind,
                "language": "fr",
                "created_at": answered - timedelta(days=2),
                "expires_at": answered + timedelta(days=28),
                "used_at": answered,
            }
        )
        score = rng.choice([3, 4, 4, 5, 5, 5, 2]) if kind == "csat" else rng.randint(4, 10)
        answers.append(
            {
                "link_id": first_link + i,
                "contact_id": contact_id,
                "seller_id": seller,
                "kind": kind,
                "score": score,
                "comment": "",
                "answered_at": answered,
                "answered_month": month_of(answered),
            }
        )
    tallies: dict = {}
    for a in answers:
        key = (a["kind"], a["answered_month"], a["seller_id"], band_of(a["kind"], a["score"]))
        n, points = tallies.get(key, (0, 0))
        tallies[key] = (n + 1, points + points_of(a["kind"], a["score"]))
    for batch in _batched(links):
        session.execute(insert(SurveyLink), batch)
    for batch in _batched(answers):
        session.execute(insert(SurveyResponse), batch)
    tally_rows = [
        {"kind": k, "month": m, "seller_id": s, "band": b, "answers": n, "points": p}
        for (k, m, s, b), (n, p) in tallies.items()
    ]
    for batch in _batched(tally_rows):
        session.execute(insert(SurveyTally), batch)


def _a_win(rng, k: int, seller_ids: list[int], now: datetime, today) -> tuple[int, datetime]:
    """The k-th won deal: its month (this one, then back a month each time, round a year)
    and its owner (a different seller each time round for that month)."""
    month, turn = k % 12, k // 12
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 - month
    start = first.replace(year=index // 12, month=index % 12 + 1)
    last_day = today.day if month == 0 else 28
    won_day = start.replace(day=rng.randint(1, last_day))
    owner = seller_ids[(month + turn) % len(seller_ids)]
    return owner, min(datetime.combine(won_day, time(12), tzinfo=UTC), now)


def _generate_deals(session, rng, sizes, seller_ids, first_contact_id, contact_orgs, now, today):
    """Deals over every stage; the first is on the busy contact, with documents and history."""
    if not sizes.deals or not sizes.contacts:
        return None
    stages = list(session.exec(select(Stage).order_by(Stage.position)))
    first_deal_id = _next_id(session, Deal)
    won_stage = next((s for s in stages if s.kind == "won"), None)
    others = [s for s in stages if s is not won_stage] or stages
    rows, links = [], []
    wins = 0
    for i in range(sizes.deals):
        if i == 0:
            stage = stages[0]
        elif sizes.won_share and won_stage is not None:
            stage = won_stage if rng.random() < sizes.won_share else rng.choice(others)
        else:
            stage = rng.choice(stages)
        index = 0 if i == 0 else rng.randrange(sizes.contacts)
        amount = rng.randint(5, 500) * 10_000
        due_roll = rng.random()
        due = (
            None
            if due_roll < 0.15
            else today + timedelta(days=rng.randint(-10 if due_roll < 0.35 else 0, 30))
        )
        owner = seller_ids[0] if i == 0 else rng.choice(seller_ids)
        entered = now - timedelta(days=rng.randint(0, 40))
        if stage.kind == "won":
            # Wins walk back over the last twelve months, each month's going to different
            # sellers in turn, so team outcomes have figures (K sellers) in every month.
            owner, entered = _a_win(rng, wins, seller_ids, now, today)
            wins += 1
        title = f"{rng.choice(DEAL_TITLES)} {i + 1}"
        rows.append(
            {
                "id": first_deal_id + i,
                "title": title,
                "title_key": fold(title),
                "organization_id": contact_orgs[index],
                "owner_id": owner,
                "stage_id": stage.id,
                "status": stage.kind,
                "amount_minor": amount,
                "currency": "EUR" if rng.random() < 0.9 else "USD",
                "expected_close_on": today + timedelta(days=rng.randint(-30, 120)),
                "next_step": rng.choice(NEXT) if due else "",
                "next_step_due": due,
                "won_on": entered.date() if stage.kind == "won" else None,
                "won_amount_minor": amount if stage.kind == "won" else None,
                "lost_on": entered.date() if stage.kind == "lost" else None,
                "lost_reason": rng.choice(LOSS_REASONS) if stage.kind == "lost" else "",
                "stage_entered_at": entered,
                "furthest_position": stage.position if stage.kind != "lost" else rng.randint(0, 4),
                "created_at": entered - timedelta(days=rng.randint(0, 60)),
                "updated_at": entered,
                "version": 1,
            }
        )
        links.append({"deal_id": first_deal_id + i, "contact_id": first_contact_id + index})
    for batch in _batched(rows):
        session.execute(insert(Deal), batch)
    for batch in _batched(links):
        session.execute(insert(DealContact), batch)
    author = seller_ids[0]
    session.execute(
        insert(AuditEntry),
        [
            {
                "record_type": "deal",
                "record_id": first_deal_id,
                "field": "amount",
                "old_value": f"{n * 100}.00 EUR",
                "new_value": f"{(n + 1) * 100}.00 EUR",
                "actor_id": author,
                "at": now - timedelta(hours=n),
            }
            for n in range(40)
        ],
    )
    first_document_id = _next_id(session, Document)
    for d in range(3 if sizes.placeholder_documents else 0):
        session.execute(
            insert(Document),
            [
                {
                    "id": first_document_id + d,
                    "kind": "quote" if d == 0 else "other",
                    "title": f"document-{d}.pdf",
                    "deal_id": first_deal_id,
                    "created_by": author,
                    "created_at": now,
                    "version_count": 3,
                }
            ],
        )
        session.execute(
            insert(DocumentVersion),
            [
                {
                    "document_id": first_document_id + d,
                    "number": v,
                    "filename": f"document-{d}-v{v}.pdf",
                    "content_type": "application/pdf",
                    "size": 1000 * v,
                    "sha256": f"{d}{v}".ljust(64, "0"),
                    "uploaded_by": author,
                    "uploaded_at": now,
                }
                for v in (1, 2, 3)
            ],
        )
        current = session.exec(
            select(DocumentVersion.id).where(
                DocumentVersion.document_id == first_document_id + d, DocumentVersion.number == 3
            )
        ).one()
        doc = session.get(Document, first_document_id + d)
        doc.current_version_id = current
        session.add(doc)
    session.flush()
    return first_deal_id


DEMO_ACCOUNTS = [
    ("lea.seller@demo.example", "Léa Martin", "seller"),
    ("hugo.seller@demo.example", "Hugo Bernard", "seller"),
    ("sarah.seller@demo.example", "Sarah Jones", "seller"),
    ("ines.seller@demo.example", "Inès Garcia", "seller"),
    ("theo.seller@demo.example", "Théo Lambert", "seller"),
    ("emma.seller@demo.example", "Emma Wilson", "seller"),
    ("marc.manager@demo.example", "Marc Dubois", "manager"),
    ("alice.admin@demo.example", "Alice Petit", "admin"),
]


# Enough wins and answers that a six-seller team's outcomes show figures for most months and
# quarters rather than "fewer than 3 contributors".
DEMO_SIZES = Sizes(sellers=6, deals=300, won_share=0.3, responses=600)


def load_demo(session: Session, seed: int = 7) -> list[tuple[str, str, str]]:
    """Creates the demo team and customers; returns (email, password, role) per account."""
    if session.exec(select(Contact.id).limit(1)).first() is not None:
        raise ValueError("This database already holds contacts; demo data goes in an empty one.")
    emails = [a[0] for a in DEMO_ACCOUNTS]
    if session.exec(select(User.id).where(User.email.in_(emails))).first() is not None:
        raise ValueError("Demo accounts already exist.")
    accounts, sellers = [], []
    for email, name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        user = create_user(
            session,
            email=email,
            name=name,
            password=password,
            is_seller=role == "seller",
            is_manager=role == "manager",
            is_admin=role == "admin",
        )
        accounts.append((email, password, role))
        if user.is_seller:
            sellers.append(user.id)
    generate(session, DEMO_SIZES, sellers, seed)
    return accounts
