"""Quick entry's form assembled once: blank, opened from a record or a Today row (contact,
deal, organization and the follow-up it answers filled in), or shown again with messages."""

from sqlmodel import Session

from app.activities import follow_ups
from app.activities.models import FollowUp
from app.auth.models import User
from app.core.ids import id_from as _id
from app.customers import service as customers
from app.deals import queries as deals


def _answered(session: Session, user: User, contact_id: int | None, follow_up_id=None):
    if contact_id is None:
        return None
    return follow_ups.answerable(session, user, contact_id, _id(follow_up_id))


def entry_form(
    session: Session,
    user: User,
    *,
    contact_id: int | None = None,
    deal_id: int | None = None,
    organization_id: int | None = None,
    follow_up_id: int | None = None,
    next: str = "",
) -> dict:
    form = {"kind": "call", "visibility": "team", "next": next}
    answers: FollowUp | None = None
    if follow_up_id is not None and contact_id is None:
        # A Today row names its follow-up; the contact comes with it.
        contact_id = follow_ups.get_follow_up(session, user, follow_up_id).contact_id
    if contact_id is not None:
        contact = customers.get_contact(session, user, contact_id)
        form.update(contact_id=str(contact.id), contact_query=contact.name)
        answers = _answered(session, user, contact.id, follow_up_id)
    if deal_id is None and answers is not None and answers.activity_id is not None:
        # The follow-up was set on a deal: what is logged now belongs there too.
        deal_id = follow_ups.deal_of(session, answers)
    if deal_id is not None:
        deal = deals.get_deal(session, user, deal_id)
        form.update(deal_id=str(deal.id), deal_title=deal.title)
        people = deals.contact_ids_of(session, [deal.id])[deal.id]
        if contact_id is None and len(people) == 1:
            # A deal with one person: the call was with them.
            contact = customers.get_contact(session, user, people[0])
            form.update(contact_id=str(contact.id), contact_query=contact.name)
            answers = _answered(session, user, contact.id)
    if organization_id is not None and contact_id is None:
        org = customers.get_organization(session, user, organization_id)
        form.update(organization_id=str(org.id), organization_name=org.name)
    return _context(session, user, form, {}, answers=answers)


def entry_form_again(session: Session, user: User, form: dict, errors: dict, choices=()) -> dict:
    """After a refusal: what was typed, the same deal choices and follow-up offer."""
    contact_id = _id(form.get("contact_id"))
    answers = _answered(session, user, contact_id, form.get("closes_follow_up_id"))
    return _context(session, user, form, errors, choices, answers)


def contact_picked(
    session: Session, user: User, contact_id: int | None, deal_id: int | None = None
) -> dict:
    """What quick entry adds once a contact is picked: its open deals (or the deal the entry
    was opened on, kept), the follow-up the activity probably answers."""
    form = {"contact_id": str(contact_id or "")}
    if deal_id is not None:
        deal = deals.get_deal(session, user, deal_id)
        form.update(deal_id=str(deal.id), deal_title=deal.title)
    return _context(session, user, form, {}, answers=_answered(session, user, contact_id))


def _context(session, user, form, errors, choices=(), answers=None) -> dict:
    contact_id = _id(form.get("contact_id"))
    return {
        "form": form,
        "errors": errors,
        "choices": list(choices),
        "deal_choices": (
            deals.open_deal_choices(session, user, contact_id) if contact_id is not None else []
        ),
        "answers": answers,
    }
