"""Factories: fixtures and helpers that build data (users, customers, activities, deals,
documents) in the test's session. tests/conftest.py imports them, so every test sees them."""

import pytest
from sqlmodel import select

from app.activities.models import ActivityCreate
from app.activities.service import log_activity
from app.auth.service import create_user
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization

PASSWORD = "correct horse battery"


def _user(session, email, **roles):
    defaults = {"is_seller": False, "is_manager": False, "is_admin": False}
    defaults.update(roles)
    return create_user(
        session, email=email, name=email.split("@")[0].title(), password=PASSWORD, **defaults
    )


@pytest.fixture
def seller(session):
    return _user(session, "seller@example.test", is_seller=True)


@pytest.fixture
def other_seller(session):
    return _user(session, "other@example.test", is_seller=True)


@pytest.fixture
def manager(session):
    return _user(session, "manager@example.test", is_manager=True)


@pytest.fixture
def admin(session):
    return _user(session, "admin@example.test", is_admin=True)


@pytest.fixture
def make_user(session):
    def make(email, **roles):
        return _user(session, email, **roles)

    return make


@pytest.fixture
def make_org(session, seller):
    def make(name="Boulangerie Dupont", **fields):
        return create_organization(session, seller, OrganizationCreate(name=name, **fields))

    return make


@pytest.fixture
def make_contact(session, seller):
    def make(name="Hélène Durand", **fields):
        return create_contact(session, seller, ContactCreate(name=name, **fields))

    return make


@pytest.fixture
def make_activity(session):
    def make(author, contact, **fields):
        data = ActivityCreate(contact_id=contact.id, **{"text": "Called", **fields})
        return log_activity(session, author, data)

    return make


@pytest.fixture
def store(settings):
    from app.documents.service import DocumentStore

    return DocumentStore(settings.documents_dir, settings.max_upload_bytes)


@pytest.fixture
def make_deal(session, seller):
    from app.deals.models import DealCreate
    from app.deals.service import create_deal

    def make(title="Bread ovens", owner=None, **fields):
        return create_deal(session, owner or seller, DealCreate(title=title, **fields), "EUR")

    return make


@pytest.fixture
def stage_by_key(session):
    from sqlmodel import select as _select

    from app.deals.models import Stage

    def find(key):
        return session.exec(_select(Stage).where(Stage.key == key)).one()

    return find


def upload(name="quote.pdf", content=b"%PDF-1.4 quote", content_type="application/pdf"):
    import io

    from app.documents.service import Upload

    return Upload(name, content_type, io.BytesIO(content))


@pytest.fixture
def world(
    session,
    seller,
    other_seller,
    manager,
    admin,
    make_contact,
    make_org,
    make_activity,
    make_deal,
    store,
    settings,
):
    """Records owned by `seller`, seen by everyone else."""
    from app.activities.models import FollowUp
    from app.auth.service import create_api_token
    from app.documents.service import attach

    org = make_org("Acme")
    contact = make_contact("Zoé Petit", organization_id=org.id)
    private = make_activity(
        seller, contact, visibility="private", next_step="Call", next_step_due="+1d"
    )
    follow_up = session.exec(select(FollowUp).where(FollowUp.activity_id == private.id)).one()
    token, _raw = create_api_token(session, seller, "sync")
    deal = make_deal("Ovens", organization_id=org.id, contact_id=contact.id)
    document = attach(session, seller, store, upload("notes.pdf"), "other", activity=private)
    from app.satisfaction.service import create_link, token_of

    link = create_link(session, seller, contact, "csat")
    from app.interop.calendar.feed import feed_token, new_feed

    new_feed(session, seller)
    from app.interop.imports.service import start_import

    csv_file = upload("people.csv", b"name,email\nZed,zed@example.test\n")
    job = start_import(session, seller, settings, csv_file, "contacts")
    from app.interop.mail.models import TO_FILE, MailMessage, MailTemplate

    waiting = MailMessage(
        owner_id=seller.id,
        message_id="waiting@x.test",
        thread_id="waiting@x.test",
        subject="Unknown sender",
        sender_email="nobody@x.test",
        status=TO_FILE,
    )
    session.add(waiting)
    template = MailTemplate(name="Thanks", subject="Thanks", body="Thank you", updated_by=admin.id)
    session.add(template)
    session.commit()
    return {
        "message_id": waiting.id,
        "template_id": template.id,
        "import_id": job.id,
        "webhook_id": 1,
        "calendar_token": feed_token(session, seller, settings.secret_key),
        "token": token_of(settings.secret_key, link),
        "deal_id": deal.id,
        "stage_id": deal.stage_id,
        "document_id": document.id,
        "contact_id": contact.id,
        "organization_id": org.id,
        "activity_id": private.id,
        "follow_up_id": follow_up.id,
        "user_id": other_seller.id,
        "token_id": token.id,
    }
