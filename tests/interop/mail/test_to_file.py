"""The seller's "To file" list: captured mail that named no contact waits there, for them
alone, until filed on a contact, on a new contact made from the sender, or dropped."""

import re
from email.message import EmailMessage

import pytest
from sqlmodel import select

from app.activities.models import Activity
from app.customers.models import Contact
from app.documents.models import Document
from app.interop.mail import capture, capture_address
from app.interop.mail.models import DROPPED, FILED, TO_FILE, MailMessage


@pytest.fixture
def waiting(settings, session, store, seller):
    """A mail from an unknown sender, with an attachment, captured by the seller."""
    settings.capture_address = "crm@team.example"
    capture_address.new_key(session, seller)
    message = EmailMessage()
    message["From"] = "Nadia Sow <nadia@sow.example>"
    message["To"] = "seller@example.test"
    message["Cc"] = capture_address.address_for(settings, seller)
    message["Subject"] = "Premier contact"
    message.set_content("Bonjour, nous cherchons un four.")
    message.add_attachment(b"plan", maintype="text", subtype="plain", filename="plan.txt")
    outcome = capture.file_raw(session, settings, store, message.as_bytes())
    assert outcome.status == "to_file"
    return session.get(MailMessage, outcome.message_id)


def test_waiting_mail_is_listed_for_its_seller_only(client_for, seller, other_seller, waiting):
    page = client_for(seller).get("/mail/to-file").text
    assert "Premier contact" in page and "nadia@sow.example" in page
    other = client_for(other_seller)
    assert "Premier contact" not in other.get("/mail/to-file").text
    for action in ("file", "new-contact", "drop"):
        assert other.post(f"/mail/to-file/{waiting.id}/{action}").status_code == 404


def test_filing_on_a_contact_by_address_moves_the_mail_and_its_file_there(
    client_for, seller, other_seller, waiting, make_contact, session
):
    nadia = make_contact("Nadia Sow", email="nadia@sow.example")
    client = client_for(seller)
    url = f"/mail/to-file/{waiting.id}/file"
    response = client.post(url, data={"contact": "NADIA@sow.example"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(MailMessage, waiting.id).status == FILED
    activity = session.exec(select(Activity).where(Activity.contact_id == nadia.id)).one()
    assert activity.kind == "email" and activity.visibility == "team"
    document = session.exec(select(Document)).one()
    assert (document.activity_id, document.private_to) == (activity.id, None)
    assert "Premier contact" in client_for(other_seller).get(f"/contacts/{nadia.id}").text
    assert "Premier contact" not in client.get("/mail/to-file").text


def test_a_name_two_contacts_share_is_refused_with_what_to_type(
    client_for, seller, waiting, make_contact, session
):
    make_contact("Jean Martin", email="jean@a.example")
    make_contact("Jean Martin", email="jean@b.example")
    url = f"/mail/to-file/{waiting.id}/file"
    page = client_for(seller).post(url, data={"contact": "jean martin"})
    assert page.status_code == 400 and "type their email address" in page.text
    assert 'value="jean martin"' in page.text
    session.expire_all()
    assert session.get(MailMessage, waiting.id).status == "to_file"
    assert session.exec(select(Activity)).first() is None


def test_a_new_contact_is_made_from_the_sender_in_one_step(client_for, seller, waiting, session):
    response = client_for(seller).post(f"/mail/to-file/{waiting.id}/new-contact")
    assert response.status_code == 303
    contact_id = int(re.search(r"/contacts/(\d+)", response.headers["location"])[1])
    contact = session.get(Contact, contact_id)
    assert (contact.name, contact.email, contact.owner_id) == (
        "Nadia Sow",
        "nadia@sow.example",
        seller.id,
    )
    assert session.exec(select(Activity)).one().contact_id == contact_id


def test_dropping_removes_it_from_the_list_and_a_second_click_is_harmless(
    client_for, seller, waiting, session
):
    client = client_for(seller)
    assert client.post(f"/mail/to-file/{waiting.id}/drop").status_code == 303
    assert client.post(f"/mail/to-file/{waiting.id}/drop").status_code == 303
    session.expire_all()
    assert session.get(MailMessage, waiting.id).status == DROPPED
    assert "Nothing to file" in client.get("/mail/to-file").text


def test_a_bccd_mail_offers_its_recipient_not_the_seller_as_the_new_contact(
    client_for, seller, session
):
    bccd = MailMessage(
        owner_id=seller.id,
        message_id="bcc@x.test",
        thread_id="bcc@x.test",
        subject="Premier contact",
        sender_email=seller.email,
        sender_name="Seller",
        addresses="newbie@prospect.example",
        status=TO_FILE,
    )
    session.add(bccd)
    session.commit()
    me = client_for(seller)
    assert "New contact from newbie@prospect.example" in me.get("/mail/to-file").text
    r = me.post(f"/mail/to-file/{bccd.id}/new-contact")
    contact = session.get(Contact, int(re.search(r"/contacts/(\d+)", r.headers["location"])[1]))
    assert (contact.name, contact.email) == ("newbie", "newbie@prospect.example")
