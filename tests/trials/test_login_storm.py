"""The trial a tester ran: thirty logins (real password hashing, not the suite's cheap one)
beside forty-eight API writes, all at once, on one SQLite server. Every answer is a 2xx or
3xx (or a 503 that asks to retry): no 500, and every acknowledged contact is stored."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_api_token, create_user
from app.core.config import Settings
from tests.trials.conftest import PASSWORD, ROOT, Server, engine_of

SELLERS = 6
LOGINS = 30
WRITES = 48


def _team(env) -> list[tuple[str, str]]:
    """Sellers whose passwords are hashed at an installation's real cost (the suite's is
    cheap): a login then takes as long as it does for real users."""
    real = PasswordHasher(
        time_cost=Settings.model_fields["argon2_time_cost"].default,
        memory_cost=Settings.model_fields["argon2_memory_cost"].default,
    )
    engine = engine_of(env)
    with Session(engine) as session:
        team = []
        for n in range(SELLERS):
            user = create_user(session, email=f"s{n}@example.test", name=f"S{n}", password=PASSWORD)
            user.password_hash = real.hash(PASSWORD)
            session.add(user)
            session.commit()
            team.append((user.email, create_api_token(session, user, "storm")[1]))
    engine.dispose()
    return team


def test_a_login_storm_beside_api_writes_gets_no_server_error(tmp_path):
    env = {"CARNET_DATA_DIR": str(tmp_path / "data"), "CARNET_DATABASE_URL": ""}
    full = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env={**full, **env},
        check=True,
        capture_output=True,
    )
    team = _team(env)
    server = Server(env, tmp_path)
    # The real password hashing of an installation, not the suite's cheap one.
    for name in ("CARNET_ARGON2_TIME_COST", "CARNET_ARGON2_MEMORY_COST"):
        server.env.pop(name, None)
    server.start()
    try:

        def log_in(n):
            client = httpx.Client(base_url=server.url, timeout=120)
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            email = team[n % SELLERS][0]
            r = client.post(
                "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
            )
            return r.status_code

        def write(n):
            _email, token = team[n % SELLERS]
            r = httpx.post(
                f"{server.url}/api/v1/contacts",
                json={"name": f"Storm {n}"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            return r.status_code

        with ThreadPoolExecutor(LOGINS + WRITES) as pool:
            logins = [pool.submit(log_in, n) for n in range(LOGINS)]
            writes = [pool.submit(write, n) for n in range(WRITES)]
            login_codes = [f.result() for f in logins]
            write_codes = [f.result() for f in writes]
    finally:
        server.stop()
    engine = engine_of(env)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM contact WHERE name LIKE 'Storm %'")
        ).scalar()
    engine.dispose()
    assert all(c in (303, 503) for c in login_codes), sorted(login_codes)
    assert all(c in (201, 503) for c in write_codes), sorted(write_codes)
    assert stored == write_codes.count(201)
    assert login_codes.count(303) >= LOGINS - 3 and write_codes.count(201) >= WRITES - 3
