import pytest
from sqlmodel import select

from app.customers.models import Contact


def test_a_seller_creates_a_contact_and_finds_it_without_accents(client_for, seller, make_org):
    client = client_for(seller)
    org = make_org("Boulangerie Dupont")
    r = client.post(
        "/contacts",
        data={"name": "Hélène Lefèvre", "email": "Helene@Example.test", "organization_id": org.id},
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Hélène Lefèvre" in page.text and "Boulangerie Dupont" in page.text
    for query in ("hele", "HÉLÈNE", "lefevre", "dupont", "helene@example"):
        rows = client.get(
            "/contacts",
            params={"q": query},
            headers={"HX-Request": "true", "HX-Target": "contact-rows"},
        )
        assert "Hélène Lefèvre" in rows.text, query
        assert "<html" not in rows.text  # HTMX gets the rows only


def test_search_finds_a_contact_by_phone_digits(client_for, seller, make_contact):
    make_contact("Marc Petit", phone="+33 6 12 34 56 78")
    client = client_for(seller)
    assert "Marc Petit" in client.get("/contacts", params={"q": "0612345678"[1:]}).text


@pytest.mark.parametrize(("walk", "rare"), [(6000, 500), (1, 0)])
def test_the_list_finds_a_number_however_it_was_written(
    client_for, seller, make_contact, walk, rare, monkeypatch, session
):
    """Walked or listed by the index: the spacing typed does not matter, a number typed with
    its calling code finds it stored nationally and the other way round, and a number is
    found from its start, never as digits inside another."""
    from app.customers import search
    from app.customers.service import list_contacts

    monkeypatch.setattr(search, "WALK", walk)
    monkeypatch.setattr(search, "RARE", rare)
    make_contact("Paul Points", phone="06.12.34.56.78")
    make_contact("Rita Abroad", phone="+33 6 27 11 41 29")
    make_contact("Otto Zeros", phone="0033 6 11 22 33 44")
    make_contact("Inès Inside", phone="+33 6 80 06 27 11")  # 0627 11 inside, not at the start
    client = client_for(seller)

    def found(query: str) -> list[str]:
        page = client.get("/contacts", params={"q": query}).text
        return [n for n in ("Paul Points", "Rita Abroad", "Otto Zeros", "Inès Inside") if n in page]

    for typed in ("06 12 34", "+33 6 12 34", "0033 612 34", "06-12-34-56", "6 12 34 56"):
        assert found(typed) == ["Paul Points"], typed
    for typed in (
        "06 27 11",
        "06.27.11",
        "0627",
        "(06) 27 11",
        "0033 6 27",
        "06 2711 4129",
        "０６２７",
    ):
        assert found(typed) == ["Rita Abroad"], typed
    for typed in ("+33 6 27 11", "+33627114129", "+33 (0)6 27 11"):
        assert found(typed) == ["Rita Abroad"], typed
    for typed in ("+33 6 11 22", "06 11 22", "0611223344"):
        assert found(typed) == ["Otto Zeros"], typed
    assert found("06 12 35") == []
    # The API's list reads the same service.
    assert [c.name for c in list_contacts(session, seller, query="06 27 11").items] == [
        "Rita Abroad"
    ]


def test_search_wildcards_are_taken_literally(client_for, seller, make_contact):
    make_contact("Anne Martin")
    client = client_for(seller)
    assert "Anne Martin" not in client.get("/contacts", params={"q": "%"}).text
    assert "Anne Martin" not in client.get("/contacts", params={"q": "_"}).text


def test_the_contact_list_pages_with_a_cursor(client_for, seller, make_contact):
    for i in range(30):
        make_contact(f"Contact {i:02d}")
    client = client_for(seller)
    first = client.get("/contacts")
    assert "Contact 00" in first.text and "Contact 25" not in first.text
    cursor = first.text.split("cursor=")[1].split('"')[0].split("&")[0]
    second = client.get("/contacts", params={"cursor": cursor})
    assert "Contact 25" in second.text and "Contact 24" not in second.text


def test_a_garbled_cursor_starts_from_the_top(client_for, seller, make_contact):
    make_contact("Zoé")
    assert "Zoé" in client_for(seller).get("/contacts", params={"cursor": "!!!garbage"}).text


def test_a_bad_contact_form_keeps_the_input_and_says_why(client_for, seller, session):
    client = client_for(seller)
    r = client.post(
        "/contacts",
        data={"name": "", "email": "not an email", "phone": "06", "organization_id": "999999"},
    )
    assert r.status_code == 400
    assert "This field is required." in r.text
    assert 'value="not an email"' in r.text and 'value="06"' in r.text
    assert session.exec(select(Contact)).first() is None


def test_archiving_hides_a_contact_from_the_list_until_restored(client_for, seller, make_contact):
    contact = make_contact("Paul Archive")
    client = client_for(seller)
    client.post(f"/contacts/{contact.id}/archive")
    assert "Paul Archive" not in client.get("/contacts").text
    assert "Paul Archive" in client.get("/contacts", params={"archived": "true"}).text
    client.post(f"/contacts/{contact.id}/restore")
    assert "Paul Archive" in client.get("/contacts").text


def test_editing_a_contact_keeps_what_was_not_changed(client_for, seller, make_contact):
    contact = make_contact("Jean Valjean", email="jean@example.test", notes="Likes bread")
    client = client_for(seller)
    form = client.get(f"/contacts/{contact.id}/edit")
    assert 'value="jean@example.test"' in form.text
    r = client.post(
        f"/contacts/{contact.id}",
        data={"name": "Jean V.", "email": "jean@example.test", "notes": "Likes bread"},
    )
    assert r.status_code == 303
    page = client.get(f"/contacts/{contact.id}").text
    assert "Jean V." in page and "Likes bread" in page


def test_renaming_an_organization_makes_its_people_findable_by_the_new_name(
    client_for, seller, make_org, make_contact
):
    org = make_org("Old Name")
    make_contact("Iris", organization_id=org.id)
    client = client_for(seller)
    client.post(f"/organizations/{org.id}", data={"name": "Nouvelle Maison"})
    assert "Iris" in client.get("/contacts", params={"q": "nouvelle"}).text


def test_an_organization_page_lists_its_people_and_history(
    client_for, seller, make_org, make_contact, make_activity
):
    org = make_org("Maison Bleue")
    person = make_contact("Chloé", organization_id=org.id)
    make_activity(seller, person, text="Visited the shop")
    page = client_for(seller).get(f"/organizations/{org.id}").text
    assert "Chloé" in page and "Visited the shop" in page


def test_an_unknown_contact_is_a_404_page(client_for, seller):
    r = client_for(seller).get("/contacts/987654")
    assert r.status_code == 404 and "<html" in r.text


def test_a_non_numeric_id_is_a_clear_client_error(client_for, seller):
    assert client_for(seller).get("/contacts/abc").status_code in (400, 404, 422)


def test_the_longest_names_in_any_script_are_stored_and_found(client_for, seller, make_org):
    org = make_org("🏢" * 200)
    client = client_for(seller)
    name = "😀" * 199 + "漢"
    r = client.post(
        "/contacts", data={"name": name, "organization_id": org.id, "notes": "漢字" * 5000}
    )
    assert r.status_code == 303
    assert name in client.get("/contacts", params={"q": "漢"}).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "foo@", "Enter a valid email address."),
        ("email", "zorg@b", "Enter a valid email address."),
        ("phone", "abc 12", "Enter a phone number"),
        ("phone", "12", "Enter a phone number"),
    ],
)
def test_a_contact_form_refuses_what_an_import_would_refuse(
    client_for, seller, session, field, value, message
):
    r = client_for(seller).post("/contacts", data={"name": "Zorglub", field: value})
    assert r.status_code == 400 and message in r.text and f'value="{value}"' in r.text
    assert session.exec(select(Contact)).first() is None


