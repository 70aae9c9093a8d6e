"""The markup every page shares, read over HTTP: form fields, the navigation, the web app
manifest, error summaries and contact rows."""

import json
from html.parser import HTMLParser


class _Elements(HTMLParser):
    """Every start tag with its attributes, in page order."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def _elements(html: str, tag: str, **match: str) -> list[dict[str, str | None]]:
    parser = _Elements()
    parser.feed(html)
    return [
        attrs
        for name, attrs in parser.found
        if name == tag and all(attrs.get(k) == v for k, v in match.items())
    ]


def _one(html: str, tag: str, **match: str) -> dict[str, str | None]:
    found = _elements(html, tag, **match)
    assert len(found) == 1, (tag, match, found)
    return found[0]


def test_the_field_macro_writes_autofocus_and_maxlength_as_two_attributes(client_for, seller):
    page = client_for(seller).get("/contacts/new").text
    assert " autofocus" in page and ' maxlength="200"' in page
    assert "autofocusmaxlength" not in page
    name = _one(page, "input", id="f-name")
    assert "autofocus" in name and name["maxlength"] == "200" and "required" in name
    assert _one(page, "input", id="f-email")["maxlength"] == "254"


def test_after_a_refused_contact_form_the_field_in_error_takes_the_focus(client_for, seller):
    r = client_for(seller).post("/contacts", data={"name": "Nadia", "email": "not an email"})
    assert r.status_code == 400
    email = _one(r.text, "input", id="f-email")
    assert "autofocus" in email
    assert email["aria-invalid"] == "true"
    assert email["aria-describedby"] == "email-error"
    assert _one(r.text, "p", id="email-error")
    name = _one(r.text, "input", id="f-name")
    assert "autofocus" not in name and "aria-invalid" not in name
    main = r.text.split("<main")[1].split("</main>")[0]
    assert len([a for a in _elements(main, "input") if "autofocus" in a]) == 1


def test_the_navigation_marks_the_section_of_the_page(client_for, seller, make_contact):
    contact = make_contact("Marc Petit")
    client = client_for(seller)
    for path, section in [("/contacts", "/contacts"), (f"/contacts/{contact.id}", "/contacts")]:
        page = client.get(path).text
        current = [a["href"] for a in _elements(page, "a") if a.get("aria-current") == "page"]
        # Once in the top bar, once in the bottom bar.
        assert current == [section, section], path
    today = client.get("/today").text
    assert [a["href"] for a in _elements(today, "a", **{"aria-current": "page"})] == [
        "/today",
        "/today",
    ]


def test_the_bottom_bar_has_five_shortcuts_and_log_opens_quick_entry(client_for, seller):
    page = client_for(seller).get("/today").text
    bar = page.split('<nav class="bottombar"')[1].split("</nav>")[0]
    hrefs = [a["href"] for a in _elements(bar, "a")]
    assert hrefs[:4] == ["/today", "/contacts", "/activities/new", "/deals/board"]
    assert "data-quick-entry" in _one(bar, "a", href="/activities/new", **{"class": "log-bottom"})
    assert _elements(bar, "summary"), "More opens the rest"
    for more in ("/organizations", "/deals", "/reports", "/imports", "/export", "/account"):
        assert more in hrefs


def test_an_admin_finds_the_admin_pages_under_more(client_for, admin, seller):
    page = client_for(admin).get("/today").text
    bar = page.split('<nav class="bottombar"')[1].split("</nav>")[0]
    assert "/admin/users" in bar and "/admin/webhooks" in bar
    assert "/admin/users" not in client_for(seller).get("/today").text


def test_the_web_app_manifest_is_linked_and_served_with_its_icons(client_for, seller, anon):
    page = client_for(seller).get("/today").text
    assert _one(page, "link", rel="manifest")["href"] == "/static/manifest.webmanifest"
    assert _one(page, "meta", name="theme-color")["content"]
    r = anon.get("/static/manifest.webmanifest")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(r.text)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        served = anon.get(icon["src"])
        assert served.status_code == 200 and served.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            assert served.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_navigation_icons_are_in_the_sprite(client_for, seller, anon):
    page = client_for(seller).get("/today").text
    used = {u["href"].split("#")[1] for u in _elements(page, "use")}
    sprite = anon.get("/static/icons.svg").text
    assert {"today", "contacts", "log", "pipeline", "more"} <= used
    for name in used:
        assert f'<symbol id="{name}"' in sprite, name


def test_a_contact_row_calls_and_mails_from_a_phone(client_for, seller, make_contact):
    make_contact("Marc Petit", phone="+33 6 12 34 56 78", email="marc@example.test")
    page = client_for(seller).get("/contacts").text
    phone = _one(page, "a", href="tel:+33612345678")
    assert phone is not None
    assert _one(page, "a", href="mailto:marc@example.test") is not None
    # Neither is in a cell hidden on small screens.
    row = page.split("Marc Petit")[1].split("</tr>")[0]
    assert "hide-sm" not in row


def test_the_facts_a_move_misses_are_announced_by_a_valid_alert(
    client_for, seller, make_deal, stage_by_key
):
    deal = make_deal()
    data = {"stage_id": str(stage_by_key("won").id), "version": str(deal.version)}
    r = client_for(seller).post(f"/deals/{deal.id}/move", data=data)
    assert r.status_code == 422
    assert not [a for a in _elements(r.text, "ul") if a.get("role") == "alert"]
    alert = r.text.split('role="alert"')[1].split("</div>")[0]
    assert '<ul class="missing">' in alert and "<li>" in alert
