"""Filing captured mail: found by the capture address's secret, filed on the customers of the
original mail, once, team or private as the seller chose; seen on the record pages by whom
the privacy rules allow."""

import re
from email.message import EmailMessage

import pytest
from sqlmodel import select

from app.activities.models import Activity
from app.documents.models import Document
from app.interop.mail import capture, capture_address
from app.interop.mail.models import TO_FILE, MailMessage


@pytest.fixture
def mailbox(settings, session, seller):
    settings.capture_address = "crm@team.example"
    capture_address.new_key(session, seller)
    return capture_address.address_for(settings, seller)


def _mail(to, subject="Devis fours", body="Voici le devis.", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Seller <seller@example.test>")
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 10:15:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _file(session, settings, store, message: EmailMessage) -> capture.Outcome:
    return capture.file_raw(session, settings, store, message.as_bytes())


def test_a_bccd_mail_is_filed_on_each_customer_with_their_organization(
    session, settings, store, seller, mailbox, make_org, make_contact, client_for
):
    org = make_org("Boulangerie Dupont")
    helene = make_contact("Hélène Durand", email="helene@dupont.example", organization_id=org.id)
    paul = make_contact("Paul Martin", email="paul@martin.example")
    message = _mail(
        "Hélène <Helene@Dupont.example>, paul@martin.example",
        Message_ID="<one@team.example>",
        Delivered_To=mailbox,
    )
    outcome = _file(session, settings, store, message)
    assert (outcome.status, outcome.activities) == ("filed", 2)
    activities = session.exec(select(Activity).order_by(Activity.contact_id)).all()
    assert [(a.kind, a.contact_id, a.visibility) for a in activities] == [
        ("email", helene.id, "team"),
        ("email", paul.id, "team"),
    ]
    assert activities[0].organization_id == org.id
    page = client_for(seller).get(f"/contacts/{helene.id}").text
    assert "Devis fours" in page and "Voici le devis." in page
    assert "Devis fours" in client_for(seller).get(f"/organizations/{org.id}").text


def test_a_message_is_captured_once(session, settings, store, mailbox, make_contact):
    make_contact("Hélène Durand", email="helene@dupont.example")
    message = _mail("helene@dupont.example", Message_ID="<same@x>", Delivered_To=mailbox)
    assert _file(session, settings, store, message).status == "filed"
    assert _file(session, settings, store, message).status == capture.DUPLICATE
    assert len(session.exec(select(Activity)).all()) == 1


def test_a_wrong_or_renewed_secret_files_nothing(
    session, settings, store, seller, mailbox, make_contact
):
    make_contact("Hélène Durand", email="helene@dupont.example")
    wrong = _mail("helene@dupont.example", Delivered_To="crm+abcdefghjkmn@team.example")
    assert _file(session, settings, store, wrong).status == capture.UNKNOWN_KEY
    capture_address.new_key(session, seller)
    stale = _mail("helene@dupont.example", Delivered_To=mailbox)
    assert _file(session, settings, store, stale).status == capture.UNKNOWN_KEY
    # A forged From of the seller is no key either.
    forged = _mail("helene@dupont.example, crm@team.example")
    assert _file(session, settings, store, forged).status == capture.UNKNOWN_KEY
    assert session.exec(select(MailMessage)).first() is None


def test_an_auto_reply_is_ignored(session, settings, store, mailbox, make_contact):
    make_contact("Hélène Durand", email="helene@dupont.example")
    away = _mail("helene@dupont.example", Delivered_To=mailbox, Auto_Submitted="auto-replied")
    assert _file(session, settings, store, away).status == capture.AUTOMATIC
    assert session.exec(select(Activity)).first() is None


def test_a_forwarded_mail_is_filed_on_its_sender_with_its_attachment(
    session, settings, store, seller, other_seller, mailbox, make_contact, client_for
):
    helene = make_contact("Hélène Durand", email="helene@dupont.example")
    original = _mail("seller@example.test", subject="Notre commande", From="helene@dupont.example")
    original.add_attachment(
        b"%PDF-1.4 bon", maintype="application", subtype="pdf", filename="bon.pdf"
    )
    forward = _mail(mailbox, subject="Fwd: Notre commande", body="Pour le CRM")
    forward.add_attachment(original)
    assert _file(session, settings, store, forward).status == "filed"
    activity = session.exec(select(Activity)).one()
    assert activity.contact_id == helene.id and activity.text.startswith("Notre commande")
    document = session.exec(select(Document).where(Document.activity_id == activity.id)).one()
    assert document.title == "bon.pdf" and document.private_to is None
    colleague = client_for(other_seller)
    assert "Notre commande" in colleague.get(f"/contacts/{helene.id}").text


def test_private_mail_is_its_authors_only(
    session,
    settings,
    store,
    seller,
    other_seller,
    admin,
    manager,
    mailbox,
    make_contact,
    client_for,
):
    helene = make_contact("Hélène Durand", email="helene@dupont.example")
    message = _mail("helene@dupont.example", subject="[private] Remise", Delivered_To=mailbox)
    message.add_attachment(b"secret", maintype="text", subtype="plain", filename="remise.txt")
    assert _file(session, settings, store, message).status == "filed"
    activity = session.exec(select(Activity)).one()
    assert activity.visibility == "private" and activity.text.startswith("Remise")
    document = session.exec(select(Document)).one()
    assert document.private_to == seller.id
    assert "Remise" in client_for(seller).get(f"/contacts/{helene.id}").text
    for other in (other_seller, admin):
        client = client_for(other)
        assert "Remise" not in client.get(f"/contacts/{helene.id}").text
        assert client.get(f"/activities/{activity.id}").status_code == 404
        assert client.get(f"/documents/{document.id}/download").status_code == 404
    assert client_for(manager).get(f"/contacts/{helene.id}").status_code == 403


def test_a_seller_who_captures_privately_by_default_gets_private_activities(
    session, settings, store, seller, mailbox, make_contact
):
    make_contact("Hélène Durand", email="helene@dupont.example")
    capture_address.set_default_private(session, seller, True)
    _file(session, settings, store, _mail("helene@dupont.example", Delivered_To=mailbox))
    assert session.exec(select(Activity)).one().visibility == "private"


def test_a_mail_to_no_known_customer_waits_to_be_filed(
    session, settings, store, seller, mailbox, make_contact
):
    make_contact("Hélène Durand", email="helene@dupont.example")
    outcome = _file(session, settings, store, _mail("nobody@else.example", Delivered_To=mailbox))
    assert outcome.status == TO_FILE
    message = session.get(MailMessage, outcome.message_id)
    assert (message.owner_id, message.addresses) == (seller.id, "nobody@else.example")
    assert session.exec(select(Activity)).first() is None


def test_a_reply_joins_its_thread(session, settings, store, mailbox, make_contact):
    make_contact("Hélène Durand", email="helene@dupont.example")
    first = _mail("helene@dupont.example", Message_ID="<a@x>", Delivered_To=mailbox)
    reply = _mail(
        "helene@dupont.example",
        subject="Re: Devis fours",
        Message_ID="<b@x>",
        In_Reply_To="<a@x>",
        References="<a@x>",
        Delivered_To=mailbox,
    )
    _file(session, settings, store, first)
    _file(session, settings, store, reply)
    threads = {m.message_id: m.thread_id for m in session.exec(select(MailMessage)).all()}
    assert threads == {"a@x": "a@x", "b@x": "a@x"}


def test_a_customers_mail_the_seller_was_copied_on_is_filed_on_its_sender(
    session, settings, store, mailbox, make_contact
):
    helene = make_contact("Hélène Durand", email="helene@dupont.example")
    message = _mail("seller@example.test", From="Hélène <helene@dupont.example>", Cc=mailbox)
    assert _file(session, settings, store, message).status == "filed"
    assert session.exec(select(Activity)).one().contact_id == helene.id


def test_a_colleague_on_the_mail_is_not_a_customer(
    session, settings, store, other_seller, mailbox, make_contact
):
    outcome = _file(session, settings, store, _mail("other@example.test", Delivered_To=mailbox))
    assert outcome.status == TO_FILE
    assert session.get(MailMessage, outcome.message_id).addresses == ""
    assert re.fullmatch(r"crm\+\w+@team\.example", mailbox)


def test_carnets_own_mail_coming_back_is_a_loop_and_ignored(
    session, settings, store, mailbox, make_contact
):
    make_contact("Hélène Durand", email="helene@dupont.example")
    settings.smtp_from = "carnet@team.example"
    message = _mail("helene@dupont.example", From="Carnet <carnet@team.example>")
    message["Delivered-To"] = mailbox
    assert _file(session, settings, store, message).status == capture.AUTOMATIC


def test_a_file_named_like_a_path_is_kept_and_the_mail_filed(
    session, settings, store, mailbox, make_contact
):
    make_contact("Hélène Durand", email="helene@dupont.example")
    message = _mail("helene@dupont.example", Delivered_To=mailbox)
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="../a/b.pdf")
    outcome = _file(session, settings, store, message)
    assert outcome.status == "filed"
    document = session.exec(select(Document)).one()
    assert document.title == "_a_b.pdf" and document.activity_id is not None
