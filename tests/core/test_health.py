"""Which database errors are "the database is not there" (503, try again) and which are
bugs in a query (500, fix it): the line between them, in process."""

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.core.health import database_unreachable
from tests.serving import free_port


def error_of(engine, sql="SELECT 1") -> DBAPIError:
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text(sql))
    return caught.value


def test_sqlite_that_cannot_open_its_file_is_unreachable_but_a_bad_query_is_not(tmp_path):
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    assert database_unreachable(error_of(missing))
    present = create_engine(f"sqlite:///{tmp_path / 'carnet.db'}")
    # SQLite reports a missing table as an OperationalError too: still a bug, not an outage.
    assert not database_unreachable(error_of(present, "SELECT * FROM no_such_table"))
    assert not database_unreachable(error_of(present, "SELEC 1"))


def test_postgresql_refusing_or_killing_the_connection_is_unreachable_but_bad_sql_is_not():
    if not os.environ.get("CARNET_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL not set")
    from sqlalchemy import make_url

    base = make_url(os.environ["CARNET_TEST_DATABASE_URL"])
    refused = create_engine(base.set(host="127.0.0.1", port=free_port()), poolclass=NullPool)
    assert database_unreachable(error_of(refused))
    engine = create_engine(base, poolclass=NullPool)
    assert not database_unreachable(error_of(engine, "SELECT * FROM no_such_table"))
    assert not database_unreachable(error_of(engine, "SELECT 1/0"))
    timeout = "SET statement_timeout = 1; SELECT pg_sleep(1)"  # 57014, an OperationalError
    assert not database_unreachable(error_of(engine, timeout))
    with engine.connect() as victim, engine.connect() as admin:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as caught:
            victim.execute(text("SELECT 1"))
    assert database_unreachable(caught.value)
    engine.dispose()


def test_a_lost_database_answers_503_and_a_bad_query_500(app, tmp_path):
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")

    @app.get("/api/v1/lost")
    def lost():
        missing.connect()

    @app.get("/lost")
    def lost_page():
        missing.connect()

    @app.get("/api/v1/buggy")
    def buggy():
        with create_engine(f"sqlite:///{tmp_path / 'carnet.db'}").connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/lost")
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert answer.json() == {
            "detail": "Carnet cannot reach its database; try again in a moment."
        }
        page = client.get("/lost", headers={"Accept-Language": "fr"})
        assert page.status_code == 503
        assert "Carnet n&#39;arrive pas à joindre sa base de données" in page.text
        assert client.get("/api/v1/buggy").status_code == 500
