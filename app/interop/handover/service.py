"""A seller leaves: their organizations, contacts, deals and open follow-ups go to one or
several colleagues, in one transaction, with a line in each record's history.

Customers stay together: an organization goes to one colleague with its people, deals and
follow-ups; the rest is dealt in turn. Private follow-ups stay with their author, unseen
(R2, R6). The departing account is disabled, never deleted."""

from dataclasses import dataclass, field
from itertools import cycle

from sqlalchemy import delete, insert, literal, update
from sqlmodel import Session, select

from app.activities import follow_ups as follow_up_list
from app.audit.trail import AuditEntry
from app.auth.models import User, UserSession
from app.core.access import require_admin
from app.core.errors import FormErrors
from app.core.i18n import N_
from app.core.schema import utcnow
from app.customers.models import Contact, Organization
from app.deals.models import Deal

CHUNK = 500


@dataclass
class Share:
    colleague: User
    organizations: list[int] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    deals: list[int] = field(default_factory=list)
    follow_ups: list[int] = field(default_factory=list)


@dataclass
class HandoverPlan:
    departing: User
    shares: list[Share]

    def total(self, kind: str) -> int:
        return sum(len(getattr(s, kind)) for s in self.shares)


def _check(session: Session, admin: User, departing_id, colleague_ids) -> tuple[User, list[User]]:
    require_admin(admin)
    errors = FormErrors()
    departing = session.get(User, departing_id) if departing_id else None
    if departing is None or not departing.is_seller:
        errors.add("departing", N_("Pick the seller who leaves."))
    elif departing.is_active and departing.leaving_since is None:
        # Nobody's counts are shown, nor their customers moved, behind their back.
        errors.add(
            "departing",
            N_(
                "Mark this account as leaving on the Accounts page first: its owner will "
                "see it on their account page."
            ),
        )
    colleagues = []
    for colleague_id in dict.fromkeys(colleague_ids):
        colleague = session.get(User, colleague_id)
        if colleague is None or not colleague.is_active or not colleague.is_seller:
            continue
        if departing is not None and colleague.id == departing.id:
            continue
        colleagues.append(colleague)
    if not colleagues:
        errors.add("colleagues", N_("Pick at least one active colleague to take over."))
    errors.raise_if_any()
    return departing, colleagues


def plan_handover(session: Session, admin: User, departing_id, colleague_ids) -> HandoverPlan:
    departing, colleagues = _check(session, admin, departing_id, colleague_ids)
    shares = {c.id: Share(c) for c in colleagues}
    turns = cycle(colleagues)
    org_to = {}
    org_ids = session.exec(
        select(Organization.id)
        .where(Organization.owner_id == departing.id)
        .order_by(Organization.id)
    ).all()
    for org_id in org_ids:
        org_to[org_id] = next(turns).id
        shares[org_to[org_id]].organizations.append(org_id)

    def receiver(org_id):
        if org_id in org_to:
            return org_to[org_id]
        return next(turns).id

    contact_to = {}
    for contact_id, org_id in session.exec(
        select(Contact.id, Contact.organization_id)
        .where(Contact.owner_id == departing.id)
        .order_by(Contact.id)
    ):
        contact_to[contact_id] = receiver(org_id)
        shares[contact_to[contact_id]].contacts.append(contact_id)
    for deal_id, org_id in session.exec(
        select(Deal.id, Deal.organization_id).where(Deal.owner_id == departing.id).order_by(Deal.id)
    ):
        shares[receiver(org_id)].deals.append(deal_id)
    for follow_up_id, contact_id, org_id in follow_up_list.to_hand_over(session, departing):
        to = contact_to.get(contact_id) or receiver(org_id)
        shares[to].follow_ups.append(follow_up_id)
    return HandoverPlan(departing, list(shares.values()))


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def hand_over(session: Session, admin: User, departing_id, colleague_ids) -> HandoverPlan:
    """Plans again (so nothing moved since the preview is missed) and applies it at once."""
    plan = plan_handover(session, admin, departing_id, colleague_ids)
    now = utcnow()
    for share in plan.shares:
        for model, record_type, ids in (
            (Organization, "organization", share.organizations),
            (Contact, "contact", share.contacts),
            (Deal, "deal", share.deals),
        ):
            for chunk in _chunks(ids):
                session.execute(
                    insert(AuditEntry).from_select(
                        [
                            "record_type",
                            "record_id",
                            "field",
                            "old_value",
                            "new_value",
                            "actor_id",
                            "at",
                        ],
                        select(
                            literal(record_type),
                            model.id,
                            literal("owner"),
                            literal(plan.departing.name),
                            literal(share.colleague.name),
                            literal(admin.id),
                            literal(now, type_=AuditEntry.__table__.c.at.type),
                        ).where(model.id.in_(chunk)),
                    )
                )
                values = {"owner_id": share.colleague.id}
                if model is Deal:
                    values.update(updated_at=now, version=Deal.version + 1)
                session.execute(update(model).where(model.id.in_(chunk)).values(**values))
        for chunk in _chunks(share.follow_ups):
            follow_up_list.reassign(session, chunk, share.colleague.id)
    session.execute(update(User).where(User.id == plan.departing.id).values(is_active=False))
    session.execute(delete(UserSession).where(UserSession.user_id == plan.departing.id))
    session.commit()
    return plan


def sellers(session: Session, user: User) -> list[User]:
    """Who can leave or take over: the active sellers, by name."""
    require_admin(user)
    return list(
        session.exec(
            select(User).where(User.is_seller, User.is_active).order_by(User.name).limit(1000)
        )
    )
