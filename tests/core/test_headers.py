"""What the server tells browsers and caches: signed-in pages are never stored, timings go
only to signed-in people, cookies are Secure behind HTTPS."""

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def test_signed_in_pages_are_not_stored_and_carry_their_timing(client_for, seller):
    r = client_for(seller).get("/today")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["server-timing"].startswith("app;dur=")


def test_anonymous_answers_carry_no_timing(anon):
    r = anon.get("/login")
    assert "server-timing" not in r.headers
    assert "server-timing" not in anon.get("/static/carnet.css").headers


def test_cookies_are_secure_when_carnet_is_reached_over_https(engine, tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="x", base_url="https://crm.example/")
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://crm.example") as client:
        r = client.get("/login")
    cookie = r.headers.get("set-cookie", "")
    assert cookie and "Secure" in cookie
