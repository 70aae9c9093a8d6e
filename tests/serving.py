"""Real `carnet` processes for tests that go through the front door.

    with serve({"CARNET_DATA_DIR": str(tmp_path)}) as url:    # `carnet serve` on a free port
        httpx.get(url + "/healthz")
        url.process, url.output()                            # the Popen, its log so far

`serve(env, workers=1)` starts `carnet serve --host 127.0.0.1 --port P`, waits for /healthz
and stops it (SIGTERM, as a service manager would) at the end; `start()` + `wait_ready()`
start several at once. `carnet(*args, env=...)` runs any other command. `env` holds CARNET_*
variables laid over the test's own environment (cheap password hashing, a secret key, no
background rounds: see conftest.py). Give CARNET_DATA_DIR, and CARNET_DATABASE_URL unless
SQLite in the data directory will do; the database must be migrated (`carnet("migrate")`
or app.core.db.migrate) for `serve` to start.

`scratch_postgres_database()` makes a uniquely named PostgreSQL database next to
CARNET_TEST_DATABASE_URL (skipping the test without it) and drops it afterwards;
`TcpForwarder` sits between Carnet and PostgreSQL so a test can cut the database off and
bring it back without touching the server.
"""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

CARNET = str(Path(sys.executable).with_name("carnet"))
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def carnet_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}


def carnet(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, **popen
) -> subprocess.CompletedProcess:
    """Runs `carnet ARGS...` to the end; stdout and stderr are captured as text."""
    return subprocess.run(
        [CARNET, *args],
        env=carnet_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


class Served(str):
    """The base URL of a running `carnet serve` (it is a str), with its process and log."""

    process: subprocess.Popen
    log: object

    def __new__(cls, url: str, process: subprocess.Popen, log):
        served = super().__new__(cls, url)
        served.process, served.log = process, log
        return served

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_ready(self, timeout: float = 60) -> "Served":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"carnet serve exited ({code}):\n{self.output()}")
            try:
                if httpx.get(self + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        message = f"carnet serve did not answer in {timeout} s:\n{self.output()}"
        self.stop()
        raise RuntimeError(message)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait (uvicorn shuts down gracefully); SIGKILL its group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group of this server only
                self.process.wait()
        self.log.close()
        return self.process.returncode


def start(env: Mapping[str, str], workers: int = 1, args: tuple[str, ...] = ()) -> Served:
    """Starts `carnet serve` without waiting for it; call .wait_ready(), then .stop()."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by Served.stop()
    process = subprocess.Popen(
        [CARNET, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        + list(args),
        env=carnet_env(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: a hung server is killed with its workers
    )
    return Served(f"http://127.0.0.1:{port}", process, log)


@contextmanager
def serve(env: Mapping[str, str], workers: int = 1, args: tuple[str, ...] = ()) -> Iterator[Served]:
    """`carnet serve` on a free 127.0.0.1 port, ready when entered, stopped when left."""
    for attempt in range(3):
        served = start(env, workers, args)
        try:
            served.wait_ready()
            break
        except RuntimeError:
            # Another test took the free port between its choice and the bind: choose again.
            retry = attempt < 2 and "address already in use" in served.output()
            served.stop()
            if not retry:
                raise
    try:
        yield served
    finally:
        served.stop()


def log_in(url: str, email: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client logged in through the real form, sending the CSRF header."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return with_csrf(client)


def with_csrf(client: httpx.Client) -> httpx.Client:
    """Reads the session's CSRF token from a page, as HTMX does, and sends it from now on."""
    page = client.get("/account")
    assert page.status_code == 200, page.status_code
    client.headers["X-CSRF-Token"] = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
    return client


@contextmanager
def scratch_postgres_database(label: str = "scratch") -> Iterator[str]:
    """A new, empty PostgreSQL database of the test's own (its URL), dropped at the end."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    if not os.environ.get("CARNET_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL not set (CARNET_TEST_DATABASE_URL)")
    base = make_url(os.environ["CARNET_TEST_DATABASE_URL"])
    name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class TcpForwarder:
    """127.0.0.1:<port> forwarded to a target address, in threads. `cut()` closes the port
    and every connection through it (the database "goes down"); `restore()` listens again
    on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):  # wakes the thread in accept(); close() alone would not
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for s in (a, b):
                with self._lock:
                    self._sockets.discard(s)
                s.close()
