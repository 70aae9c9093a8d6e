"""Several people saving at once, on one process and on two sharing the SQLite file (and on
PostgreSQL): no 5xx, no dropped connection, and every acknowledged save is stored."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_user
from app.customers.models import ContactCreate
from app.customers.service import create_contact
from tests.trials.conftest import PASSWORD, engine_of, login, serving

CLIENTS = 8
SAVES = 100


def _team(env) -> list[tuple[str, int]]:
    """Four sellers with a contact each; two clients (tabs, phones) per seller."""
    engine = engine_of(env)
    found = []
    with Session(engine, expire_on_commit=False) as session:
        for n in range(CLIENTS // 2):
            user = create_user(session, email=f"s{n}@example.test", name=f"S{n}", password=PASSWORD)
            contact = create_contact(session, user, ContactCreate(name=f"Client {n}"))
            found.append((user.email, contact.id))
    engine.dispose()
    return found


def _saves(base: str, email: str, contact_id: int, client_no: int) -> dict:
    outcome = {"ok": 0, "5xx": 0, "other": 0, "dropped": 0}
    client = login(base, email)
    for i in range(SAVES):
        try:
            r = client.post(
                "/activities",
                data={
                    "kind": "call",
                    "contact_id": str(contact_id),
                    "text": f"trial c{client_no} n{i}",
                    "next_step": "Call back",
                    "next_step_due": "+3d",
                },
            )
        except httpx.TransportError:
            outcome["dropped"] += 1
            continue
        key = "ok" if r.status_code == 303 else "5xx" if r.status_code >= 500 else "other"
        outcome[key] += 1
    return outcome


def _logins(base: str, emails: list[str]) -> dict:
    """A burst of wrong and right passwords next to the saves."""
    outcome = {"ok": 0, "5xx": 0}
    for email in emails:
        client = httpx.Client(base_url=base, timeout=60)
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        wrong = client.post(
            "/login", data={"email": "nobody@example.test", "password": "x", "csrf_token": token}
        )
        right = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        outcome["5xx"] += (wrong.status_code >= 500) + (right.status_code >= 500)
        outcome["ok"] += right.status_code == 303
    return outcome


def _trial(env, tmp_path, processes: int):
    team = _team(env)
    with (
        serving(env, tmp_path, count=processes) as servers,
        ThreadPoolExecutor(CLIENTS + 2) as pool,
    ):
        saves = [
            pool.submit(_saves, servers[n % processes].url, *team[n // 2], n)
            for n in range(CLIENTS)
        ]
        bursts = [
            pool.submit(_logins, servers[n % processes].url, [e for e, _c in team] * 3)
            for n in range(2)
        ]
        results = [f.result() for f in saves]
        logins = [f.result() for f in bursts]
    engine = engine_of(env)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM activity WHERE text LIKE 'trial c%'")
        ).scalar()
        follow_ups = conn.execute(text("SELECT count(*) FROM follow_up")).scalar()
    engine.dispose()
    acknowledged = sum(r["ok"] for r in results)
    assert [r["5xx"] for r in results] == [0] * CLIENTS, results
    assert [r["dropped"] for r in results] == [0] * CLIENTS, results
    assert acknowledged == CLIENTS * SAVES, results
    assert stored == acknowledged and follow_ups == acknowledged
    assert sum(x["5xx"] for x in logins) == 0 and sum(x["ok"] for x in logins) == 24


@pytest.mark.parametrize("processes", [1, 2])
def test_eight_people_saving_at_once_on_sqlite_lose_nothing(sqlite_env, tmp_path, processes):
    _trial(sqlite_env, tmp_path, processes)


def test_eight_people_saving_at_once_on_postgresql_lose_nothing(postgres_env, tmp_path):
    _trial(postgres_env, tmp_path, 2)


def test_four_writers_with_one_deal_version_at_once_one_wins(sqlite_env, tmp_path):
    """The version check is one UPDATE, not read-compare-write: of four API writes sent at
    once with the same version, one is taken and three get 409, on one real process."""
    from app.auth.service import create_api_token
    from app.deals.models import DealCreate
    from app.deals.service import create_deal

    engine = engine_of(sqlite_env)
    with Session(engine, expire_on_commit=False) as session:
        user = create_user(session, email="d@example.test", name="D", password=PASSWORD)
        deal = create_deal(session, user, DealCreate(title="Ovens"), "EUR")
        _token, raw = create_api_token(session, user, "race")
    engine.dispose()
    with serving(sqlite_env, tmp_path) as (server,):
        client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {raw}"})

        def write(n):
            body = {"version": deal.version, "title": f"Title {n}"}
            return client.patch(f"/api/v1/deals/{deal.id}", json=body)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(write, range(4)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["title"]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["changed"] == {"title": winner} and refused["version"] == deal.version + 1
