"""Browser tests: a real Carnet served by uvicorn on a free port, driven in Debian's Chromium."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import make_engine, migrate, reader
from app.main import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, with up to three places each.
    The app's CSP allows no inline script: the page's context needs bypass_csp=True."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Carnet on SQLite in a temporary data directory; yields (base_url, engine)."""
    data = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=data, secret_key="e2e", database_url="")
    migrate(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=5)
    engine.dispose()


@pytest.fixture
def db(live_server):
    """A session of the test's own: SQLite refuses to upgrade an old read snapshot to a
    write once the server has written, so no session outlives its test."""
    _url, engine = live_server
    with Session(reader(engine), expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Chromium is missing: run `make browser` (Debian packages chromium, chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
