"""The `carnet` command on a real SQLite file: migrate, create-user, demo."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app import cli
from app.activities.models import Activity
from app.auth.models import User
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.customers.models import Contact, Organization
from app.main import create_app


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CARNET_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_serve_refuses_an_unmigrated_database_and_says_what_to_run(data_dir, capsys):
    assert cli.main(["serve"]) == 2
    assert "carnet migrate" in capsys.readouterr().err


def test_create_user_makes_an_admin_who_can_log_in(data_dir, capsys):
    assert cli.main(["migrate"]) == 0
    code = cli.main(
        ["create-user", "boss@example.test", "--role", "admin", "--password", "long password 1"]
    )
    assert code == 0 and "admin" in capsys.readouterr().out
    assert cli.main(["create-user", "boss@example.test", "--password", "short"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_demo_loads_a_team_and_a_demo_sellers_today_shows_follow_ups(data_dir, capsys):
    cli.main(["migrate"])
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    email, password = re.search(r"(lea\.seller@demo\.example)\s+(\S+)\s+seller", out).groups()
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        count = lambda model: session.exec(select(func.count()).select_from(model)).one()  # noqa: E731
        assert (count(User), count(Organization), count(Contact), count(Activity)) == (
            8,
            200,
            1000,
            3000,
        )
    app = create_app(Settings(data_dir=data_dir))
    with TestClient(app) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        today = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert today.url.path == "/today"
        assert "Call back about the proposal" in today.text
    assert cli.main(["demo"]) == 2  # never twice into the same database
    engine.dispose()


def test_backup_and_restore_from_the_command_line(data_dir, tmp_path, monkeypatch, capsys):
    assert cli.main(["migrate"]) == 0
    assert cli.main(["demo"]) == 0
    archive = tmp_path / "saved" / "carnet.tar.gz"
    assert cli.main(["backup", str(archive)]) == 0
    assert "Backup written" in capsys.readouterr().out
    assert cli.main(["restore", str(archive)]) == 2  # this data directory is not empty
    assert "restore" in capsys.readouterr().err
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("CARNET_DATA_DIR", str(fresh))
    get_settings.cache_clear()
    assert cli.main(["restore", str(archive)]) == 0
    engine = make_engine(Settings(data_dir=fresh).effective_database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Contact)).one() == 1000
    engine.dispose()
