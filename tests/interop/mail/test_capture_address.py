"""A seller's capture address: shown on their mail page, renewed at will (the old one stops
working at once), theirs alone."""

import re

import pytest

from app.interop.mail import capture_address


@pytest.fixture
def capture(settings):
    settings.capture_address = "crm@team.example"
    return settings


def _address(page: str) -> str | None:
    found = re.search(r'id="capture-address" type="text" readonly value="([^"]+)"', page)
    return found[1] if found else None


def test_a_seller_gets_an_address_and_a_new_one_ends_the_old(client_for, seller, capture, session):
    client = client_for(seller)
    assert _address(client.get("/mail").text) is None
    assert client.post("/mail/capture-address").status_code == 303
    first = _address(client.get("/mail").text)
    assert re.fullmatch(r"crm\+[a-z2-9]{12}@team\.example", first)
    key = capture_address.key_in(capture, ["Someone <x@y.example>", first.upper()])
    assert capture_address.seller_for(session, key).id == seller.id
    client.post("/mail/capture-address")
    second = _address(client.get("/mail").text)
    assert second != first
    session.expire_all()
    assert capture_address.seller_for(session, first.split("+")[1].split("@")[0]) is None
    assert capture_address.seller_for(session, second.split("+")[1].split("@")[0]).id == seller.id


def test_an_address_of_another_mailbox_or_a_made_up_key_finds_no_one(
    client_for, seller, capture, session
):
    client_for(seller).post("/mail/capture-address")
    session.refresh(seller)
    key = seller.capture_key
    assert capture_address.key_in(capture, [f"crm+{key}@other.example"]) is None
    assert capture_address.key_in(capture, [f"sales+{key}@team.example"]) is None
    assert capture_address.seller_for(session, "abcdefghjkmn") is None
    assert capture_address.seller_for(session, "") is None


def test_two_sellers_never_share_an_address(client_for, seller, other_seller, capture):
    mine, theirs = client_for(seller), client_for(other_seller)
    mine.post("/mail/capture-address")
    theirs.post("/mail/capture-address")
    assert _address(mine.get("/mail").text) != _address(theirs.get("/mail").text)


def test_the_default_visibility_is_the_sellers_choice(client_for, seller, capture, session):
    client = client_for(seller)
    client.post("/mail/capture-default", data={"private": "1"})
    session.refresh(seller)
    assert seller.capture_private
    assert "checked" in client.get("/mail").text.split('name="private"')[1].split(">")[0]
    client.post("/mail/capture-default", data={})
    session.refresh(seller)
    assert not seller.capture_private


def test_without_a_team_mailbox_the_page_says_whom_to_ask(client_for, seller):
    page = client_for(seller).get("/mail")
    assert page.status_code == 200 and "Ask your admin" in page.text
    assert _address(page.text) is None


def test_a_manager_has_no_capture_address(client_for, manager, capture):
    client = client_for(manager)
    assert client.get("/mail").status_code == 403
    assert client.post("/mail/capture-address").status_code == 403


def test_the_admin_sees_the_mailbox_status_and_its_last_error(
    client_for, admin, seller, capture, session
):
    from datetime import timedelta

    from app.core.schema import utcnow
    from app.interop.mail import mailbox

    capture.imap_host = "imap.team.example"
    client = client_for(admin)
    assert "not yet" in client.get("/admin/mail").text
    mailbox.note_failure(session, "imap.team.example:993: connection refused", utcnow())
    mailbox.note_failure(session, "imap.team.example:993: connection refused", utcnow())
    page = client.get("/admin/mail").text
    assert "The last 2 looks failed." in page and "connection refused" in page
    assert not mailbox.due(session, utcnow())  # backing off: 2 minutes after the second
    assert mailbox.due(session, utcnow() + timedelta(minutes=3))
    assert client_for(seller).get("/admin/mail").status_code == 403
