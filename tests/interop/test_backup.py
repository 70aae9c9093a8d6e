"""Backup and restore round trip: every table and every document come back identical."""

import hashlib
import os
import re
from contextlib import closing, nullcontext

import httpx
import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table on the metadata)
from app.auth.service import create_user
from app.core.config import Settings
from app.core.db import make_engine, migrate
from app.demo import Sizes, generate
from app.documents.models import DatabaseFile, DocumentVersion
from app.documents.service import DocumentStore, attach
from app.interop.backup import BackupError, backup, restore
from tests.factories import PASSWORD, upload
from tests.processes import carnet, carnet_env, log_in, serve


def _populate(settings: Settings) -> None:
    url = settings.effective_database_url
    migrate(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        seller = create_user(session, email="a@b.test", name="A", password=PASSWORD)
        generate(
            session,
            Sizes(sellers=1, organizations=5, contacts=20, activities=50, deals=8, responses=6),
            [seller.id],
            seed=3,
        )
        from app.deals.models import Deal

        deal = session.get(Deal, 1)
        store = DocumentStore.of(settings)
        attach(session, seller, store, upload("devis.pdf", b"%PDF quote 1"), "quote", deal=deal)
        attach(
            session, seller, store, upload("contrat.pdf", b"%PDF contract"), "contract", deal=deal
        )
    engine.dispose()


def _tables(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    found = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            order = list(table.primary_key.columns)
            found[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        found["alembic_version"] = conn.execute(
            text("SELECT version_num FROM alembic_version")
        ).all()
    engine.dispose()
    return found


def _documents(settings: Settings) -> dict[str, str]:
    root = settings.documents_dir
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_sqlite_instance_round_trips_through_backup_and_restore(tmp_path):
    source = Settings(data_dir=tmp_path / "live", secret_key="x")
    _populate(source)
    archive = backup(source, tmp_path / "saved" / "carnet.tar.gz")
    target = Settings(data_dir=tmp_path / "new", secret_key="x")
    manifest = restore(target, archive)
    assert manifest["backend"] == "sqlite"
    before, after = _tables(source.effective_database_url), _tables(target.effective_database_url)
    assert sum(len(rows) for rows in before.values()) > 100
    assert after == before
    docs = _documents(target)
    assert len(docs) == 2 and docs == _documents(source)
    for name, digest in docs.items():
        assert name.endswith(digest)  # stored under their own hash


def test_restore_refuses_a_data_directory_that_holds_data(tmp_path):
    source = Settings(data_dir=tmp_path / "live", secret_key="x")
    _populate(source)
    archive = backup(source, tmp_path / "carnet.tar.gz")
    with pytest.raises(BackupError, match="restore"):
        restore(source, archive)


def _contents(settings: Settings) -> dict[str, bytes]:
    """Every document version's content, read through the store the settings choose."""
    store = DocumentStore.of(settings)
    engine = make_engine(settings.effective_database_url)
    with Session(engine) as session:
        shas = session.exec(select(DocumentVersion.sha256)).scalars().all()
        found = {}
        for sha in shas:
            content = store.find(session, sha)
            found[sha] = b"".join(content.chunks(lambda: nullcontext(session)))
    engine.dispose()
    return found


@pytest.mark.parametrize(("before", "after"), [("files", "database"), ("database", "files")])
def test_a_restore_moves_documents_into_the_store_it_is_set_to_use(tmp_path, before, after):
    """So an installation moves to the database store (for several hosts) or back."""
    source = Settings(data_dir=tmp_path / "live", secret_key="x", document_store=before)
    _populate(source)
    archive = backup(source, tmp_path / "carnet.tar.gz")
    target = Settings(data_dir=tmp_path / "new", secret_key="x", document_store=after)
    restore(target, archive)
    contents = _contents(target)
    assert sorted(contents.values()) == [b"%PDF contract", b"%PDF quote 1"]
    assert contents == _contents(source)
    on_disk = list(_documents(target))
    engine = make_engine(target.effective_database_url)
    with Session(engine) as session:
        in_database = session.exec(select(DatabaseFile.sha256)).scalars().all()
    engine.dispose()
    assert (len(on_disk), len(in_database)) == ((0, 2) if after == "database" else (2, 0))


@pytest.mark.skipif(not os.environ.get("CARNET_TEST_DATABASE_URL"), reason="PostgreSQL not set")
def test_a_postgresql_instance_round_trips_through_pg_dump(tmp_path, worker_id):
    from tests.conftest import fresh_postgres_database

    live_url = fresh_postgres_database(f"{worker_id}_backup_live")
    new_url = fresh_postgres_database(f"{worker_id}_backup_new")
    source = Settings(data_dir=tmp_path / "live", secret_key="x", database_url=live_url)
    _populate(source)
    archive = backup(source, tmp_path / "carnet.tar.gz")
    target = Settings(data_dir=tmp_path / "new", secret_key="x", database_url=new_url)
    assert restore(target, archive)["backend"] == "postgresql"
    assert _tables(new_url) == _tables(live_url)
    assert _documents(target) == _documents(source)
    for url in (live_url, new_url):
        name = make_url(url).database
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _contact_with_document_feed_and_survey(client) -> dict[str, str]:
    """Through the pages: a contact, a document attached to it, a calendar feed and a survey
    link. Returns the addresses a browser, a calendar app and a customer would keep."""
    r = client.post("/contacts", data={"name": "Zoé Petit", "language": "fr"})
    assert r.status_code == 303, r.text
    contact = r.headers["location"]
    quote = os.urandom(3 * 1024 * 1024 // 2)  # more than one chunk
    r = client.post(
        f"{contact}/documents",
        data={"kind": "quote"},
        files={"file": ("devis é.pdf", quote, "application/pdf")},
    )
    assert r.status_code == 303, r.text
    assert client.post(f"{contact}/surveys", data={"kind": "csat"}).status_code == 303
    page = client.get(contact).text
    download = re.search(r'href="(/documents/\d+/download)"', page).group(1)
    survey = re.search(r'value="http://[^/"]+(/s/[^"]+)"', page).group(1)
    assert client.post("/calendar").status_code == 303
    feed = re.search(r'value="http://[^/"]+(/calendar/[^"]+\.ics)"', client.get("/calendar").text)
    return {"download": download, "survey": survey, "feed": feed.group(1), "quote": quote}


def _still_valid(url: str, cookies, kept: dict) -> None:
    with httpx.Client(base_url=url, cookies=cookies, follow_redirects=False) as browser:
        assert browser.get("/account").status_code == 200  # the same login
        r = browser.get(kept["download"])
        assert r.status_code == 200 and r.content == kept["quote"]
        assert "attachment" in r.headers["content-disposition"]
    with httpx.Client(base_url=url, follow_redirects=False) as stranger:
        r = stranger.get(kept["feed"])
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        r = stranger.get(kept["survey"])
        assert r.status_code == 200 and f'action="{kept["survey"]}"' in r.text


@pytest.mark.parametrize("document_store", ["files", "database"])
def test_a_restored_backup_keeps_logins_calendar_feeds_survey_links_and_documents(
    tmp_path, document_store
):
    """The way an admin does it: serve, back up, restore into a new directory, serve again.
    No CARNET_SECRET_KEY: the key that signs all of these travels with the database."""
    live, new = tmp_path / "live", tmp_path / "new"
    env = carnet_env(
        data_dir=str(live),
        database_url=f"sqlite:///{live / 'carnet.db'}",
        document_store=document_store,
    )
    carnet(env, "migrate")
    carnet(env, "create-user", "zoe@example.test", "--password", PASSWORD, "--role", "seller")
    with serve(env) as url, closing(log_in(url, "zoe@example.test")) as client:
        kept = _contact_with_document_feed_and_survey(client)
        _still_valid(url, client.cookies, kept)
        carnet(env, "backup", str(tmp_path / "carnet.tar.gz"))
        cookies = client.cookies
    stored = [p for p in live.rglob("documents/*/*/*") if p.is_file()]
    assert len(stored) == (1 if document_store == "files" else 0)
    env |= {"CARNET_DATA_DIR": str(new), "CARNET_DATABASE_URL": f"sqlite:///{new / 'carnet.db'}"}
    carnet(env, "restore", str(tmp_path / "carnet.tar.gz"))
    with serve(env) as url:
        _still_valid(url, cookies, kept)
