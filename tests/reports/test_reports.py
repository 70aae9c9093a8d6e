"""Reports through HTTP: mine are mine; the team's are K-suppressed on page, CSV and API."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.deals.models import DealMove
from app.deals.service import move_deal
from tests.factories import PASSWORD

THIS_MONTH = date.today().replace(day=1) + timedelta(days=2)
# Team figures cover months that are over: a day of the last one.
LAST_MONTH = date.today().replace(day=1) - timedelta(days=20)


@pytest.fixture
def win(session, make_deal, make_contact, stage_by_key):
    def won(owner, amount="1000", title="Ovens", on=None):
        deal = make_deal(title, owner=owner, contact_id=make_contact().id)
        deal.won_on = on
        move_deal(
            session,
            owner,
            deal,
            DealMove(
                stage_id=stage_by_key("won").id,
                amount=Decimal(amount),
                expected_close_on=THIS_MONTH,
            ),
        )
        return deal

    return won


def _team(make_user, n):
    return [make_user(f"s{i}@example.test", is_seller=True) for i in range(n)]


def test_a_sellers_report_shows_only_their_own_results(client_for, seller, other_seller, win):
    win(seller, "1000")
    win(other_seller, "7777")
    page = client_for(seller).get("/reports").text
    assert "€1,000.00" in page and "7,777" not in page


def test_my_reports_through_the_api(api_for, seller, other_seller, win):
    win(seller, "1000")
    win(other_seller, "7777")
    data = api_for(seller).get("/api/v1/reports/mine").json()
    month = date.today().strftime("%Y-%m")
    assert data["won_by_month"][month] == {"EUR": 100000}
    assert data["won_count"] == 1 and data["win_rate"] == 1.0


def test_with_two_sellers_the_manager_sees_suppressed_cells_everywhere(
    client_for, api_for, manager, make_user, win
):
    a, b = _team(make_user, 2)
    win(a, "1000", on=LAST_MONTH)
    win(b, "2000", on=LAST_MONTH)
    page = client_for(manager).get("/reports/team").text
    revenue = page.split('id="table-revenue"')[1].split("</section>")[0]
    assert "fewer than 3 contributors" in revenue
    assert "1,000" not in revenue and "2,000" not in revenue and "3,000" not in revenue
    csv = client_for(manager).get("/reports/team.csv").text
    assert "fewer than 3 contributors" in csv
    assert "3,000" not in csv and "1,000" not in csv and "2,000" not in csv
    api = api_for(manager).get("/api/v1/reports/team").json()
    cells = [
        c for t in api["tables"] if t["key"] == "revenue" for r in t["rows"] for c in r["cells"]
    ]
    assert any(c["suppressed"] and c["value"] is None for c in cells)
    assert all(c["value"] in (None, 0) or not c["suppressed"] for c in cells)
    assert "300000" not in str(api) and "100000" not in str(api)


def test_with_three_sellers_the_numbers_appear(client_for, manager, make_user, win):
    for seller, amount in zip(_team(make_user, 3), ("1000", "2000", "3000"), strict=True):
        win(seller, amount, on=LAST_MONTH)
    page = client_for(manager).get("/reports/team").text
    revenue = page.split('id="table-revenue"')[1].split("</section>")[0]
    assert "€6,000.00" in revenue and "fewer than" not in revenue


def test_sellers_and_admins_cannot_see_team_outcomes(client_for, api_for, seller, admin):
    for user in (seller, admin):
        assert client_for(user).get("/reports/team").status_code == 403
        assert client_for(user).get("/reports/team.csv").status_code == 403
        assert api_for(user).get("/api/v1/reports/team").status_code == 403


def test_the_group_size_never_drops_below_three(client_for, manager, make_user, win, settings):
    settings.min_group_size = 1
    a, b = _team(make_user, 2)
    win(a, on=LAST_MONTH)
    win(b, on=LAST_MONTH)
    assert "fewer than 3 contributors" in client_for(manager).get("/reports/team").text


FRENCH_MONTHS = [
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]
TODAY = LAST_MONTH
# A quarter that the last 12 whole months always hold in full: the one of six months ago.
SIX_AGO = (date.today().replace(day=1) - timedelta(days=6 * 30 - 15)).replace(day=1)
QUARTER = (SIX_AGO.month - 1) // 3 + 1


def _section(page: str, marker: str) -> str:
    return page.split(marker)[1].split("</section>")[0]


def _svg(section: str) -> str:
    return section.split("<svg")[1].split("</svg>")[0]


def test_team_outcomes_read_months_and_quarters_in_the_readers_language(
    client_for, api_for, manager, make_user, win
):
    for seller in _team(make_user, 3):
        win(seller, on=LAST_MONTH)
    key = TODAY.strftime("%Y-%m")
    english = _section(client_for(manager).get("/reports/team").text, 'id="table-revenue"')
    assert f"{TODAY:%b} {TODAY.year}" in english and f"Q{QUARTER} {SIX_AGO.year}" in english
    assert key not in english
    french_client = client_for(manager)
    french_client.headers["Accept-Language"] = "fr-FR,fr;q=0.9"
    french = _section(french_client.get("/reports/team").text, 'id="table-revenue"')
    assert f"{FRENCH_MONTHS[TODAY.month - 1]} {TODAY.year}" in french
    assert f"T{QUARTER} {SIX_AGO.year}" in french and key not in french
    # The CSV reads like the page and keeps the machine key in its own column.
    csv = french_client.get("/reports/team.csv").text
    assert f"{FRENCH_MONTHS[TODAY.month - 1]} {TODAY.year}" in csv and f",{key}\r\n" in csv
    api = api_for(manager).get("/api/v1/reports/team").json()
    revenue = next(t for t in api["tables"] if t["key"] == "revenue")
    row = next(r for r in revenue["rows"] if r["label"] == key)
    assert row["text"] == f"{TODAY:%b} {TODAY.year}"


def test_my_reports_name_months_in_french_for_a_french_reader(client_for, seller, win):
    win(seller)
    client = client_for(seller)
    client.headers["Accept-Language"] = "fr"
    won = _section(client.get("/reports").text, 'aria-labelledby="h-won"')
    now = date.today()
    assert f"{FRENCH_MONTHS[now.month - 1]} {now.year}" in won
    assert now.strftime("%Y-%m") not in won


def test_a_chart_has_a_value_axis_and_the_value_of_its_bar(client_for, seller, win):
    win(seller, "1200")
    svg = _svg(_section(client_for(seller).get("/reports").text, 'aria-labelledby="h-won"'))
    ticks = re.findall(r'class="tick">([^<]+)<', svg)
    assert ticks == ["€0", "€500", "€1K", "€1.5K"]
    assert re.findall(r'class="value">([^<]+)<', svg) == ["€1.2K"]
    # Hidden from assistive technology (the table is the accessible version), never stretched.
    assert 'aria-hidden="true"' in svg and "preserveAspectRatio" not in svg


def test_an_empty_period_shows_a_sentence_instead_of_a_chart(client_for, seller, manager):
    won = _section(client_for(seller).get("/reports").text, 'aria-labelledby="h-won"')
    assert "No deal won in this period yet." in won and "<svg" not in won
    team = _section(client_for(manager).get("/reports/team").text, 'id="table-revenue"')
    assert "No deal won in this period yet." in team and "<svg" not in team


def test_a_suppressed_cell_is_a_gap_in_the_chart_with_its_note(client_for, manager, make_user, win):
    a, b = _team(make_user, 2)
    win(a, "1000", on=LAST_MONTH)
    win(b, "2000", on=LAST_MONTH)
    svg = _svg(_section(client_for(manager).get("/reports/team").text, 'id="table-revenue"'))
    assert "fewer than 3 contributors" in svg
    assert 'class="value"' not in svg and "<rect" not in svg


def test_a_pure_manager_lands_on_team_outcomes(anon, client_for, make_user):
    boss = make_user("boss@example.test", is_manager=True)
    playing_coach = make_user("coach@example.test", is_manager=True, is_seller=True)
    page = anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    landed = anon.post(
        "/login", data={"email": boss.email, "password": PASSWORD, "csrf_token": token}
    )
    assert landed.headers["location"] == "/reports/team"
    assert anon.get("/").headers["location"] == "/reports/team"
    assert client_for(playing_coach).get("/").headers["location"] == "/today"


def test_a_tag_typed_as_a_formula_is_text_in_the_team_csv(
    client_for, manager, make_user, make_org, make_deal, stage_by_key, session
):
    org = make_org("Formules", tags="=1+2")
    for n, seller in enumerate(_team(make_user, 3)):
        deal = make_deal(f"Deal {n}", owner=seller, organization_id=org.id)
        deal.won_on = LAST_MONTH
        move_deal(
            session,
            seller,
            deal,
            DealMove(
                stage_id=stage_by_key("won").id,
                amount=Decimal("100"),
                expected_close_on=THIS_MONTH,
            ),
        )
    csv = client_for(manager).get("/reports/team.csv").text
    assert "'=1+2" in csv and ",=1+2" not in csv