def test_a_new_organization_and_its_first_person_take_one_form(client_for, seller, session):
    from app.customers.models import Organization

    client = client_for(seller)
    form = client.get("/organizations/new").text
    assert "First person there (optional)" in form
    r = client.post(
        "/organizations",
        data={
            "name": "Boulangerie Dupont",
            "contact_name": "Hélène Durand",
            "contact_email": "Helene@Dupont.test",
            "contact_title": "Gérante",
        },
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Boulangerie Dupont" in page and "Hélène Durand" in page
    person = session.exec(select(Contact).where(Contact.name == "Hélène Durand")).one()
    org = session.exec(select(Organization).where(Organization.name == "Boulangerie Dupont")).one()
    assert person.organization_id == org.id and person.email == "helene@dupont.test"


def test_a_wrong_first_person_keeps_the_form_and_saves_nothing(client_for, seller, session):
    from app.customers.models import Organization

    client = client_for(seller)
    r = client.post(
        "/organizations",
        data={"name": "Fromagerie Petit", "contact_name": "Marc Petit", "contact_email": "marc@"},
    )
    assert r.status_code == 400
    assert 'value="Fromagerie Petit"' in r.text and 'value="marc@"' in r.text
    assert 'id="contact_email-error"' in r.text
    assert (
        session.exec(select(Organization).where(Organization.name == "Fromagerie Petit")).first()
        is None
    )
    assert session.exec(select(Contact).where(Contact.name == "Marc Petit")).first() is None


def test_an_organization_alone_still_takes_one_form(client_for, seller):
    r = client_for(seller).post("/organizations", data={"name": "Épicerie Martin"})
    assert r.status_code == 303


@pytest.mark.parametrize(("walk", "rare"), [(6000, 0), (2, 0), (6000, 500)])
def test_a_search_finds_the_same_people_whether_walked_or_listed_by_the_index(
    client_for, seller, make_contact, make_org, walk, rare, monkeypatch, session
):
    """Matches near the first names are found by walking the names in order; when a short
    walk finds too few, the trigram index lists them and the engine sorts them. Both give
    the same list, page after page, archived people left out."""
    from app.customers import search
    from app.customers.service import list_contacts

    monkeypatch.setattr(search, "WALK", walk)
    monkeypatch.setattr(search, "RARE", rare)
    for name in ("Hélène Zidane", "Hélène Adam", "Hélèna Martin", "Marc Petit"):
        make_contact(name)
    gone = make_contact("Hélène Archivée")
    client = client_for(seller)
    client.post(f"/contacts/{gone.id}/archive")
    rows = client.get(
        "/contacts",
        params={"q": "hélè"},
        headers={"HX-Request": "true", "HX-Target": "contact-rows"},
    ).text
    # In name order, accents folded: "helena" before "helene".
    assert rows.index("Hélèna Martin") < rows.index("Hélène Adam") < rows.index("Hélène Zidane")
    assert "Marc Petit" not in rows and "Archivée" not in rows
    names, cursor = [], None
    for _ in range(4):
        page = list_contacts(session, seller, query="hélè", cursor=cursor, limit=1)
        names += [c.name for c in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert names == ["Hélèna Martin", "Hélène Adam", "Hélène Zidane"]


def test_a_persons_email_without_their_name_is_refused_not_dropped(client_for, seller, session):
    from app.customers.models import Organization

    r = client_for(seller).post(
        "/organizations",
        data={"name": "Cave Martin", "contact_email": "paul@cave.test", "contact_phone": "0601"},
    )
    assert r.status_code == 400
    assert 'id="contact_name-error"' in r.text and 'value="paul@cave.test"' in r.text
    assert (
        session.exec(select(Organization).where(Organization.name == "Cave Martin")).first() is None
    )


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Œdipe Roi", "oedipe"),
        ("Søren Ørsted", "orsted"),
        ("Iğdır Ticaret", "igdir"),
        ("Łukasz", "lukasz"),
    ],
)
def test_letters_without_a_separate_accent_are_found_as_typed_on_a_plain_keyboard(
    client_for, seller, name, typed
):
    client = client_for(seller)
    assert client.post("/contacts", data={"name": name}).status_code == 303
    assert name in client.get("/contacts", params={"q": typed}).text
    assert name in client.get("/quick/contacts", params={"contact_query": typed}).text
    assert name in client.get("/contacts", params={"q": name.upper()}).text


