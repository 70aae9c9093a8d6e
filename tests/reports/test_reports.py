"""Reports through HTTP: mine are mine; the team's are K-suppressed on page, CSV and API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.deals.models import DealMove
from app.deals.service import move_deal

THIS_MONTH = date.today().replace(day=1) + timedelta(days=2)


@pytest.fixture
def win(session, make_deal, make_contact, stage_by_key):
    def won(owner, amount="1000", title="Ovens"):
        deal = make_deal(title, owner=owner, contact_id=make_contact().id)
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
    win(a, "1000")
    win(b, "2000")
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
        win(seller, amount)
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
    win(a)
    win(b)
    assert "fewer than 3 contributors" in client_for(manager).get("/reports/team").text
