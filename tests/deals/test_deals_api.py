"""The deals and documents API: same services, same guardrails, same scoping."""

import pytest

from tests.test_privacy_routes import ACCESS, _call, _url


def test_the_api_refuses_a_move_naming_what_is_missing_then_accepts_it_with_the_quote(
    api_for, seller, stage_by_key
):
    api = api_for(seller)
    deal = api.post("/api/v1/deals", json={"title": "Ovens", "amount": "1200.50"}).json()
    assert (deal["amount_minor"], deal["currency"]) == (120050, "EUR")
    quote_sent = stage_by_key("quote_sent").id
    r = api.post(f"/api/v1/deals/{deal['id']}/move", json={"stage_id": quote_sent})
    assert r.status_code == 422
    assert r.json()["missing"] == ["quote"]
    assert r.json()["missing_labels"] == ["a current quote document"]
    up = api.post(
        "/api/v1/documents",
        data={"kind": "quote", "deal_id": str(deal["id"])},
        files={"file": ("quote.pdf", b"%PDF-1.4 q1", "application/pdf")},
    )
    assert up.status_code == 201, up.text
    document = up.json()
    assert document["versions"][0]["sha256"] and document["versions"][0]["size"] == 11
    r = api.post(
        f"/api/v1/deals/{deal['id']}/move",
        json={"stage_id": quote_sent, "version": deal["version"]},
    )
    assert r.status_code == 200 and r.json()["stage_id"] == quote_sent
    v2 = api.post(
        f"/api/v1/documents/{document['id']}/versions",
        files={"file": ("quote-v2.pdf", b"%PDF-1.4 q2", "application/pdf")},
    )
    assert v2.status_code == 201 and v2.json()["number"] == 2
    versions = api.get(f"/api/v1/documents/{document['id']}").json()["versions"]
    assert [(v["number"], v["is_current"]) for v in versions] == [(2, True), (1, False)]
    old = api.get(f"/api/v1/documents/{document['id']}/download", params={"version": 1})
    assert old.content == b"%PDF-1.4 q1"
    assert old.headers["content-disposition"] == 'attachment; filename="quote.pdf"'


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"amount": "12.345", "currency": "EUR"}, "EUR amounts have at most 2 decimals."),
        ({"amount": 10.5, "currency": "JPY"}, "JPY amounts have no decimals."),
        ({"amount": "10", "currency": "EURO"}, "Unknown currency"),
        ({"expected_close_on": "31/31/2026"}, "date"),
    ],
)
def test_the_api_answers_bad_deal_input_with_a_json_422(api_for, seller, payload, message):
    r = api_for(seller).post("/api/v1/deals", json={"title": "Ovens", **payload})
    assert r.status_code == 422
    assert message in str(r.json()["detail"])


def test_a_patch_based_on_an_old_version_is_a_409(api_for, seller, other_seller):
    mine, theirs = api_for(seller), api_for(other_seller)
    deal = mine.post("/api/v1/deals", json={"title": "Ovens"}).json()
    r = theirs.patch(f"/api/v1/deals/{deal['id']}", json={"title": "Ovens x2", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = mine.patch(f"/api/v1/deals/{deal['id']}", json={"title": "Big ovens", "version": 1})
    assert r.status_code == 409 and "detail" in r.json()
    assert mine.get(f"/api/v1/deals/{deal['id']}").json()["title"] == "Ovens x2"


def test_the_api_lists_my_deals_and_the_teams_never_one_colleagues(
    api_for, seller, other_seller, make_deal
):
    make_deal("Mine")
    make_deal("Theirs", owner=other_seller)
    api = api_for(seller)
    assert [d["title"] for d in api.get("/api/v1/deals").json()["items"]] == ["Mine"]
    team = {d["title"] for d in api.get("/api/v1/deals", params={"scope": "team"}).json()["items"]}
    assert team == {"Mine", "Theirs"}
    assert (
        api.get("/api/v1/deals", params={"owner_id": other_seller.id}).json()["items"][0]["title"]
        == "Mine"
    )


def test_the_stages_are_readable_in_the_users_language(api_for, seller):
    stages = api_for(seller).get("/api/v1/stages").json()
    assert [s["name"] for s in stages][:4] == ["Lead", "Qualified", "Meeting", "Quote sent"]
    assert stages[3]["required_facts"] == ["quote"]


DEAL_AND_DOCUMENT_ROUTES = sorted(
    key for key in ACCESS if "deal" in key[1] or "document" in key[1] or "stage" in key[1]
)


def test_a_pure_manager_gets_403_on_every_deal_and_document_route(
    world, client_for, api_for, manager
):
    assert len(DEAL_AND_DOCUMENT_ROUTES) > 30
    page_client, api_client = client_for(manager), api_for(manager)
    refused = {}
    for method, path in DEAL_AND_DOCUMENT_ROUTES:
        url = _url(path, world)
        client = api_client if url.startswith("/api/") else page_client
        refused[(method, path)] = _call(client, method, url).status_code
    assert {k: v for k, v in refused.items() if v != 403} == {}


def test_a_version_beyond_any_database_integer_is_a_422_not_a_crash(api_for, seller):
    api = api_for(seller)
    deal = api.post("/api/v1/deals", json={"title": "Ovens"}).json()
    huge = 10**23
    r = api.patch(f"/api/v1/deals/{deal['id']}", json={"title": "Big ovens", "version": huge})
    assert r.status_code == 422 and "version" in str(r.json()["detail"])
    assert api.get(f"/api/v1/deals/{deal['id']}").json()["title"] == "Ovens"
