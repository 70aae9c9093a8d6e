"""Contact and organization pages, each assembled here once from the services of every
domain it shows: the routes parse, call one of these, and render."""

from sqlmodel import Session

from app.activities import follow_ups
from app.auth.models import User
from app.customers import service
from app.customers.models import Contact, Organization
from app.deals import queries as deals
from app.documents import service as documents
from app.records import feeds as record_pages
from app.satisfaction import service as satisfaction


def contact_page(session: Session, user: User, contact: Contact, secret_key: str) -> dict:
    organization = (
        service.get_organization(session, user, contact.organization_id)
        if contact.organization_id
        else None
    )
    return {
        "contact": contact,
        "organization": organization,
        "next_step": follow_ups.next_follow_up(session, user, contact_id=contact.id),
        "deals": deals.deals_of(session, user, contact_id=contact.id),
        "documents": documents.documents_of(session, user, contact_id=contact.id),
        "feedback": satisfaction.feedback_for(session, user, secret_key, contact_id=contact.id),
        "survey_url": f"/contacts/{contact.id}/surveys",
        "mail_ids": {"contact_id": contact.id},
        **record_pages.timeline(session, user, "contact", contact),
        **record_pages.changes(session, "contact", contact.id),
    }


def organization_page(session: Session, user: User, organization: Organization) -> dict:
    return {
        "organization": organization,
        "people": service.people_of_organization(session, user, organization),
        "next_step": follow_ups.next_follow_up(session, user, organization_id=organization.id),
        "deals": deals.deals_of(session, user, organization_id=organization.id),
        "documents": documents.documents_of(session, user, organization_id=organization.id),
        **record_pages.timeline(session, user, "organization", organization),
        **record_pages.changes(session, "organization", organization.id),
    }
