"""Sending a mail from a record's page: written with a team template, the chosen document
versions attached and recorded with their SHA-256, sent through a real SMTP server with the
seller as Reply-To, logged as an email activity with its next step; private as chosen."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.activities.models import Activity
from app.core.jobs import Job
from app.core.schema import utcnow
from app.deals.models import DealContact
from app.documents import service as documents
from app.interop.mail.models import MailMessage, MailTemplate
from app.satisfaction.models import SurveyLink
from tests.factories import upload


@pytest.fixture
def quoted_deal(session, seller, store, make_contact, make_deal):
    """A deal with Hélène on it and a quote in two versions."""
    helene = make_contact("Hélène Durand", email="helene@dupont.example", language="fr")
    deal = make_deal("Fours à pain")
    session.add(DealContact(deal_id=deal.id, contact_id=helene.id))
    session.commit()
    quote = documents.attach(
        session, seller, store, upload("devis-v1.pdf", b"%PDF v1"), "quote", deal=deal
    )
    documents.add_version(session, seller, store, quote, upload("devis-v2.pdf", b"%PDF v2"))
    return deal, helene, quote


def _send(client, **fields):
    return client.post("/mail/compose", data={"csrf_token": client.csrf, **fields})


def test_a_mail_from_a_deal_carries_the_current_quote_and_is_logged_with_its_next_step(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, quote = quoted_deal
    me = client_for(seller)
    page = me.get(f"/mail/compose?deal_id={deal.id}").text
    assert "Hélène Durand &lt;helene@dupont.example&gt;" in page
    assert "v2 · devis-v2.pdf (current)" in page
    r = _send(
        me,
        deal_id=deal.id,
        to=helene.id,
        subject="Votre devis",
        body="Bonjour Hélène,\n\nVoici le devis.",
        **{f"attach_{quote.id}": "1"},
        next_step="Relancer Hélène",
        next_step_due="+3d",
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/deals/{deal.id}?mail=sent")
    assert "Sending to helene@dupont.example" in me.get(f"/deals/{deal.id}").text
    assert run_jobs(None, ["mail_send"]) == 1
    [mail] = smtp.messages
    assert mail["To"] == "helene@dupont.example"
    assert "seller@example.test" in mail["Reply-To"] and "carnet@team.example" in mail["From"]
    [attached] = [p for p in mail.walk() if p.get_filename()]
    assert attached.get_filename() == "devis-v2.pdf"
    sha = hashlib.sha256(attached.get_payload(decode=True)).hexdigest()
    assert sha == hashlib.sha256(b"%PDF v2").hexdigest()
    deal_page = me.get(f"/deals/{deal.id}").text
    assert "v2 · devis-v2.pdf sent" in deal_page and sha in deal_page
    assert "Sent to helene@dupont.example" in deal_page
    assert "Relancer Hélène" in deal_page  # the deal's next step, set in the same form
    activity = session.exec(select(Activity).where(Activity.kind == "email")).one()
    assert (activity.contact_id, activity.deal_id) == (helene.id, deal.id)
    assert "Votre devis" in me.get(f"/contacts/{helene.id}").text


def test_an_older_version_can_be_sent_and_is_recorded_as_such(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, quote = quoted_deal
    me = client_for(seller)
    fields = {f"attach_{quote.id}": "1", f"version_{quote.id}": "1"}
    _send(me, deal_id=deal.id, to=helene.id, subject="L'ancien devis", body="Le voici.", **fields)
    run_jobs(None, ["mail_send"])
    [attached] = [p for p in smtp.messages[0].walk() if p.get_filename()]
    assert attached.get_payload(decode=True) == b"%PDF v1"
    assert "v1 · devis-v1.pdf sent" in me.get(f"/deals/{deal.id}").text


def test_a_team_template_is_filled_in_for_the_person_in_its_language(
    session, client_for, seller, admin, quoted_deal
):
    deal, helene, _ = quoted_deal
    boss = client_for(admin)
    r = boss.post(
        "/admin/mail-templates",
        data={
            "csrf_token": boss.csrf,
            "name": "Envoi du devis",
            "language": "fr",
            "subject": "Devis {deal}",
            "body": "Bonjour {first_name},\n\nVoici notre devis.\n\n{seller}",
        },
    )
    assert r.status_code == 303
    template = session.exec(select(MailTemplate)).one()
    page = client_for(seller).get(f"/mail/compose?deal_id={deal.id}&template_id={template.id}")
    assert 'value="Devis Fours à pain"' in page.text
    assert "Bonjour Hélène,\n\nVoici notre devis.\n\nSeller</textarea>" in page.text
    same_name = boss.post(
        "/admin/mail-templates",
        data={"csrf_token": boss.csrf, "name": "Envoi du devis", "language": "fr"}
        | {"subject": "x", "body": "y"},
    )
    assert same_name.status_code == 400 and "exists in this language" in same_name.text


def test_only_the_admin_keeps_templates(client_for, seller, manager, session, admin):
    template = MailTemplate(
        name="Merci", language="en", subject="Thanks", body="b", updated_by=admin.id
    )
    session.add(template)
    session.commit()
    for user in (seller, manager):
        client = client_for(user)
        assert client.get("/admin/mail-templates").status_code == 403
        r = client.post(f"/admin/mail-templates/{template.id}/delete", data={})
        assert r.status_code == 403
    assert session.get(MailTemplate, template.id) is not None


def test_bad_input_is_refused_with_what_was_typed_kept_and_nothing_saved(
    session, client_for, seller, smtp, quoted_deal, make_deal, store
):
    deal, helene, quote = quoted_deal
    other = make_deal("Autre affaire")
    elsewhere = documents.attach(session, seller, store, upload("x.pdf"), "quote", deal=other)
    me = client_for(seller)
    r = _send(me, deal_id=deal.id, to=helene.id, subject="", body="Mon message gardé")
    assert r.status_code == 400 and "Write the subject." in r.text
    assert "Mon message gardé" in r.text
    forged = {f"attach_{elsewhere.id}": "1"}
    r = _send(me, deal_id=deal.id, to=helene.id, subject="S", body="B", **forged)
    assert r.status_code == 400 and "no longer here" in r.text
    r = _send(me, deal_id=deal.id, to="999999", subject="S", body="B")
    assert r.status_code == 400 and "Pick who the mail is for." in r.text
    r = _send(me, deal_id=deal.id, to=helene.id, subject="S", body="B", next_step="Rappeler")
    assert r.status_code == 400 and "When is the next step due?" in r.text
    assert session.exec(select(MailMessage)).all() == []
    assert session.exec(select(Activity)).all() == []
    assert session.exec(select(Job).where(Job.kind == "mail_send")).all() == []


def test_without_smtp_settings_the_page_says_so_and_nothing_is_queued(
    session, client_for, seller, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    page = me.get(f"/mail/compose?deal_id={deal.id}").text
    assert "ask your admin to set up CARNET_SMTP_*" in page
    r = _send(me, deal_id=deal.id, to=helene.id, subject="S", body="B")
    assert r.status_code == 400
    assert session.exec(select(MailMessage)).all() == []


def test_a_private_mail_is_seen_by_its_author_alone(
    session, client_for, seller, other_seller, admin, manager, smtp, run_jobs, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    r = _send(me, contact_id=helene.id, to=helene.id, subject="Entre nous", body="Privé")
    assert r.status_code == 303
    r = _send(
        me, contact_id=helene.id, to=helene.id, subject="Secret", body="x", visibility="private"
    )
    assert r.status_code == 303
    run_jobs(None, ["mail_send"])
    assert len(smtp.messages) == 2
    assert "Secret" in me.get(f"/contacts/{helene.id}").text
    private = session.exec(select(Activity).where(Activity.visibility == "private")).one()
    for user in (other_seller, admin):
        client = client_for(user)
        page = client.get(f"/contacts/{helene.id}").text
        assert "Entre nous" in page and "Secret" not in page
        assert client.get(f"/activities/{private.id}").status_code == 404
    boss = client_for(manager)
    assert boss.get(f"/contacts/{helene.id}").status_code == 403
    assert boss.get(f"/mail/compose?contact_id={helene.id}").status_code == 403
    assert boss.post("/mail/compose", data={"contact_id": helene.id}).status_code == 403


def test_a_refused_recipient_is_shown_not_sent_and_a_busy_server_is_tried_again(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    smtp.refuse = "550 5.1.1 no such mailbox"
    _send(me, contact_id=helene.id, to=helene.id, subject="Perdu", body="x")
    run_jobs(None, ["mail_send"])
    page = me.get(f"/contacts/{helene.id}").text
    assert "Not sent to helene@dupont.example:" in page and "no such mailbox" in page
    assert "The mail server answered: 550" in page
    smtp.refuse = "451 4.3.0 try again later"
    _send(me, contact_id=helene.id, to=helene.id, subject="Retardé", body="x")
    run_jobs(None, ["mail_send"])
    late = session.exec(select(MailMessage).where(MailMessage.subject == "Retardé")).one()
    assert late.status == "sending" and "try again later" in late.error
    smtp.refuse = ""
    run_jobs(utcnow() + timedelta(minutes=2), ["mail_send"])
    session.refresh(late)
    assert late.status == "sent" and [m["Subject"] for m in smtp.messages] == ["Retardé"]


def test_a_survey_link_is_mailed_in_one_click_in_the_customers_language(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    r = me.post("/mail/survey", data={"csrf_token": me.csrf, "deal_id": deal.id, "kind": "nps"})
    assert r.status_code == 303
    run_jobs(None, ["mail_send"])
    [mail] = smtp.messages
    text = mail.get_content()
    link = re.search(r"http://crm\.team\.example/s/\S+", text).group(0)
    assert "Bonjour Hélène" in text and "recommander" in text
    survey = session.exec(select(SurveyLink)).one()
    assert (survey.kind, survey.contact_id, survey.deal_id) == ("nps", helene.id, deal.id)
    assert me.get(link.replace("http://crm.team.example", "")).status_code == 200


def test_quick_entry_hands_what_was_typed_to_the_compose_form(client_for, seller, quoted_deal):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    typed = {
        "csrf_token": me.csrf,
        "contact_id": helene.id,
        "deal_id": deal.id,
        "text": "Suite à notre appel, voici le devis.",
        "next_step": "Relancer",
        "next_step_due": "+2d",
    }
    r = me.post("/mail/draft", data=typed)
    assert r.status_code == 303
    page = me.get(r.headers["location"]).text
    assert "Suite à notre appel, voici le devis.</textarea>" in page
    assert 'value="Relancer"' in page and 'value="+2d"' in page
    assert f'name="deal_id" value="{deal.id}"' in page
    by_htmx = me.post("/mail/draft", data=typed, headers={"HX-Request": "true"})
    assert by_htmx.status_code == 204 and by_htmx.headers["HX-Redirect"] == r.headers["location"]
    nobody = me.post("/mail/draft", data={"csrf_token": me.csrf, "text": "x"})
    page = me.get(nobody.headers["location"])
    assert page.status_code == 400 and "Pick the contact first" in page.text


def test_erasing_a_person_forgets_the_mail_written_to_them(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    _send(me, contact_id=helene.id, to=helene.id, subject="Devis Hélène", body="Chère Hélène")
    run_jobs(None, ["mail_send"])
    waiting = MailMessage(
        owner_id=seller.id,
        message_id="<w@x>",
        thread_id="<w@x>",
        subject="De Hélène",
        sender_email="helene@dupont.example",
        text="Signé Hélène",
        status="to_file",
    )
    session.add(waiting)
    session.commit()
    r = me.post(f"/contacts/{helene.id}/erase", data={"csrf_token": me.csrf, "confirm": "1"})
    assert r.status_code in (200, 303), r.text[:300]
    for message in session.exec(select(MailMessage)).all():
        session.refresh(message)
        assert "Hélène" not in message.subject + message.text and "helene" not in (
            message.addresses + message.sender_email
        )


def test_a_form_posted_twice_sends_one_mail(
    session, client_for, seller, smtp, run_jobs, quoted_deal
):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    page = me.get(f"/mail/compose?contact_id={helene.id}").text
    token = re.search(r'name="draft" value="([^"]+)"', page).group(1)
    fields = dict(contact_id=helene.id, to=helene.id, subject="Une fois", body="x", draft=token)
    assert _send(me, **fields).status_code == 303
    assert _send(me, **fields).status_code == 303
    run_jobs(None, ["mail_send"])
    assert [m["Subject"] for m in smtp.messages] == ["Une fois"]
    assert len(session.exec(select(Activity)).all()) == 1
    assert smtp.messages[0]["Date"]  # RFC 5322 asks for one


def test_a_subject_on_two_lines_is_refused_not_sent(session, client_for, seller, smtp, quoted_deal):
    deal, helene, _ = quoted_deal
    me = client_for(seller)
    r = _send(me, contact_id=helene.id, to=helene.id, subject="Hi\nBcc: x@evil.test", body="x")
    assert r.status_code == 400 and "A subject is one line." in r.text
    assert session.exec(select(MailMessage)).all() == []


def test_while_the_server_is_away_the_timeline_says_why_in_words(
    session, client_for, seller, settings, smtp, run_jobs, quoted_deal
):
    from tests.smtpserver import free_port

    deal, helene, _ = quoted_deal
    me = client_for(seller)
    settings.smtp_port = free_port()  # nobody listens there
    _send(me, contact_id=helene.id, to=helene.id, subject="Plus tard", body="x")
    run_jobs(None, ["mail_send"])
    page = me.get(f"/contacts/{helene.id}").text
    assert "Not sent yet to helene@dupont.example:" in page
    assert "The mail server could not be reached" in page and "tries again" in page


def test_a_template_with_an_unknown_field_is_refused(client_for, admin, session):
    boss = client_for(admin)
    r = boss.post(
        "/admin/mail-templates",
        data={"csrf_token": boss.csrf, "name": "T", "language": "en", "subject": "Hi"}
        | {"body": "Dear {first_name.__class__}"},
    )
    assert r.status_code == 400 and "Unknown field {first_name.__class__}" in r.text
    assert session.exec(select(MailTemplate)).all() == []
