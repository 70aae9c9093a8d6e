"""Test fixtures: a migrated database (SQLite, or PostgreSQL when CARNET_TEST_DATABASE_URL
is set), one transaction per test rolled back at the end, factories and real logins."""

import os
import re
import uuid

# Cheap hashing in tests only; set before the app reads its settings.
os.environ.setdefault("CARNET_ARGON2_TIME_COST", "1")
os.environ.setdefault("CARNET_ARGON2_MEMORY_COST", "8192")
os.environ.setdefault("CARNET_SECRET_KEY", "test-secret-key")
# Background rounds (webhooks, digests) are driven by the tests themselves.
os.environ.setdefault("CARNET_BACKGROUND", "false")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.core.db import make_engine, migrate  # noqa: E402
from app.main import create_app  # noqa: E402

# The factories (tests/factories.py), here by name so that every test sees them.
from tests.factories import (  # noqa: E402, F401
    PASSWORD,
    admin,
    make_activity,
    make_contact,
    make_deal,
    make_org,
    make_user,
    manager,
    other_seller,
    seller,
    stage_by_key,
    store,
    world,
)

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("CARNET_TEST_DATABASE_URL") else [])


# One name per test run (shared by its xdist workers): two runs on one server, say CI and
# a developer's, never drop each other's databases.
RUN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)[:8]


def fresh_postgres_database(worker: str) -> str:
    """A database of this test worker's own, created empty from CARNET_TEST_DATABASE_URL."""
    base = make_url(os.environ["CARNET_TEST_DATABASE_URL"])
    name = f"{base.database}_carnet_{RUN}_{worker}"
    with _admin(base).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False)


def _admin(base):
    from sqlalchemy.pool import NullPool

    return create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory, worker_id):
    """Every database test runs on SQLite, and on PostgreSQL too when it is configured."""
    if request.param == "postgresql":
        url = fresh_postgres_database(worker_id)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'carnet.db'}"
    migrate(url)
    yield url
    if request.param == "postgresql":  # the engine fixture, torn down first, has closed its pool
        with _admin(make_url(os.environ["CARNET_TEST_DATABASE_URL"])).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def worker_id(request):
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session(connection):
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path, secret_key="test-secret-key", background=False)


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) the app's settings send through; yields its inbox."""
    from tests.smtpserver import smtp_server

    with smtp_server() as inbox:
        settings.smtp_host = "127.0.0.1"
        settings.smtp_port = inbox.port
        settings.smtp_security = "none"
        settings.smtp_from = "carnet@team.example"
        settings.base_url = "http://crm.team.example/"
        yield inbox


@pytest.fixture
def app(engine, connection, settings):
    app = create_app(settings, engine=engine, check_schema=False)
    app.state.session_factory = lambda writes=True: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return app


@pytest.fixture
def run_jobs(connection, settings):
    """Runs the due background jobs in the test's own transaction, as a server would."""
    from app.background import drain

    def sessions(writes=True):
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def run(now=None, names=None) -> int:
        return drain(sessions, settings, now, names)

    return run


class Client(TestClient):
    csrf: str = ""


@pytest.fixture
def anon(app):
    with Client(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def client_for(app):
    """A logged-in client for a user, through the real login form."""
    clients = []

    def login(user, password: str = PASSWORD) -> Client:
        c = Client(app, follow_redirects=False)
        c.__enter__()
        clients.append(c)
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = c.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert r.status_code == 303, r.text
        account = c.get("/account")
        c.csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', account.text).group(1)
        c.headers["X-CSRF-Token"] = c.csrf
        return c

    yield login
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def api_for(app, session):
    """A JSON API client authenticated by a personal token of `user`."""
    from app.auth.service import create_api_token

    clients = []

    def make(user) -> TestClient:
        _token, raw = create_api_token(session, user, "tests")
        c = TestClient(app, headers={"Authorization": f"Bearer {raw}"})
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
