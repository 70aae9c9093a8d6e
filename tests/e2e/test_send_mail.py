"""From a deal page in Chromium, a seller picks the team's template, attaches the current
quote and sends: a real `carnet serve` hands the mail to a real SMTP server, whose copy holds
the file with the hash Carnet recorded, and the deal shows "v2 · devis-v2.pdf sent"."""

import hashlib
import json
import time

from sqlalchemy import create_engine, text

from app.core.db import migrate
from tests.e2e.conftest import ARTIFACTS, serious_violations
from tests.serving import PASSWORD, carnet, log_in, serve
from tests.smtpserver import smtp_env, smtp_server


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _record_setup(url) -> str:
    """The admin's French template; the seller's customer, deal and quote in two versions,
    all through the front door. Returns the deal's path."""
    boss = log_in(url, "admin@team.example")
    r = boss.post(
        "/admin/mail-templates",
        data={
            "name": "Envoi du devis",
            "language": "fr",
            "subject": "Votre devis — {deal}",
            "body": "Bonjour {first_name},\n\nVoici notre devis pour {deal}.\n\n{seller}",
        },
    )
    assert r.status_code == 303, r.text[:300]
    seller = log_in(url, "lea@team.example")
    contact = seller.post(
        "/contacts",
        data={"name": "Hélène Durand", "email": "helene@dupont.example", "language": "fr"},
    ).headers["location"]
    deal = seller.post("/deals", data={"title": "Fours à pain", "contact_id": contact[10:]})
    deal_path = deal.headers["location"]
    seller.post(f"{deal_path}/contacts", data={"contact_query": "Hélène Durand"})
    files = {"file": ("devis-v1.pdf", b"%PDF-1.4 first quote", "application/pdf")}
    r = seller.post(f"{deal_path}/documents", data={"kind": "quote"}, files=files)
    assert r.status_code == 303, r.text[:300]
    document = seller.get(deal_path).text.split('href="/documents/')[1].split('"')[0]
    files = {"file": ("devis-v2.pdf", b"%PDF-1.4 second quote, cheaper", "application/pdf")}
    r = seller.post(f"/documents/{document}/versions", data={"next": deal_path}, files=files)
    assert r.status_code == 303, r.text[:300]
    return deal_path.split("?")[0]


def test_a_seller_sends_the_current_quote_from_the_deal_page(tmp_path, browser):
    database = tmp_path / "carnet.db"
    migrate(f"sqlite:///{database}")
    with smtp_server() as inbox:
        env = {"CARNET_DATA_DIR": str(tmp_path), "CARNET_BACKGROUND": "true", **smtp_env(inbox)}
        for email, role in (("admin@team.example", "admin"), ("lea@team.example", "seller")):
            made = carnet("create-user", email, "--password", PASSWORD, "--role", role, env=env)
            assert made.returncode == 0, made.stderr
        with serve(env) as url:
            deal_path = _record_setup(url)
            context = browser.new_context(
                locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            _login(page, url, "lea@team.example")
            page.goto(url + deal_path)
            page.get_by_role("link", name="Écrire un mail").click()
            page.select_option("#f-template", label="Envoi du devis (fr)")
            page.get_by_role("button", name="Utiliser ce modèle").click()
            page.wait_for_load_state()
            assert page.input_value("#f-subject") == "Votre devis — Fours à pain"
            assert page.input_value("#f-body").startswith("Bonjour Hélène,")
            version = page.locator("select[id^='f-version-']")
            assert version.input_value() == "2"  # the current version by default
            # The document is titled by its first file; its current version is chosen.
            page.get_by_role("checkbox", name="devis-v1.pdf").check()
            page.fill("#f-next_step", "Relancer Hélène")
            page.fill("#f-next_step_due", "+3j")
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(ARTIFACTS / f"send-mail-{width}px.png"), full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert serious_violations(page) == []
            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_role("button", name="Envoyer", exact=True).click()
            page.wait_for_load_state()
            deadline = time.monotonic() + 30
            while not inbox.messages:
                assert time.monotonic() < deadline, "the mail did not reach the SMTP server"
                time.sleep(0.2)
            [mail] = inbox.messages
            [attached] = [p for p in mail.walk() if p.get_filename()]
            sent_sha = hashlib.sha256(attached.get_payload(decode=True)).hexdigest()
            assert attached.get_filename() == "devis-v2.pdf"
            assert "lea@team.example" in mail["Reply-To"]
            engine = create_engine(f"sqlite:///{database}")
            with engine.connect() as conn:
                files = conn.execute(text("select files from mail_message")).scalar_one()
            engine.dispose()
            [recorded] = json.loads(files)
            assert (recorded["version"], recorded["sha256"]) == (2, sent_sha)
            deadline = time.monotonic() + 30
            while "Envoyé à helene@dupont.example" not in page.content():
                assert time.monotonic() < deadline, "the deal never showed the mail as sent"
                page.reload()
            assert page.get_by_text("v2 · devis-v2.pdf envoyé").is_visible()
            assert sent_sha in page.content()
            assert "Relancer Hélène" in page.content()
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                shot = ARTIFACTS / f"sent-mail-deal-{width}px.png"
                page.screenshot(path=str(shot), full_page=True)
            context.close()
