"""No input the tests try gives a 500: empty, very long, odd unicode, wrong types, unknown ids."""

import pytest

ODD = [
    "",
    " ",
    "x" * 20_000,
    "\x00\x01\x02",
    "Zoë 👩🏽‍💼 \u202eevil\u202c",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%_\\",
    "１２３",
    "\ud7ff",
]

FORMS = {
    "/contacts": [
        "name",
        "email",
        "phone",
        "title",
        "organization_id",
        "tags",
        "notes",
        "language",
    ],
    "/organizations": ["name", "website", "phone", "tags", "notes"],
    "/activities": [
        "contact_query",
        "contact_id",
        "kind",
        "text",
        "visibility",
        "next_step",
        "next_step_due",
        "occurred_at",
    ],
    "/account/preferences": ["language", "timezone"],
    "/account/password": ["current_password", "new_password"],
    "/account/tokens": ["token_name"],
}


@pytest.mark.parametrize("path", sorted(FORMS))
def test_odd_form_values_never_cause_a_server_error(client_for, seller, path):
    client = client_for(seller)
    for value in ODD:
        data = {field: value for field in FORMS[path]}
        r = client.post(path, data=data)
        assert r.status_code < 500, (path, value[:20], r.status_code)
        if r.status_code == 400 or r.status_code == 422:
            assert "<html" in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/0",
        "/contacts/-1",
        "/contacts/99999999999999999999",
        "/organizations/1e3",
        "/activities/%00",
        "/follow-ups/abc/done",
        "/contacts?cursor=%ff%fe",
        "/contacts?archived=maybe",
        "/quick/contacts?contact_query=" + "a" * 5000,
    ],
)
def test_odd_urls_never_cause_a_server_error(client_for, seller, path):
    client = client_for(seller)
    method = client.post if path.endswith("/done") else client.get
    assert method(path).status_code < 500


SEARCHES = [
    "/contacts?q=",
    "/organizations?q=",
    "/deals?q=",
    "/quick/contacts?contact_query=",
    "/api/v1/contacts?q=",
    "/api/v1/organizations?q=",
    "/export/contacts.vcf?q=",
]


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("typed", ["a%00b", "%00", "%01%1f%7f", "%22%27*%5E", "NEAR(a b)"])
def test_a_search_for_control_characters_or_query_syntax_answers_normally(
    client_for, seller, make_contact, search, typed
):
    make_contact("Anne Bernard", email="anne@bernard.test")
    assert client_for(seller).get(search + typed).status_code == 200


def test_a_cursor_carrying_a_nul_starts_from_the_top(client_for, seller, make_contact):
    from app.core.pagination import encode_cursor

    make_contact("Zoé Nul")
    page = client_for(seller).get("/contacts", params={"cursor": encode_cursor("a\x00", 1)})
    assert page.status_code == 200 and "Zoé Nul" in page.text


def test_odd_login_input_never_causes_a_server_error(anon, seller):
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/login").text).group(1)
    for value in ODD:
        r = anon.post("/login", data={"email": value, "password": value, "csrf_token": token})
        assert r.status_code in (400, 429)
