"""Real `carnet` processes for tests that go through the front door: commands, and servers
on a free 127.0.0.1 port, each with only the settings the test gives it."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

CARNET = str(Path(sys.executable).with_name("carnet"))
PASSWORD = "correct horse battery"


def carnet_env(**settings: str) -> dict[str, str]:
    """The environment of a process: none of the test run's CARNET_* settings (no secret
    key: the installation's own is used), cheap password hashing, and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    env |= {"CARNET_ARGON2_TIME_COST": "1", "CARNET_ARGON2_MEMORY_COST": "8192"}
    env |= {"CARNET_BACKGROUND": "false"}
    return env | {f"CARNET_{k.upper()}": v for k, v in settings.items()}


def carnet(env: dict[str, str], *args: str) -> str:
    """Runs `carnet <args>`; fails the test with its output when it fails."""
    done = subprocess.run([CARNET, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"carnet {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str]):
    """`carnet serve` on a free port until the block ends; yields its base URL."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [CARNET, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    # Still running: not another test's server that took the port meanwhile.
                    answered = httpx.get(f"{url}/login", timeout=1).status_code == 200
                    if answered and process.poll() is None:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(f"carnet serve did not start: {log.read().decode()}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def log_in(url: str, email: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client logged in through the real form, sending the CSRF header."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    return with_csrf(client)


def with_csrf(client: httpx.Client) -> httpx.Client:
    """Reads the session's CSRF token from a page, as HTMX does, and sends it from now on."""
    page = client.get("/account")
    assert page.status_code == 200, page.status_code
    client.headers["X-CSRF-Token"] = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
    return client
