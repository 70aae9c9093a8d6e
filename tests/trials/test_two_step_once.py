"""One authenticator code sent at once by six browsers over two `carnet serve` processes
sharing one database: exactly one gets a session, the others are refused, none gets a 5xx;
wrong codes sent in a burst are slowed down, never answered with a 5xx."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyotp
import pytest
from sqlmodel import Session

from app.auth import two_step
from app.auth.service import create_user
from tests.trials.conftest import PASSWORD, engine_of, serving

BROWSERS = 6


def _account(env) -> pyotp.TOTP:
    engine = engine_of(env)
    with Session(engine, expire_on_commit=False) as session:
        user = create_user(session, email="t@example.test", name="T", password=PASSWORD)
        secret = two_step.new_secret()
        # Enabled with the previous step's code, so the current and next ones stay fresh.
        two_step.enable(session, user, secret, pyotp.TOTP(secret).at(time.time() - 30))
    engine.dispose()
    return pyotp.TOTP(secret)


def _half_signed_in(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"email": "t@example.test", "password": PASSWORD, "csrf_token": token}
    )
    assert r.headers["location"] == "/login/code", r.status_code
    return client, token


def _trial(env, tmp_path):
    totp = _account(env)
    with serving(env, tmp_path, count=2) as servers:
        # Every browser past the password first: refused codes then slow the password too.
        halves = [_half_signed_in(servers[n % 2].url) for n in range(BROWSERS)]
        wrong = [_half_signed_in(servers[n % 2].url) for n in range(BROWSERS)]
        code = totp.at(time.time() + 30)

        def send(half):
            client, token = half
            return client.post("/login/code", data={"code": code, "csrf_token": token})

        with ThreadPoolExecutor(BROWSERS) as pool:
            answers = list(pool.map(send, halves))
        statuses = sorted(a.status_code for a in answers)
        winner = next(a for a in answers if a.status_code == 303)
        assert winner.headers["location"] == "/today"

        def guess(half):
            client, token = half
            return [
                client.post("/login/code", data={"code": "12345" + str(n), "csrf_token": token})
                for n in range(3)
            ]

        with ThreadPoolExecutor(BROWSERS) as pool:
            guesses = [r.status_code for rs in pool.map(guess, wrong) for r in rs]
    assert statuses == [303] + [400] * (BROWSERS - 1), statuses
    assert all(s in (400, 429) for s in guesses), guesses
    assert 429 in guesses, guesses


def test_one_code_at_once_from_six_browsers_on_sqlite_signs_in_once(sqlite_env, tmp_path):
    _trial(sqlite_env, tmp_path)


def test_one_code_at_once_from_six_browsers_on_postgresql_signs_in_once(postgres_env, tmp_path):
    _trial(postgres_env, tmp_path)


@pytest.fixture(autouse=True)
def _not_at_a_step_edge():
    """A code is for a 30-second step: start well inside one so the trial's codes hold."""
    while time.time() % 30 > 20:
        time.sleep(0.5)
