"""Trials through the front door: real `carnet serve` processes on free 127.0.0.1 ports,
several at once on one database, driven over HTTP by several clients."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.serving import PASSWORD, free_port, scratch_postgres_database  # noqa: F401
from tests.serving import log_in as login  # noqa: F401 (for the trials)

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/trials/" in str(item.fspath):
            item.add_marker(pytest.mark.trial)


class Server:
    """One `carnet serve` process. `env` adds CARNET_* settings to a cheap-hashing base."""

    def __init__(self, env: dict, log_dir: Path, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CARNET_ARGON2_TIME_COST": "1",
            "CARNET_ARGON2_MEMORY_COST": "8192",
            "CARNET_BACKGROUND": "true",
            **env,
        }
        self.env.pop("CARNET_TEST_DATABASE_URL", None)
        self.workers = workers
        self.log = log_dir / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Server":
        args = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"carnet serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"carnet serve did not answer: {self.log.read_text()[-2000:]}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """kill -9 of the whole process group (workers included): no clean-up at all."""
        self.stop(signal.SIGKILL)


@contextmanager
def serving(env: dict, log_dir: Path, count: int = 1, workers: int = 1):
    servers = [Server(env, log_dir, workers) for _ in range(count)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def carnet(env: dict, *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "CARNET_ARGON2_TIME_COST": "1", "CARNET_ARGON2_MEMORY_COST": "8192"}
    full.pop("CARNET_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**full, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sqlite_env(tmp_path):
    env = {"CARNET_DATA_DIR": str(tmp_path / "data"), "CARNET_DATABASE_URL": ""}
    assert carnet(env, "migrate").returncode == 0
    return env


@pytest.fixture
def postgres_env(tmp_path):
    """A PostgreSQL database of the test's own, migrated; dropped afterwards."""
    with scratch_postgres_database("trial") as url:
        env = {"CARNET_DATA_DIR": str(tmp_path / "data"), "CARNET_DATABASE_URL": url}
        assert carnet(env, "migrate").returncode == 0
        yield env


def engine_of(env: dict):
    from app.core.db import make_engine

    url = env["CARNET_DATABASE_URL"] or f"sqlite:///{env['CARNET_DATA_DIR']}/carnet.db"
    return make_engine(url)
