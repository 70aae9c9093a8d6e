"""Running Carnet, through real `carnet serve` processes: start-up problems in one line,
health checks, a database that goes away and comes back, request body limits, workers and
the PostgreSQL connection budget."""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app import cli
from app.core.config import get_settings
from app.core.db import code_revisions, migrate
from tests.serving import (
    TcpForwarder,
    carnet,
    free_port,
    scratch_postgres_database,
    serve,
    start,
)

PG = os.environ.get("CARNET_TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not PG, reason="PostgreSQL not set")


# ---- start-up: one line on stderr, exit code 2, no traceback -------------------------------


def refused_start(env):
    """Runs `carnet serve`, which must refuse to start; returns its one line."""
    result = carnet("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1 and lines[0].startswith("carnet: "), result.stderr
    return lines[0]


@pytest.fixture
def refused(monkeypatch, capsys):
    """Runs a `carnet` command in this process (the same main() as the real command, without
    the second it takes to start Python), which must refuse; returns its one line."""

    def run(command: str, env: dict) -> str:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            assert cli.main([command]) == 2
        finally:
            get_settings.cache_clear()
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("carnet: "), lines
        return lines[0]

    return run


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated SQLite database to copy from: migrating takes seconds."""
    path = tmp_path_factory.mktemp("template") / "carnet.db"
    migrate(f"sqlite:///{path}")
    return path


def copy_database(template: Path, folder: Path) -> Path:
    target = folder / "carnet.db"
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


@contextmanager
def read_only(folder: Path):
    """No file can be created in `folder`, even by root (who ignores permissions): then the
    immutable attribute does it."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)]).returncode:
        pytest.skip("running as root without `chattr +i`: cannot make a folder read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_data_directory_is_named_in_one_line(tmp_path):
    with read_only(tmp_path):
        line = refused_start({"CARNET_DATA_DIR": str(tmp_path)})
    assert line.startswith(f"carnet: the data directory {tmp_path} is not writable (")
    assert line.endswith("): make it writable by the user running Carnet, or set CARNET_DATA_DIR")


def test_an_unwritable_documents_folder_is_named_in_one_line(tmp_path, refused):
    (tmp_path / "documents").mkdir()
    with read_only(tmp_path / "documents"):
        line = refused("serve", {"CARNET_DATA_DIR": str(tmp_path)})
    assert line.startswith(f"carnet: the documents folder {tmp_path / 'documents'} is not writable")


def test_an_unreachable_database_is_named_in_one_line(tmp_path, refused):
    url = f"postgresql+psycopg://carnet:secret@127.0.0.1:{free_port()}/carnet"
    env = {"CARNET_DATA_DIR": str(tmp_path), "CARNET_DATABASE_URL": url}
    line = refused_start(env)
    assert line.startswith(
        f"carnet: cannot connect to the database {url.replace(':secret@', ':***@')}: "
    )
    assert "Connection refused" in line and "secret" not in line
    assert line.endswith("check CARNET_DATABASE_URL and that the database server runs")
    assert refused("migrate", env) == line


@pytest.mark.parametrize(
    "url, said",
    [
        ("not a url", "CARNET_DATABASE_URL is not a database URL ('not a url')"),
        ("nosuchdb://db.example/x", "names a kind of database or a driver Carnet does not know"),
        ("postgresql+nosuch://u@127.0.0.1/x", "a driver Carnet does not know"),
    ],
)
def test_a_wrong_database_url_is_explained_in_one_line(tmp_path, refused, url, said):
    env = {"CARNET_DATA_DIR": str(tmp_path), "CARNET_DATABASE_URL": url}
    assert said in refused("serve", env)
    assert said in refused("migrate", env)


@needs_postgres
def test_an_unknown_postgresql_database_is_named_in_one_line(tmp_path, refused):
    url = make_url(PG).set(database="carnet_no_such_database")
    env = {"CARNET_DATA_DIR": str(tmp_path), "CARNET_DATABASE_URL": url.render_as_string(False)}
    line = refused("serve", env)
    assert line.startswith("carnet: cannot connect to the database postgresql+psycopg://")
    assert 'database "carnet_no_such_database" does not exist' in line


def test_a_database_from_a_newer_carnet_is_not_told_to_migrate(tmp_path, migrated_sqlite, refused):
    with sqlite3.connect(copy_database(migrated_sqlite, tmp_path)) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    env = {"CARNET_DATA_DIR": str(tmp_path)}
    newer = (
        "carnet: this database was written by a newer Carnet (revision 9999); "
        "upgrade Carnet or restore a matching backup"
    )
    assert refused_start(env) == newer
    assert refused("migrate", env) == newer


def test_an_unmigrated_database_is_told_to_run_migrate(tmp_path, refused):
    line = refused("serve", {"CARNET_DATA_DIR": str(tmp_path)})
    assert line.startswith("carnet: the database is not migrated to this version of Carnet")
    assert line.endswith("run `carnet migrate`")


# ---- one server on SQLite: health checks and body limits -----------------------------------

BODY_KB = 64
UPLOAD_MB = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_sqlite):
    data = tmp_path_factory.mktemp("ops")
    copy_database(migrated_sqlite, data)
    env = {
        "CARNET_DATA_DIR": str(data),
        "CARNET_MAX_BODY_KB": str(BODY_KB),
        "CARNET_MAX_UPLOAD_MB": str(UPLOAD_MB),
    }
    with serve(env) as url:
        url.database = data / "carnet.db"
        yield url


def test_healthz_says_the_process_is_alive(server):
    response = httpx.get(server + "/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_says_why_the_database_is_not_ready(server):
    assert httpx.get(server + "/readyz").json() == {"status": "ok"}
    heads, known = code_revisions()
    older = sorted(known - heads)[0]
    try:
        for revision, reason in (("9999", "database_newer"), (older, "not_migrated")):
            with sqlite3.connect(server.database) as db:
                db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
            response = httpx.get(server + "/readyz")
            assert response.status_code == 503 and response.headers["retry-after"]
            assert response.json()["reason"] == reason
    finally:
        with sqlite3.connect(server.database) as db:
            db.execute("UPDATE alembic_version SET version_num = ?", (sorted(heads)[0],))
    assert httpx.get(server + "/readyz").status_code == 200


def raw_request(url: str, head: str) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
    return sock


def read_response(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < 10:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def resident_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def test_a_huge_anonymous_body_is_refused_before_it_is_read(server):
    before = resident_kb(server.process.pid)
    for path in ("/api/v1/contacts", "/api/v1/deals", "/login"):
        sock = raw_request(
            server,
            f"POST {path} HTTP/1.1\nHost: carnet\nContent-Type: application/json\n"
            f"Accept-Language: fr\nContent-Length: {100 * 1024 * 1024}\n",
        )
        started = time.monotonic()
        answer = read_response(sock)  # nothing of the body sent yet: the answer comes first
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert time.monotonic() - started < 5
        head, body = answer.split(b"\r\n\r\n", 1)
        if path.startswith("/api/"):
            assert json.loads(body)["detail"].startswith("Request body too large")
        else:
            assert "Requête trop volumineuse" in body.decode()
        sent = 0
        try:  # the server has closed the connection: little of the body gets through
            while sent < 100 * 1024 * 1024:
                sent += sock.send(b" " * (1024 * 1024))
        except OSError:
            pass
        sock.close()
        assert sent < 20 * 1024 * 1024
    assert resident_kb(server.process.pid) - before < 30 * 1024


def test_a_streamed_body_is_cut_off_past_the_limit(server):
    sock = raw_request(
        server,
        "POST /setup HTTP/1.1\nHost: carnet\n"
        "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked\n",
    )
    chunk = b"%x\r\n%s\r\n" % (16384, b"a" * 16384)
    planned, sent, answer = 64 * 1024 * 1024, 0, b""
    sock.setblocking(False)
    deadline = time.monotonic() + 20
    # Send until the server answers or hangs up; one that read on would wait for 64 MB.
    # (It stops reading, so the client may see the connection reset before the 413.)
    try:
        while sent < planned and time.monotonic() < deadline:
            try:
                answer = sock.recv(65536)
                break
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.005)  # the server stopped reading: the buffers are full
    except (ConnectionResetError, BrokenPipeError):
        pass
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413") or not answer, answer[:300]
    assert sent < planned / 4
    deadline = time.monotonic() + 5
    logged = '"POST /setup HTTP/1.1" 413'
    while logged not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged in server.output()


def test_bodies_within_the_limits_go_through(server):
    small = httpx.post(server + "/api/v1/contacts", json={"name": "x" * (BODY_KB * 1000 - 100)})
    assert small.status_code == 401  # reached authentication
    upload = httpx.post(
        server + "/login",
        files={"file": ("big.bin", b"0" * (UPLOAD_MB * 1024 * 1024))},
        data={"email": "a@example.test"},
    )
    assert upload.status_code != 413
    too_big = httpx.post(
        server + "/login", files={"file": ("big.bin", b"0" * ((UPLOAD_MB + 2) * 1024 * 1024))}
    )
    assert too_big.status_code == 413 and "File too large" in too_big.text


# ---- PostgreSQL: a database that goes away, workers and the connection budget --------------


@needs_postgres
def test_a_stopped_database_gets_a_503_that_recovers_by_itself(tmp_path):
    with scratch_postgres_database("down") as url:
        migrate(url)
        pg = make_url(url)
        forwarder = TcpForwarder((pg.host, pg.port or 5432))
        through = pg.set(host="127.0.0.1", port=forwarder.port).render_as_string(False)
        # The job runner too: it must say so in a line, not a traceback every half second.
        env = {
            "CARNET_DATA_DIR": str(tmp_path),
            "CARNET_DATABASE_URL": through,
            "CARNET_BACKGROUND": "true",
        }
        api = {"Authorization": "Bearer not-a-token"}
        try:
            with serve(env) as server:
                assert httpx.get(server + "/").status_code == 303
                assert httpx.get(server + "/api/v1/contacts", headers=api).status_code == 401

                forwarder.cut()
                time.sleep(1)  # the job runner's next claims meet the cut
                page = httpx.get(server + "/")
                assert page.status_code == 503 and page.headers["retry-after"]
                assert "Carnet cannot reach its database; try again in a moment." in page.text
                answer = httpx.get(server + "/api/v1/contacts", headers=api)
                assert answer.status_code == 503 and answer.headers["retry-after"]
                assert "cannot reach its database" in answer.json()["detail"]
                ready = httpx.get(server + "/readyz")
                assert ready.status_code == 503
                assert ready.json()["reason"] == "database_unreachable"
                assert httpx.get(server + "/healthz").status_code == 200

                forwarder.restore()
                assert httpx.get(server + "/").status_code == 303
                assert httpx.get(server + "/api/v1/contacts", headers=api).status_code == 401
                assert httpx.get(server + "/readyz").status_code == 200
                assert "Traceback" not in server.output()
                assert "job claim: " in server.output()  # one line, said once the cut is met
        finally:
            forwarder.cut()


@needs_postgres
def test_two_servers_of_two_workers_stay_within_the_connection_budget(tmp_path):
    pool_size, max_overflow, processes, workers = 2, 1, 2, 2
    budget = processes * workers * (pool_size + max_overflow)
    with scratch_postgres_database("budget") as url:
        migrate(url)
        env = {
            "CARNET_DATA_DIR": str(tmp_path),
            "CARNET_DATABASE_URL": url,
            "CARNET_DB_POOL_SIZE": str(pool_size),
            "CARNET_DB_MAX_OVERFLOW": str(max_overflow),
        }
        servers = [start(env, workers=workers) for _ in range(processes)]
        try:
            for server in servers:
                server.wait_ready()
            database = make_url(url).database
            watcher = create_engine(PG, poolclass=NullPool)
            counts, statuses = [], []
            done = threading.Event()

            def watch():
                with watcher.connect() as conn:
                    while not done.is_set():
                        counts.append(
                            conn.execute(
                                text(
                                    "SELECT count(*) FROM pg_stat_activity "
                                    "WHERE datname = :db AND application_name = 'carnet'"
                                ),
                                {"db": database},
                            ).scalar()
                        )
                        time.sleep(0.02)

            def load(base):
                with httpx.Client(base_url=base, timeout=30) as client:
                    for i in range(15):
                        path = "/readyz" if i % 2 else "/"
                        statuses.append(client.get(path).status_code)

            threads = [threading.Thread(target=watch)] + [
                threading.Thread(target=load, args=(servers[i % processes],)) for i in range(24)
            ]
            for thread in threads:
                thread.start()
            for thread in threads[1:]:
                thread.join()
            done.set()
            threads[0].join()
            watcher.dispose()
            assert set(statuses) <= {200, 303} and len(statuses) == 24 * 15
            assert max(counts) <= budget, (max(counts), budget)
            assert max(counts) > processes  # the load did spread over several connections
            for server in servers:
                assert server.output().count("Started server process") == workers
        finally:
            for server in servers:
                assert server.stop() == 0  # SIGTERM: a graceful exit
