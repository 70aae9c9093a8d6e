"""My reports and Team outcomes in Chromium at 1280 px and 375 px, on a small demo team:
a screenshot of each, charts with axis and values, no serious or critical axe-core
violation, nothing wider than the screen, and a manager landing on team outcomes."""

import pytest

from app.auth.service import create_user
from app.demo import Sizes, generate
from tests.e2e.conftest import ARTIFACTS, serious_violations
from tests.factories import PASSWORD

SMALL_TEAM = Sizes(
    organizations=30, contacts=120, activities=400, deals=150, responses=240, won_share=0.3
)


@pytest.fixture(scope="module")
def team(live_server):
    """Six sellers with a year of results, and a manager."""
    from sqlmodel import Session

    from app.core.db import reader

    _base, engine = live_server
    with Session(reader(engine), expire_on_commit=False) as session:
        sellers = [
            create_user(session, email=f"rep{i}@example.test", name=f"Rep {i}", password=PASSWORD)
            for i in range(6)
        ]
        generate(session, SMALL_TEAM, [s.id for s in sellers])
        manager = create_user(
            session,
            email="boss@example.test",
            name="Boss",
            password=PASSWORD,
            is_seller=False,
            is_manager=True,
        )
        session.commit()
    return sellers[0].email, manager.email


def _signed_in(browser, base, email, width, landing):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{landing}")
    return context, page


def _look(page, name: str, width: int) -> list[str]:
    page.screenshot(path=str(ARTIFACTS / f"reports-{name}-{width}px.png"), full_page=True)
    problems = serious_violations(page)
    if page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append("wider than the screen")
    return problems


@pytest.mark.parametrize("width", [1280, 375])
def test_my_reports_draw_readable_charts_at_both_widths(live_server, browser, team, width):
    base, _engine = live_server
    context, page = _signed_in(browser, base, team[0], width, "/today")
    page.goto(f"{base}/reports")
    won = page.locator("section[aria-labelledby=h-won] svg.graph")
    assert won.get_attribute("aria-hidden") == "true"
    assert won.get_attribute("preserveAspectRatio") is None
    assert won.locator("text.tick").count() >= 3  # a value axis
    assert won.locator("text.value").count() >= 1  # values on the bars
    page.locator("section[aria-labelledby=h-won]").screenshot(
        path=str(ARTIFACTS / f"reports-mine-won-{width}px.png")
    )
    box = won.bounding_box()
    assert box["width"] <= width
    # Uniform scaling: the drawing keeps its viewBox's proportions.
    _x, _y, w, h = map(float, won.get_attribute("viewBox").split())
    assert abs(box["width"] / box["height"] - w / h) < 0.02
    assert _look(page, "mine", width) == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_manager_lands_on_team_outcomes_with_charts(live_server, browser, team, width):
    base, _engine = live_server
    context, page = _signed_in(browser, base, team[1], width, "/reports/team")
    for key in ("revenue", "pipeline", "csat"):
        chart = page.locator(f"#table-{key} svg.graph")
        assert chart.count() == 1, key
        assert chart.locator("text.tick").count() >= 3
    revenue = page.locator("#table-revenue svg.graph")
    assert revenue.locator("text.value").count() >= 6
    page.locator("#table-revenue").screenshot(
        path=str(ARTIFACTS / f"reports-team-revenue-{width}px.png")
    )
    assert _look(page, "team", width) == []
    context.close()
