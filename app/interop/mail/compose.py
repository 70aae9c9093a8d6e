"""What a seller writes a mail from: the record (a contact, an organization or a deal), the
people on it who have an address, its documents with their versions, and the team
templates, filled in for the chosen person."""

from dataclasses import dataclass, field

from sqlmodel import Session

from app.auth.models import User
from app.core.access import require_records
from app.core.errors import FormErrors
from app.core.i18n import N_, Localizer
from app.customers import service as customers
from app.customers.models import Contact, Organization
from app.deals import queries as deal_queries
from app.deals.models import Deal
from app.documents import service as documents
from app.interop.mail import mail_templates
from app.interop.mail.models import MailTemplate


@dataclass
class Record:
    """The record a mail is written from, loaded through the visibility rules (R1, R2)."""

    contact: Contact | None = None
    organization: Organization | None = None
    deal: Deal | None = None
    people: list[Contact] = field(default_factory=list)

    @property
    def url(self) -> str:
        if self.deal is not None:
            return f"/deals/{self.deal.id}"
        if self.contact is not None:
            return f"/contacts/{self.contact.id}"
        return f"/organizations/{self.organization.id}"

    @property
    def title(self) -> str:
        if self.deal is not None:
            return self.deal.title
        return self.contact.name if self.contact is not None else self.organization.name

    @property
    def hidden(self) -> dict[str, int]:
        """The record's id by its kind ({"deal_id": 5}): carried by the form from the page to
        the send, and what its documents hang on."""
        if self.deal is not None:
            return {"deal_id": self.deal.id}
        if self.contact is not None:
            return {"contact_id": self.contact.id}
        return {"organization_id": self.organization.id}

    def person(self, contact_id: str | int | None) -> Contact | None:
        """The person chosen among the record's people, else its first."""
        chosen = next((p for p in self.people if str(p.id) == str(contact_id)), None)
        return chosen or (self.people[0] if self.people else None)


def load_record(
    session: Session,
    user: User,
    *,
    contact_id: int | None = None,
    organization_id: int | None = None,
    deal_id: int | None = None,
) -> Record:
    """The record by the first id given (deal, then contact, then organization); raises
    NotFound for one the user may not see."""
    require_records(user)
    record = Record()
    if deal_id is not None:
        record.deal = deal_queries.get_deal(session, user, deal_id)
        record.people = deal_queries.contacts_of(session, user, record.deal)
        if record.deal.organization_id:
            record.organization = customers.get_organization(
                session, user, record.deal.organization_id
            )
    elif contact_id is not None:
        record.contact = customers.get_contact(session, user, contact_id)
        record.people = [record.contact]
        if record.contact.organization_id:
            record.organization = customers.get_organization(
                session, user, record.contact.organization_id
            )
    elif organization_id is not None:
        record.organization = customers.get_organization(session, user, organization_id)
        record.people = customers.people_of_organization(session, user, record.organization)
    else:
        errors = FormErrors()
        errors.add("contact_id", N_("Pick a contact."))
        raise errors
    record.people = [p for p in record.people if p.email and not p.erased]
    return record


def record_documents(session: Session, user: User, record: Record):
    """The record's documents (current version first in each) and every version of them."""
    rows = documents.documents_of(session, user, **record.hidden)
    ids = [row.document.id for row in rows]
    return rows, documents.versions_by_document(session, user, ids) if ids else {}


def field_values(record: Record, person: Contact | None, user: User) -> dict[str, str]:
    """What each template field becomes for this person; {survey_link} stays until sending,
    when the link is made."""
    organization = record.organization
    name = person.name if person is not None else ""
    return {
        "first_name": name.split()[0] if name.split() else "",
        "name": name,
        "organization": organization.name if organization is not None else "",
        "deal": record.deal.title if record.deal is not None else "",
        "seller": user.name,
        "seller_email": user.email,
        "survey_link": "{survey_link}",
    }


def apply_template(
    template: MailTemplate, record: Record, person: Contact | None, user: User
) -> tuple[str, str]:
    values = field_values(record, person, user)
    return (
        mail_templates.fill(template.subject, values),
        mail_templates.fill(template.body, values),
    )


def survey_text(
    record: Record, person: Contact | None, user: User, kind: str = "csat"
) -> tuple[str, str]:
    """The survey mail Carnet writes itself, in the customer's language (else the seller's);
    its {survey_link} becomes the link when it is sent."""
    language = (person.language if person is not None else "") or user.language or "en"
    loc = Localizer(language=language if language in ("en", "fr") else "en", timezone="UTC")
    values = field_values(record, person, user)
    greeting = (
        loc.gettext("Hello %(name)s,", name=values["first_name"])
        if values["first_name"]
        else loc.gettext("Hello,")
    )
    body = "\n\n".join(
        [
            greeting,
            loc.gettext("One question, ten seconds: how likely are you to recommend us?")
            if kind == "nps"
            else loc.gettext("One question, ten seconds: how satisfied are you with our work?"),
            "{survey_link}",
            loc.gettext("Thank you,"),
        ]
    )
    return loc.gettext("One question about our work"), f"{body}\n{user.name}"
