"""R3 in bulk paths: lists, API collections and exports say what was done and won, never
which colleague did or won it; record pages still name people (R1)."""

import io
import json
import zipfile
from decimal import Decimal

from app.deals.models import DealMove
from app.deals.service import move_deal


def _won(session, make_deal, stage_by_key, owner, title):
    deal = make_deal(title, owner=owner)
    move = DealMove(
        stage_id=stage_by_key("won").id, amount=Decimal("777"), expected_close_on="2026-11-30"
    )
    return move_deal(session, owner, deal, move)


def test_the_team_deal_list_does_not_say_who_won_a_colleagues_deal(
    client_for, api_for, seller, other_seller, make_deal, stage_by_key, session
):
    theirs = _won(session, make_deal, stage_by_key, other_seller, "Their win")
    mine = _won(session, make_deal, stage_by_key, seller, "My win")
    api = api_for(seller).get("/api/v1/deals", params={"scope": "team", "status": "won"}).json()
    owners = {d["title"]: d["owner_id"] for d in api["items"]}
    assert owners == {"Their win": None, "My win": seller.id}
    page = client_for(seller).get("/deals?scope=team&status=won").text
    assert "Their win" in page and other_seller.name not in page.split("<tbody")[1]
    # The deal's own page still says whose it is (colleagues carry on each other's work).
    assert other_seller.name in client_for(seller).get(f"/deals/{theirs.id}").text
    assert mine.owner_id == seller.id


def test_the_activities_collection_does_not_name_colleagues(
    api_for, seller, other_seller, make_contact, make_activity
):
    contact = make_contact()
    make_activity(other_seller, contact, text="Their call")
    make_activity(seller, contact, text="My call")
    items = api_for(seller).get("/api/v1/activities", params={"contact_id": contact.id}).json()
    authors = {a["text"]: a["author_id"] for a in items["items"]}
    assert authors == {"Their call": None, "My call": seller.id}


def test_a_sellers_export_carries_no_colleagues_authors_or_results(
    client_for, seller, other_seller, make_contact, make_activity, make_deal, stage_by_key, session
):
    contact = make_contact()
    make_activity(other_seller, contact, text="Their call", next_step="Call", next_step_due="+2d")
    make_activity(seller, contact, text="My call", next_step="Mine", next_step_due="+3d")
    _won(session, make_deal, stage_by_key, other_seller, "Their win")
    r = client_for(seller).get("/export/everything.zip")
    data = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("carnet.json"))["data"]
    assert {a["author_id"] for a in data["activities"] if a["text"] == "Their call"} == {None}
    # Their follow-up has no owner either: joined to its activity it would name them.
    owners = {f["what"]: f["owner_id"] for f in data["follow_ups"]}
    assert owners == {"Call": None, "Mine": seller.id}
    assert [d["owner_id"] for d in data["deals"] if d["title"] == "Their win"] == [None]
    assert other_seller.id not in {a["author_id"] for a in data["activities"]}
