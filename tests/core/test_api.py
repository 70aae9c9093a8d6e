import pytest

from app.auth.service import create_api_token


@pytest.fixture
def api(app, session, seller):
    from fastapi.testclient import TestClient

    _token, raw = create_api_token(session, seller, "tests")
    with TestClient(app, headers={"Authorization": f"Bearer {raw}"}) as client:
        yield client


def test_the_api_creates_lists_and_updates_contacts(api, make_org):
    org = make_org("Acme")
    r = api.post("/api/v1/contacts", json={"name": "Zoé Petit", "organization_id": org.id})
    assert r.status_code == 201
    contact = r.json()
    assert contact["name"] == "Zoé Petit" and contact["organization_id"] == org.id
    r = api.patch(f"/api/v1/contacts/{contact['id']}", json={"title": "CEO"})
    assert r.status_code == 200 and r.json()["title"] == "CEO" and r.json()["name"] == "Zoé Petit"
    listed = api.get("/api/v1/contacts", params={"q": "zoe"}).json()
    assert [c["id"] for c in listed["items"]] == [contact["id"]]


def test_api_lists_page_with_a_cursor(api, make_org):
    for i in range(5):
        make_org(f"Org {i}")
    first = api.get("/api/v1/organizations", params={"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = api.get(
        "/api/v1/organizations", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [o["name"] for o in second["items"]] == ["Org 3", "Org 4"]
    assert second["next_cursor"] is None


def test_the_api_logs_an_activity_with_a_next_step(api, make_contact):
    contact = make_contact()
    r = api.post(
        "/api/v1/activities",
        json={
            "contact_id": contact.id,
            "kind": "meeting",
            "text": "Demo",
            "next_step": "Send quote",
            "next_step_due": "2030-01-15",
        },
    )
    assert r.status_code == 201, r.text
    week = api.get("/api/v1/follow-ups", params={"section": "week"}).json()["items"]
    assert week == []  # 2030 is beyond the next 7 days
    open_ones = api.get("/api/v1/follow-ups").json()["items"]
    assert [(f["what"], f["due_on"]) for f in open_ones] == [("Send quote", "2030-01-15")]
    mine = api.get("/api/v1/activities").json()["items"]
    assert [a["text"] for a in mine] == ["Demo"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/contacts", {}),
        ("/api/v1/contacts", {"name": ""}),
        ("/api/v1/contacts", {"name": "x" * 201}),
        ("/api/v1/contacts", {"name": "Ok", "organization_id": 999999}),
        ("/api/v1/contacts", {"name": "Ok", "organization_id": "abc"}),
        ("/api/v1/contacts", {"name": "Ok", "email": "not an email"}),
        ("/api/v1/contacts", ["not", "an", "object"]),
        ("/api/v1/organizations", {"name": None}),
        ("/api/v1/activities", {"kind": "fax", "contact_id": 1}),
        ("/api/v1/activities", {"contact_id": 999999}),
        ("/api/v1/activities", {"contact_id": 1, "next_step": "x", "next_step_due": "never"}),
        ("/api/v1/activities", {"contact_id": 1, "occurred_at": "yesterday-ish"}),
    ],
)
def test_bad_api_input_gets_a_4xx_with_a_json_body(api, make_contact, path, body):
    make_contact()
    r = api.post(path, json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]


def test_unknown_ids_are_404_json(api):
    for path in ("/api/v1/contacts/424242", "/api/v1/organizations/424242"):
        r = api.get(path)
        assert r.status_code == 404 and r.json()["detail"]


def test_a_pure_manager_token_gets_403_on_records(app, session, manager):
    from fastapi.testclient import TestClient

    _token, raw = create_api_token(session, manager, "mgr")
    with TestClient(app, headers={"Authorization": f"Bearer {raw}"}) as client:
        for path in ("/api/v1/contacts", "/api/v1/organizations", "/api/v1/activities"):
            r = client.get(path)
            assert r.status_code == 403 and r.json()["detail"]


def test_the_openapi_description_is_served(anon):
    spec = anon.get("/api/v1/openapi.json").json()
    assert "/api/v1/contacts" in spec["paths"]
    assert "/contacts" not in spec["paths"]  # pages are not API
    docs = anon.get("/api/docs")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text


def test_the_api_description_lists_the_refusals_each_operation_gives(anon):
    spec = anon.get("/api/v1/openapi.json").json()
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403", "404"):
                if code not in operation["responses"]:
                    missing.append(f"{method.upper()} {path} {code}")
    assert missing == []
    deal = spec["paths"]["/api/v1/deals/{deal_id}"]["patch"]["responses"]
    move = spec["paths"]["/api/v1/deals/{deal_id}/move"]["post"]["responses"]
    assert "409" in deal and "409" in move and "422" in move
