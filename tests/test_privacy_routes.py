"""Every route, every role: the expected-access table (DESIGN.md R1, R2, R3, R5, R6).

A route registered on the app without an entry here fails the suite, so a new
route cannot ship without someone deciding who may call it.
"""

import re

import pytest

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: routes are flat already
    iter_route_contexts = None

PUBLIC = "public"  # anyone, no account
SIGNED_IN = "signed_in"  # any account, manager included
RECORDS = "records"  # sellers and admins; a pure manager gets 403 (R5)
OWN_RECORD = "own_record"  # the author/owner only; others, admins included, get 404 (R2)
ADMIN = "admin"  # admins only
MANAGER = "manager"  # managers only: K-suppressed team aggregates (R4)
OWN_ACCOUNT = "own_account"  # a thing of the account's own (API token): others get 404

ACCESS = {
    ("GET", "/password/forgot"): PUBLIC,
    ("POST", "/password/forgot"): PUBLIC,
    ("GET", "/password/reset/{token}"): PUBLIC,
    ("POST", "/password/reset/{token}"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/setup"): PUBLIC,
    # The second step of signing in: the signed half-sign-in cookie is the only key.
    ("GET", "/login/code"): PUBLIC,
    ("POST", "/login/code"): PUBLIC,
    ("GET", "/login/two-step"): PUBLIC,
    ("POST", "/login/two-step"): PUBLIC,
    ("POST", "/setup"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    # Health checks for a load balancer: no record, no account, no detail of the database.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # The customer's survey page: the signed link is the only key.
    ("GET", "/s/{token}"): PUBLIC,
    # A calendar app fetches the feed alone: the signed URL is the key.
    ("GET", "/calendar/{calendar_token}.ics"): PUBLIC,
    ("GET", "/calendar"): RECORDS,
    ("POST", "/calendar"): RECORDS,
    ("POST", "/calendar/revoke"): RECORDS,
    # The seller's own capture address and its default: each acts on the caller's account.
    ("GET", "/mail"): RECORDS,
    ("POST", "/mail/capture-address"): RECORDS,
    ("POST", "/mail/capture-default"): RECORDS,
    ("GET", "/admin/mail"): ADMIN,
    # Captured mail waiting to be filed is its seller's alone (R2).
    ("GET", "/mail/to-file"): RECORDS,
    ("POST", "/mail/to-file/{message_id}/file"): OWN_RECORD,
    ("POST", "/mail/to-file/{message_id}/new-contact"): OWN_RECORD,
    ("POST", "/mail/to-file/{message_id}/drop"): OWN_RECORD,
    # Writing to a customer from a record: whoever may see the record (its private documents
    # and activities stay their author's, tested in tests/interop/mail/test_sending.py).
    ("GET", "/mail/compose"): RECORDS,
    ("POST", "/mail/compose"): RECORDS,
    ("POST", "/mail/survey"): RECORDS,
    ("POST", "/mail/draft"): RECORDS,
    ("GET", "/admin/mail-templates"): ADMIN,
    ("POST", "/admin/mail-templates"): ADMIN,
    ("GET", "/admin/mail-templates/{template_id}"): ADMIN,
    ("POST", "/admin/mail-templates/{template_id}"): ADMIN,
    ("POST", "/admin/mail-templates/{template_id}/delete"): ADMIN,
    ("GET", "/contacts/{contact_id}/vcard"): RECORDS,
    ("GET", "/export/contacts.vcf"): RECORDS,
    ("GET", "/import/vcard"): RECORDS,
    ("POST", "/import/vcard"): RECORDS,
    ("GET", "/imports"): RECORDS,
    ("POST", "/imports"): RECORDS,
    # An import (its file, its report) is its author's only.
    ("GET", "/imports/{import_id}"): OWN_RECORD,
    ("POST", "/imports/{import_id}/mapping"): OWN_RECORD,
    ("POST", "/imports/{import_id}/run"): OWN_RECORD,
    ("POST", "/imports/{import_id}/cancel"): OWN_RECORD,
    ("GET", "/imports/{import_id}/progress"): OWN_RECORD,
    ("POST", "/imports/{import_id}/undo"): OWN_RECORD,
    ("GET", "/export"): RECORDS,
    ("GET", "/export/everything.zip"): RECORDS,
    ("GET", "/admin/webhooks"): ADMIN,
    ("POST", "/admin/webhooks"): ADMIN,
    ("POST", "/admin/webhooks/{webhook_id}/delete"): ADMIN,
    ("GET", "/admin/handover"): ADMIN,
    ("POST", "/admin/handover"): ADMIN,
    ("POST", "/s/{token}"): PUBLIC,
    ("POST", "/contacts/{contact_id}/surveys"): RECORDS,
    ("POST", "/deals/{deal_id}/surveys"): RECORDS,
    ("GET", "/admin/settings"): ADMIN,
    ("POST", "/admin/settings"): ADMIN,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("HEAD", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/preferences"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("GET", "/account/two-step"): SIGNED_IN,
    ("POST", "/account/two-step"): SIGNED_IN,
    ("POST", "/account/two-step/codes"): SIGNED_IN,
    ("POST", "/account/two-step/off"): SIGNED_IN,
    ("POST", "/admin/two-step"): ADMIN,
    ("POST", "/admin/users/{user_id}/two-step/off"): ADMIN,
    ("POST", "/account/tokens/{token_id}/revoke"): OWN_ACCOUNT,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("GET", "/contacts"): RECORDS,
    ("GET", "/contacts/new"): RECORDS,
    ("POST", "/contacts"): RECORDS,
    ("GET", "/contacts/{contact_id}"): RECORDS,
    ("GET", "/contacts/{contact_id}/timeline"): RECORDS,
    ("GET", "/contacts/{contact_id}/edit"): RECORDS,
    ("GET", "/contacts/{contact_id}/history"): RECORDS,
    ("POST", "/contacts/{contact_id}"): RECORDS,
    ("POST", "/contacts/{contact_id}/archive"): RECORDS,
    ("POST", "/contacts/{contact_id}/restore"): RECORDS,
    ("GET", "/contacts/{contact_id}/personal-data.json"): RECORDS,
    ("POST", "/contacts/{contact_id}/erase"): RECORDS,
    ("GET", "/organizations"): RECORDS,
    ("GET", "/organizations/new"): RECORDS,
    ("POST", "/organizations"): RECORDS,
    ("GET", "/organizations/{organization_id}"): RECORDS,
    ("GET", "/organizations/{organization_id}/timeline"): RECORDS,
    ("GET", "/organizations/{organization_id}/edit"): RECORDS,
    ("GET", "/organizations/{organization_id}/history"): RECORDS,
    ("POST", "/organizations/{organization_id}"): RECORDS,
    ("POST", "/organizations/{organization_id}/archive"): RECORDS,
    ("POST", "/organizations/{organization_id}/restore"): RECORDS,
    ("GET", "/today"): RECORDS,
    ("GET", "/quick/contacts"): RECORDS,
    ("GET", "/quick/deals"): RECORDS,
    ("GET", "/follow-ups"): RECORDS,
    ("GET", "/activities/new"): RECORDS,
    ("POST", "/activities"): RECORDS,
    ("GET", "/activities"): RECORDS,
    ("GET", "/activities/{activity_id}"): OWN_RECORD,
    ("POST", "/activities/{activity_id}"): OWN_RECORD,
    ("POST", "/follow-ups/{follow_up_id}/done"): OWN_RECORD,
    ("POST", "/follow-ups/{follow_up_id}/undo"): OWN_RECORD,
    ("POST", "/follow-ups/{follow_up_id}/reschedule"): OWN_RECORD,
    ("GET", "/api/v1/organizations"): RECORDS,
    ("POST", "/api/v1/organizations"): RECORDS,
    ("GET", "/api/v1/organizations/{organization_id}"): RECORDS,
    ("PATCH", "/api/v1/organizations/{organization_id}"): RECORDS,
    ("GET", "/api/v1/contacts"): RECORDS,
    ("POST", "/api/v1/contacts"): RECORDS,
    ("GET", "/api/v1/contacts/{contact_id}"): RECORDS,
    ("PATCH", "/api/v1/contacts/{contact_id}"): RECORDS,
    ("GET", "/api/v1/activities"): RECORDS,
    ("POST", "/api/v1/activities"): RECORDS,
    ("GET", "/api/v1/activities/{activity_id}"): OWN_RECORD,
    ("PATCH", "/api/v1/activities/{activity_id}"): OWN_RECORD,
    ("GET", "/api/v1/follow-ups"): RECORDS,
    ("PATCH", "/api/v1/follow-ups/{follow_up_id}"): OWN_RECORD,
    # Deals are shared inside the team (R1); a pure manager sees none (R5).
    ("GET", "/deals"): RECORDS,
    ("GET", "/deals/board"): RECORDS,
    ("GET", "/deals/new"): RECORDS,
    ("POST", "/deals"): RECORDS,
    ("GET", "/deals/{deal_id}"): RECORDS,
    ("GET", "/deals/{deal_id}/timeline"): RECORDS,
    ("GET", "/deals/{deal_id}/history"): RECORDS,
    ("GET", "/deals/{deal_id}/edit"): RECORDS,
    ("POST", "/deals/{deal_id}"): RECORDS,
    ("POST", "/deals/{deal_id}/move"): RECORDS,
    ("POST", "/deals/{deal_id}/contacts"): RECORDS,
    ("POST", "/deals/{deal_id}/contacts/{contact_id}/remove"): RECORDS,
    ("POST", "/deals/{deal_id}/documents"): RECORDS,
    ("POST", "/organizations/{organization_id}/documents"): RECORDS,
    ("POST", "/contacts/{contact_id}/documents"): RECORDS,
    # The world's document is attached to a private activity: its author's alone (R2).
    ("POST", "/activities/{activity_id}/documents"): OWN_RECORD,
    ("GET", "/documents/{document_id}"): OWN_RECORD,
    ("GET", "/documents/{document_id}/download"): OWN_RECORD,
    ("POST", "/documents/{document_id}/versions"): OWN_RECORD,
    ("GET", "/admin/stages"): ADMIN,
    ("POST", "/admin/stages"): ADMIN,
    ("POST", "/admin/stages/{stage_id}"): ADMIN,
    ("POST", "/admin/stages/{stage_id}/up"): ADMIN,
    ("POST", "/admin/stages/{stage_id}/down"): ADMIN,
    ("POST", "/admin/stages/{stage_id}/delete"): ADMIN,
    ("GET", "/api/v1/stages"): RECORDS,
    ("GET", "/api/v1/deals"): RECORDS,
    ("POST", "/api/v1/deals"): RECORDS,
    ("GET", "/api/v1/deals/{deal_id}"): RECORDS,
    ("PATCH", "/api/v1/deals/{deal_id}"): RECORDS,
    ("POST", "/api/v1/deals/{deal_id}/move"): RECORDS,
    ("GET", "/api/v1/mail"): RECORDS,
    ("GET", "/api/v1/mail/{message_id}"): OWN_RECORD,
    ("GET", "/api/v1/documents"): RECORDS,
    ("POST", "/api/v1/documents"): RECORDS,
    ("GET", "/api/v1/documents/{document_id}"): OWN_RECORD,
    ("POST", "/api/v1/documents/{document_id}/versions"): OWN_RECORD,
    ("GET", "/api/v1/documents/{document_id}/download"): OWN_RECORD,
    # My reports are about me only (R3); team outcomes are aggregates for managers (R4).
    ("GET", "/reports"): RECORDS,
    ("GET", "/api/v1/reports/mine"): RECORDS,
    ("GET", "/reports/team"): MANAGER,
    ("GET", "/reports/team.csv"): MANAGER,
    ("GET", "/api/v1/reports/team"): MANAGER,
}

# Static files are public by nature and carry no records.
IGNORED_PATHS = {"/static"}


def registered_routes(app) -> set[tuple[str, str]]:
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    found = set()
    for route in routes:
        if route.path in IGNORED_PATHS:
            continue
        for method in route.methods or []:
            found.add((method, route.path))
    return found


def routes_without_entry(app) -> set[tuple[str, str]]:
    return registered_routes(app) - set(ACCESS)


def test_every_route_has_an_access_entry(app):
    missing = routes_without_entry(app)
    assert not missing, f"Routes without an entry in ACCESS: {sorted(missing)}"


def test_the_table_has_no_stale_entries(app):
    assert set(ACCESS) - registered_routes(app) == set()


def test_a_route_added_without_an_entry_is_caught(app):
    @app.get("/contacts/{contact_id}/secret-report")
    def secret_report(contact_id: int):
        return {"ok": True}

    assert routes_without_entry(app) == {("GET", "/contacts/{contact_id}/secret-report")}


def _url(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def _call(client, method, url):
    if method in ("POST", "PATCH", "PUT", "DELETE"):
        if url.startswith("/api/"):
            return client.request(method, url, json={})
        return client.request(method, url, data={"csrf_token": client.csrf})
    return client.request(method, url)


def _denied_anonymously(response, url):
    if url.startswith("/api/"):
        return response.status_code == 401
    return response.status_code in (303, 401) and "/login" in response.headers.get(
        "location", response.headers.get("hx-redirect", "")
    )


ROLES = ["anonymous", "seller", "other_seller", "manager", "admin"]


def expected(access: str, role: str) -> str:
    """'ok' (not refused), 'login', 'forbidden' (403) or 'hidden' (404)."""
    if access == PUBLIC:
        return "ok"
    if role == "anonymous":
        return "login"
    if access == SIGNED_IN:
        return "ok"
    if access == OWN_ACCOUNT:
        return "ok" if role == "seller" else "hidden"
    if access == ADMIN:
        return "ok" if role == "admin" else "forbidden"
    if access == MANAGER:
        return "ok" if role == "manager" else "forbidden"
    if role == "manager":
        return "forbidden"
    if access == RECORDS:
        return "ok"
    # OWN_RECORD: the world's records belong to `seller`.
    return "ok" if role == "seller" else "hidden"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_access_in_the_table(
    role, world, anon, client_for, seller, other_seller, manager, admin
):
    users = {"seller": seller, "other_seller": other_seller, "manager": manager, "admin": admin}
    failures = []
    client = anon if role == "anonymous" else client_for(users[role])
    for (method, path), access in sorted(ACCESS.items()):
        if path in ("/logout",):
            continue  # would end the session the rest of the loop uses; tested in test_auth
        url = _url(path, world)
        response = _call(client, method, url)
        want = expected(access, role)
        status = response.status_code
        if want == "ok":
            ok = status < 500 and status not in (401, 403, 404)
        elif want == "login":
            ok = _denied_anonymously(response, url)
        elif want == "forbidden":
            ok = status == 403
        else:
            ok = status == 404
        if not ok:
            failures.append(f"{role} {method} {url}: got {status}, expected {want}")
    assert not failures, "\n".join(failures)
