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
from sqlmodel import Session, select  # noqa: E402

from app.activities.models import ActivityCreate  # noqa: E402
from app.activities.service import log_activity  # noqa: E402
from app.auth.service import create_user  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import make_engine, migrate  # noqa: E402
from app.customers.models import ContactCreate, OrganizationCreate  # noqa: E402
from app.customers.service import create_contact, create_organization  # noqa: E402
from app.main import create_app  # noqa: E402

PASSWORD = "correct horse battery"


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


def _user(session, email, **roles):
    defaults = {"is_seller": False, "is_manager": False, "is_admin": False}
    defaults.update(roles)
    return create_user(
        session, email=email, name=email.split("@")[0].title(), password=PASSWORD, **defaults
    )


@pytest.fixture
def seller(session):
    return _user(session, "seller@example.test", is_seller=True)


@pytest.fixture
def other_seller(session):
    return _user(session, "other@example.test", is_seller=True)


@pytest.fixture
def manager(session):
    return _user(session, "manager@example.test", is_manager=True)


@pytest.fixture
def admin(session):
    return _user(session, "admin@example.test", is_admin=True)


@pytest.fixture
def make_user(session):
    def make(email, **roles):
        return _user(session, email, **roles)

    return make


@pytest.fixture
def make_org(session, seller):
    def make(name="Boulangerie Dupont", **fields):
        return create_organization(session, seller, OrganizationCreate(name=name, **fields))

    return make


@pytest.fixture
def make_contact(session, seller):
    def make(name="Hélène Durand", **fields):
        return create_contact(session, seller, ContactCreate(name=name, **fields))

    return make


@pytest.fixture
def make_activity(session):
    def make(author, contact, **fields):
        data = ActivityCreate(contact_id=contact.id, **{"text": "Called", **fields})
        return log_activity(session, author, data)

    return make


@pytest.fixture
def store(settings):
    from app.documents.service import DocumentStore

    return DocumentStore(settings.documents_dir, settings.max_upload_bytes)


@pytest.fixture
def make_deal(session, seller):
    from app.deals.models import DealCreate
    from app.deals.service import create_deal

    def make(title="Bread ovens", owner=None, **fields):
        return create_deal(session, owner or seller, DealCreate(title=title, **fields), "EUR")

    return make


@pytest.fixture
def stage_by_key(session):
    from sqlmodel import select as _select

    from app.deals.models import Stage

    def find(key):
        return session.exec(_select(Stage).where(Stage.key == key)).one()

    return find


def upload(name="quote.pdf", content=b"%PDF-1.4 quote", content_type="application/pdf"):
    import io

    from app.documents.service import Upload

    return Upload(name, content_type, io.BytesIO(content))


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


@pytest.fixture
def world(
    session,
    seller,
    other_seller,
    manager,
    admin,
    make_contact,
    make_org,
    make_activity,
    make_deal,
    store,
    settings,
):
    """Records owned by `seller`, seen by everyone else."""
    from app.activities.models import FollowUp
    from app.auth.service import create_api_token
    from app.documents.service import attach
    from tests.conftest import upload

    org = make_org("Acme")
    contact = make_contact("Zoé Petit", organization_id=org.id)
    private = make_activity(
        seller, contact, visibility="private", next_step="Call", next_step_due="+1d"
    )
    follow_up = session.exec(select(FollowUp).where(FollowUp.activity_id == private.id)).one()
    token, _raw = create_api_token(session, seller, "sync")
    deal = make_deal("Ovens", organization_id=org.id, contact_id=contact.id)
    document = attach(session, seller, store, upload("notes.pdf"), "other", activity=private)
    from app.satisfaction.service import create_link, token_of

    link = create_link(session, seller, contact, "csat")
    from app.interop.calendar import feed_token, new_feed

    new_feed(session, seller)
    from app.interop.importing import start_import

    csv_file = upload("people.csv", b"name,email\nZed,zed@example.test\n")
    job = start_import(session, seller, settings, csv_file, "contacts")
    return {
        "import_id": job.id,
        "webhook_id": 1,
        "calendar_token": feed_token(session, seller, settings.secret_key),
        "token": token_of(settings.secret_key, link),
        "deal_id": deal.id,
        "stage_id": deal.stage_id,
        "document_id": document.id,
        "contact_id": contact.id,
        "organization_id": org.id,
        "activity_id": private.id,
        "follow_up_id": follow_up.id,
        "user_id": other_seller.id,
        "token_id": token.id,
    }
