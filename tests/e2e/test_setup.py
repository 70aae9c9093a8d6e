"""The first page of an empty Carnet, looked at: commands as code, nothing wider than the
screen, no serious accessibility problem, at 1280 and 375 px."""

from pathlib import Path

from tests.e2e.conftest import ARTIFACTS

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def test_the_setup_page_reads_well_at_any_width(live_server, browser):
    base, _engine = live_server  # a server of this module's own: its database is empty
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/")
    assert page.url == f"{base}/setup"
    assert page.locator("#setup-demo code").all_inner_texts() == ["make demo", "make run"]
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"setup-{width}px.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
        )
        assert found == [], (width, found)
    context.close()
