"""The demo team's outcomes: with six sellers and a year of wins, a manager sees figures."""

from dataclasses import replace

from app.demo import DEMO_ACCOUNTS, DEMO_SIZES, generate


def test_the_demo_team_outcomes_show_figures_for_most_cells(session, api_for, make_user):
    sellers = [
        make_user(email, is_seller=True) for email, _name, role in DEMO_ACCOUNTS if role == "seller"
    ]
    assert len(sellers) >= 6
    # The demo's deals and answers; fewer contacts and no activities, to stay quick.
    sizes = replace(DEMO_SIZES, organizations=40, contacts=200, activities=0)
    generate(session, sizes, [s.id for s in sellers])
    manager = make_user("boss@example.test", is_manager=True)
    tables = api_for(manager).get("/api/v1/reports/team").json()["tables"]
    cells = [c for t in tables for row in t["rows"] for c in row["cells"]]
    suppressed = sum(1 for c in cells if c["suppressed"])
    assert suppressed <= 0.2 * len(cells), (suppressed, len(cells))
    revenue = next(t for t in tables if t["key"] == "revenue")
    euros = [row["cells"][0]["value"] for row in revenue["rows"]]
    assert sum(1 for v in euros if v) >= 10, euros