def test_a_name_of_invisible_characters_only_is_refused(client_for, seller, session):
    r = client_for(seller).post("/contacts", data={"name": "\u200b\ufeff \u200b"})
    assert r.status_code == 400 and 'id="name-error"' in r.text
    assert session.exec(select(Contact).where(Contact.name.contains("\u200b"))).first() is None


def test_a_line_break_pasted_into_a_name_becomes_a_space_but_notes_keep_theirs(
    client_for, seller, session
):
    r = client_for(seller).post(
        "/contacts", data={"name": "Anne\r\nMarie\u200b", "notes": "first line\nsecond line"}
    )
    assert r.status_code == 303
    person = session.exec(select(Contact).where(Contact.name.startswith("Anne"))).one()
    assert person.name == "Anne Marie" and person.notes == "first line\nsecond line"


@pytest.mark.parametrize("blank", ["\u3164", "\u2800", "\u034f\ufe0f", "\u115f \u200b"])
def test_a_name_of_letters_that_print_as_nothing_is_refused(client_for, seller, blank):
    assert client_for(seller).post("/contacts", data={"name": blank}).status_code == 400


def test_every_kind_of_pasted_line_break_in_a_name_is_one_space(client_for, seller, session):
    r = client_for(seller).post("/contacts", data={"name": " Jean\x85Paul \n\n Vertical\x0bTab "})
    assert r.status_code == 303
    person = session.exec(select(Contact).where(Contact.name.startswith("Jean"))).one()
    assert person.name == "Jean Paul Vertical Tab"
