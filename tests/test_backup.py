"""Backup and restore round trip: every table and every document come back identical."""

import hashlib
import os

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table on the metadata)
from app.auth.service import create_user
from app.core.config import Settings
from app.core.db import make_engine, migrate
from app.demo import Sizes, generate
from app.documents.service import DocumentStore, attach
from app.interop.backup import BackupError, backup, restore
from tests.conftest import PASSWORD, upload


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
        store = DocumentStore(settings.documents_dir, settings.max_upload_bytes)
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
