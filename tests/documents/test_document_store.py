"""CARNET_DOCUMENT_STORE=database: documents in the database, served by any process on any
host, kept once per content, and nothing left behind by a refused or abandoned upload."""

import io
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest
from sqlalchemy import create_engine, func, text
from sqlmodel import select

from app.core.config import Settings
from app.documents.models import DatabaseFile, DatabaseFileChunk
from app.documents.service import DocumentStore, attach
from app.documents.storage import CHUNK
from tests.factories import upload
from tests.processes import PASSWORD, carnet, carnet_env, log_in, serve, with_csrf
from tests.serving import scratch_postgres_database

QUOTE = os.urandom(CHUNK * 2 + 1000)  # three chunks


@pytest.fixture
def settings(tmp_path):
    return Settings(
        data_dir=tmp_path, secret_key="test-secret-key", background=False, document_store="database"
    )


@pytest.fixture
def store(settings):
    return DocumentStore.of(settings)


def _download_link(page: str) -> str:
    return re.search(r'href="(/documents/\d+/download)"', page).group(1)


def _files_on_disk(settings) -> list:
    return [p for p in settings.data_dir.rglob("*") if p.is_file()]


def test_a_document_uploaded_on_a_page_downloads_from_the_database(
    client_for, api_for, seller, make_contact, session, settings
):
    contact = make_contact()
    client = client_for(seller)
    r = client.post(
        f"/contacts/{contact.id}/documents",
        data={"kind": "quote"},
        files={"file": ("devis é.pdf", QUOTE, "application/pdf")},
    )
    assert r.status_code == 303, r.text
    [row] = session.exec(select(DatabaseFile)).all()
    assert row.size == len(QUOTE)
    chunks = session.exec(select(func.count()).select_from(DatabaseFileChunk)).one()
    assert chunks == 3
    assert _files_on_disk(settings) == []  # nothing on this host's disk, not even a temp file
    download = _download_link(client.get(f"/contacts/{contact.id}").text)
    r = client.get(download)
    assert r.status_code == 200 and r.content == QUOTE
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-length"] == str(len(QUOTE))
    assert r.headers["content-disposition"] == "attachment; filename*=utf-8''devis%20%C3%A9.pdf"
    r = api_for(seller).get(f"/api/v1{download}?version=1")
    assert r.status_code == 200 and r.content == QUOTE


def test_the_same_content_is_stored_once(session, seller, make_deal, store):
    deal = make_deal()
    attach(session, seller, store, upload("v1.pdf", QUOTE), "quote", deal=deal)
    attach(session, seller, store, upload("copy.pdf", QUOTE), "other", deal=deal)
    assert len(session.exec(select(DatabaseFile)).all()) == 1
    assert session.exec(select(func.count()).select_from(DatabaseFileChunk)).one() == 3


def test_a_refused_upload_leaves_nothing_behind(
    client_for, seller, make_contact, session, settings
):
    settings.max_upload_mb = 1
    contact = make_contact()
    client = client_for(seller)
    for content in (b"", b"x" * (CHUNK + 1)):
        r = client.post(
            f"/contacts/{contact.id}/documents",
            data={"kind": "other"},
            files={"file": ("big.pdf", content, "application/pdf")},
        )
        assert r.status_code == 400
    assert session.exec(select(DatabaseFile)).all() == []
    assert _files_on_disk(settings) == []


def test_content_is_kept_exactly_when_its_document_is(session, seller, make_deal, store):
    """A quote given with a stage move that is then refused goes with the refused move."""
    deal = make_deal()
    attach(session, seller, store, upload("devis.pdf", QUOTE), "quote", deal=deal, commit=False)
    assert session.exec(select(DatabaseFile)).all() != []
    session.rollback()
    assert session.exec(select(DatabaseFile)).all() == []


def test_the_export_holds_documents_kept_in_the_database(
    client_for, seller, make_deal, session, store
):
    deal = make_deal()
    attach(session, seller, store, upload("devis.pdf", QUOTE), "quote", deal=deal)
    r = client_for(seller).get("/export/everything.zip")
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    [name] = [n for n in archive.namelist() if n.endswith("v1-devis.pdf")]
    assert archive.read(name) == QUOTE


@pytest.fixture
def postgres_database():
    """A database of this test's own on the PostgreSQL of the tests, dropped afterwards."""
    with scratch_postgres_database("hosts") as url:
        yield url


def test_two_hosts_on_one_postgresql_share_logins_and_documents(tmp_path, postgres_database):
    """Two `carnet serve`, each with a data directory of its own as on two hosts, and no
    CARNET_SECRET_KEY: a login on one works on the other, a document uploaded on one
    downloads from the other."""
    env_a, env_b = (
        carnet_env(
            data_dir=str(tmp_path / host),
            database_url=postgres_database,
            document_store="database",
        )
        for host in ("a", "b")
    )
    carnet(env_a, "migrate")
    carnet(env_a, "create-user", "zoe@example.test", "--password", PASSWORD, "--role", "seller")
    with serve(env_a) as a, serve(env_b) as b, closing(log_in(a, "zoe@example.test")) as on_a:
        on_b = with_csrf(httpx.Client(base_url=b, cookies=on_a.cookies, timeout=30))
        # The session opened on A, and its CSRF token, hold on B.
        r = on_b.post("/contacts", data={"name": "Zoé Petit"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        contact = r.headers["location"]
        r = on_a.post(
            f"{contact}/documents",
            data={"kind": "quote"},
            files={"file": ("devis.pdf", QUOTE, "application/pdf")},
        )
        assert r.status_code == 303, r.text
        r = on_b.get(_download_link(on_b.get(contact).text))
        assert r.status_code == 200 and r.content == QUOTE
        # The same new content uploaded on both hosts at once: all saved, stored once.
        again = os.urandom(CHUNK + 10)
        with ThreadPoolExecutor(4) as pool:
            codes = pool.map(
                lambda c: (
                    c.post(
                        f"{contact}/documents",
                        data={"kind": "other"},
                        files={"file": ("same.bin", again, "application/octet-stream")},
                    ).status_code
                ),
                [on_a, on_b, on_a, on_b],
            )
            assert list(codes) == [303] * 4
        on_b.close()
    engine = create_engine(postgres_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document_version")).scalar() == 5
        assert conn.execute(text("SELECT count(*) FROM stored_file")).scalar() == 2
    engine.dispose()
    for host in ("a", "b"):
        assert [p for p in (tmp_path / host).rglob("*") if p.is_file()] == []
