"""Captured and sent mail in the API and the export: a seller's own mail whole; a
colleague's team mail without who wrote it; private mail and mail waiting to be filed never
anyone else's, admins included; managers nothing."""

import csv
import io
import json
import zipfile

import pytest

from app.interop.mail.models import DROPPED, FILED, TO_FILE, MailMessage


def _mail(session, owner, subject, visibility="team", status=FILED, direction="in"):
    message = MailMessage(
        owner_id=owner.id,
        message_id=f"<{subject}@x.test>",
        thread_id=f"<{subject}@x.test>",
        direction=direction,
        subject=subject,
        sender_email=owner.email if direction == "out" else "helene@dupont.example",
        sender_name="Someone",
        addresses="helene@dupont.example",
        text=f"{subject} body",
        files=json.dumps([{"name": "devis.pdf", "size": 3, "sha256": "ab" * 32, "version": 2}]),
        visibility=visibility,
        status=status,
    )
    session.add(message)
    session.commit()
    return message


@pytest.fixture
def mail(session, seller):
    return {
        "team": _mail(session, seller, "team-sent", direction="out", status="sent"),
        "private": _mail(session, seller, "private-one", visibility="private"),
        "waiting": _mail(session, seller, "waiting-one", status=TO_FILE),
        "dropped": _mail(session, seller, "dropped-one", status=DROPPED),
    }


def test_the_api_shows_a_seller_all_their_mail_and_a_colleague_only_the_team_mail(
    api_for, seller, other_seller, admin, manager, mail
):
    mine = api_for(seller).get("/api/v1/mail").json()["items"]
    assert {m["subject"] for m in mine} == {
        "team-sent",
        "private-one",
        "waiting-one",
        "dropped-one",
    }
    sent = next(m for m in mine if m["subject"] == "team-sent")
    assert sent["owner_id"] == seller.id and sent["files"][0]["version"] == 2
    for user in (other_seller, admin):
        client = api_for(user)
        [seen] = client.get("/api/v1/mail").json()["items"]
        assert seen["subject"] == "team-sent"
        assert (seen["owner_id"], seen["sender_email"], seen["sender_name"]) == (None, None, None)
        for hidden in ("private", "waiting", "dropped"):
            assert client.get(f"/api/v1/mail/{mail[hidden].id}").status_code == 404
        assert client.get(f"/api/v1/mail/{mail['team'].id}").status_code == 200
    boss = api_for(manager)
    assert boss.get("/api/v1/mail").status_code == 403
    assert boss.get(f"/api/v1/mail/{mail['team'].id}").status_code == 403


def test_the_api_pages_mail_and_narrows_it_to_a_thread(api_for, seller, mail):
    client = api_for(seller)
    first = client.get("/api/v1/mail?limit=3").json()
    rest = client.get(f"/api/v1/mail?limit=3&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    thread = client.get("/api/v1/mail", params={"thread_id": "<team-sent@x.test>"}).json()
    assert [m["subject"] for m in thread["items"]] == ["team-sent"]


def _export(client) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(client.get("/export/everything.zip").content))
    rows = list(csv.DictReader(io.StringIO(archive.read("mail.csv").decode("utf-8-sig"))))
    data = json.loads(archive.read("carnet.json"))["data"]["mail"]
    return {"csv": rows, "json": data}


def test_the_export_holds_mail_by_the_same_rules(client_for, seller, other_seller, admin, mail):
    mine = _export(client_for(seller))
    assert {r["subject"] for r in mine["csv"]} == {
        "team-sent",
        "private-one",
        "waiting-one",
        "dropped-one",
    }
    for user in (other_seller, admin):
        theirs = _export(client_for(user))
        [row] = theirs["csv"]
        assert row["subject"] == "team-sent" and row["owner_id"] == row["sender_email"] == ""
        [item] = theirs["json"]
        assert item["subject"] == "team-sent" and item["owner_id"] is None
