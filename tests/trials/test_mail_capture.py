"""Mail capture through the front door: a real `carnet serve` reads a real IMAP mailbox
(dovecot), files what sellers BCC or forward to their capture address, and leaves in the
mailbox only what it could not file, set aside for the admin."""

import time
from email.message import EmailMessage

import httpx
import pytest

from app.core.db import migrate
from tests.mailserver import dovecot
from tests.serving import PASSWORD, carnet, log_in, serve

pytestmark = pytest.mark.trial


def _mail(to, subject, body, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Sam <s@x.test>")
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _until(check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.2)


def test_captured_mail_lands_on_the_record_and_leaves_the_mailbox(tmp_path):
    migrate(f"sqlite:///{tmp_path / 'carnet.db'}")
    with dovecot(tmp_path) as box:
        env = {
            "CARNET_DATA_DIR": str(tmp_path),
            "CARNET_BACKGROUND": "true",
            "CARNET_CAPTURE_ADDRESS": "crm@team.example",
            "CARNET_IMAP_POLL_SECONDS": "1",
            **box.settings(),
        }
        for email in ("s@x.test", "o@x.test"):
            assert carnet("create-user", email, "--password", PASSWORD, "--role", "seller", env=env)
        with serve(env) as url:
            seller, colleague = log_in(url, "s@x.test"), log_in(url, "o@x.test")
            contact = seller.post(
                "/contacts", data={"name": "Hélène Durand", "email": "helene@dupont.example"}
            ).headers["location"]
            seller.post("/mail/capture-address")
            page = seller.get("/mail").text
            address = page.split('id="capture-address" type="text" readonly value="')[1].split('"')[
                0
            ]
            box.deliver(
                _mail(
                    "helene@dupont.example", "Devis fours", "Voici le devis.", Delivered_To=address
                )
            )
            box.deliver(
                _mail(
                    "helene@dupont.example", "[private] Remise", "Entre nous.", Delivered_To=address
                )
            )
            box.deliver(
                _mail(
                    "helene@dupont.example",
                    "Wrong",
                    "x",
                    Delivered_To="crm+zzzzzzzzzzzz@team.example",
                )
            )
            box.deliver(b"this is not a mail at all\r\n\xff\xfe: \x01garbage\r\n")
            _until(lambda: "Devis fours" in seller.get(contact).text)
            _until(lambda: box.count() == 0)
            mine = seller.get(contact).text
            assert "Voici le devis." in mine and "Remise" in mine
            theirs = colleague.get(contact).text
            assert "Devis fours" in theirs and "Remise" not in theirs
            # What could not be filed is kept for the admin, not deleted.
            assert box.count("Carnet-failed") == 2
            assert httpx.get(url + "/healthz").status_code == 200
