"""A 30 000-row spreadsheet imported through the pages of real processes: started on one,
followed from another, run once however often it is submitted, and after a kill -9 in the
middle: interrupted, nothing half-written, and a second run imports everything."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_user
from app.core.db import reader
from tests.trials.conftest import PASSWORD, Server, engine_of, login, serving

ROWS = 30_000


def _csv() -> bytes:
    lines = ["Nom,Courriel,Téléphone"] + [
        f"Personne {i},p{i}@example.test,+33 6 {i // 10000:02d} {i % 10000:04d} 00"
        for i in range(ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def _seller(env) -> str:
    engine = engine_of(env)
    with Session(engine) as session:
        create_user(session, email="s@example.test", name="S", password=PASSWORD)
    engine.dispose()
    return "s@example.test"


def _upload(client) -> int:
    r = client.post(
        "/imports",
        data={"entity": "contacts"},
        files={"file": ("people.csv", _csv(), "text/csv")},
    )
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _count(env, sql: str) -> int:
    engine = engine_of(env)
    with reader(engine).connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def _wait_for(predicate, timeout=120, every=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@pytest.mark.parametrize("backend", ["sqlite_env", "postgres_env"])
def test_a_big_import_runs_once_and_is_followed_from_another_process(backend, request, tmp_path):
    env = request.getfixturevalue(backend)
    email = _seller(env)
    with serving(env, tmp_path, count=2) as (a, b):
        on_a, on_b = login(a.url, email), login(b.url, email)
        job = _upload(on_a)
        assert "30000 rows in the file" in on_b.get(f"/imports/{job}").text.replace("\u202f", "")
        with ThreadPoolExecutor(2) as pool:  # a double submit, one on each process
            runs = [pool.submit(c.post, f"/imports/{job}/run", data={}) for c in (on_a, on_b)]
            assert [f.result().status_code for f in runs] == [303, 303]
        seen = set()

        def done():
            page = on_b.get(f"/imports/{job}/progress")
            seen.add(re.sub(r"\s+", " ", page.text)[:400])
            return (
                page.status_code == 200
                and "import-progress" not in page.text
                or (
                    _count(env, f"SELECT count(*) FROM import_job WHERE id={job} AND status='done'")
                )
            )

        assert _wait_for(done)
        assert any("Reading and checking" in s or "rows" in s for s in seen), seen
        report = on_b.get(f"/imports/{job}").text.replace("\u202f", "").replace(",", "")
        assert "30000 created" in report
    assert _count(env, "SELECT count(*) FROM contact") == ROWS
    assert _count(env, "SELECT count(*) FROM job WHERE kind='import'") == 1
    assert _count(env, "SELECT count(*) FROM import_file") == 0  # the upload is not kept


@pytest.mark.parametrize("backend", ["sqlite_env", "postgres_env"])
def test_an_import_killed_in_the_middle_is_interrupted_and_runs_again(backend, request, tmp_path):
    env = request.getfixturevalue(backend)
    email = _seller(env)
    server = Server(env, tmp_path).start()
    try:
        client = login(server.url, email)
        job = _upload(client)
        assert client.post(f"/imports/{job}/run", data={}).status_code == 303
        assert _wait_for(
            lambda: _count(
                env, f"SELECT count(*) FROM job WHERE ref_id={job} AND status='running'"
            ),
            every=0.02,
        )
        time.sleep(0.5)  # into the reading or the writing
        server.kill()
        assert _count(env, "SELECT count(*) FROM contact") == 0  # nothing half-written
        server.start()  # the start-up sweep finds the claim of the dead process
        client = login(server.url, email)
        assert _wait_for(
            lambda: "nothing was imported" in client.get(f"/imports/{job}").text, timeout=30
        )
        assert _count(env, "SELECT count(*) FROM contact") == 0
        assert client.post(f"/imports/{job}/run", data={}).status_code == 303
        assert _wait_for(
            lambda: _count(env, f"SELECT count(*) FROM import_job WHERE id={job} AND status='done'")
        )
        assert _count(env, "SELECT count(*) FROM contact") == ROWS
    finally:
        server.stop()


def test_a_graceful_stop_hands_a_running_import_back_and_a_restart_finishes_it(
    sqlite_env, tmp_path
):
    env = sqlite_env
    email = _seller(env)
    server = Server(env, tmp_path).start()
    try:
        client = login(server.url, email)
        job = _upload(client)
        client.post(f"/imports/{job}/run", data={})
        assert _wait_for(
            lambda: _count(
                env, f"SELECT count(*) FROM job WHERE ref_id={job} AND status='running'"
            ),
            every=0.02,
        )
        server.stop()  # SIGTERM: the import stops at its next step and is handed back
        # uvicorn re-raises SIGTERM once it has shut down cleanly
        assert "Application shutdown complete" in server.log.read_text()
        assert _count(env, f"SELECT count(*) FROM job WHERE ref_id={job} AND status='queued'")
        assert _count(env, f"SELECT attempts FROM job WHERE ref_id={job}") == 0
        assert _count(env, "SELECT count(*) FROM contact") == 0
        server.start()
        assert _wait_for(
            lambda: _count(env, f"SELECT count(*) FROM import_job WHERE id={job} AND status='done'")
        )
        assert _count(env, "SELECT count(*) FROM contact") == ROWS
    finally:
        server.stop()
