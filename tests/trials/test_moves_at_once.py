"""Sellers moving deals on the board at once, each in two tabs moving deals in opposite
directions, on two processes: no 5xx (no deadlock over the running totals on PostgreSQL),
and the board's totals still equal the deals."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlmodel import Session, select

from app.auth.service import create_user
from app.deals.models import DealCreate, Stage
from app.deals.service import create_deal
from tests.trials.conftest import PASSWORD, engine_of, login, serving

SELLERS = 4
MOVES = 40
BOARD = {"HX-Request": "true", "HX-Target": "board"}


def _team(env) -> tuple[list[tuple[str, int, int, int]], dict[str, int]]:
    """Per seller two deals, one in each of two stages; a tab per deal."""
    engine = engine_of(env)
    tabs = []
    with Session(engine, expire_on_commit=False) as session:
        stages = {s.key: s.id for s in session.exec(select(Stage))}
        for n in range(SELLERS):
            user = create_user(session, email=f"m{n}@example.test", name=f"M{n}", password=PASSWORD)
            for key in ("lead", "qualified"):
                deal = create_deal(
                    session, user, DealCreate(title=f"{key} {n}", amount=1000 + n), "EUR"
                )
                deal.stage_id = stages[key]
                session.add(deal)
                session.commit()
                tabs.append((user.email, deal.id, deal.version, stages[key]))
    engine.dispose()
    return tabs, stages


def _moves(base: str, email: str, deal_id: int, version: int, start: int, stages) -> dict:
    outcome = {"moved": 0, "5xx": 0, "other": 0}
    client = login(base, email)
    there = (
        [stages["qualified"], stages["lead"]]
        if start == stages["lead"]
        else [stages["lead"], stages["qualified"]]
    )
    for i in range(MOVES):
        data = {"stage_id": str(there[i % 2]), "version": str(version), "scope": "mine"}
        r = client.post(f"/deals/{deal_id}/move", data=data, headers=BOARD)
        if r.status_code == 200:
            outcome["moved"] += 1
            version += 1
        else:
            outcome["5xx" if r.status_code >= 500 else "other"] += 1
    return outcome


def _trial(env, tmp_path):
    tabs, stages = _team(env)
    with serving(env, tmp_path, count=2) as servers, ThreadPoolExecutor(len(tabs)) as pool:
        runs = [pool.submit(_moves, servers[n % 2].url, *tab, stages) for n, tab in enumerate(tabs)]
        results = [r.result() for r in runs]
    assert [r["5xx"] for r in results] == [0] * len(tabs), results
    assert sum(r["moved"] for r in results) == len(tabs) * MOVES, results
    engine = engine_of(env)
    with engine.connect() as conn:
        direct = set(
            conn.execute(
                text(
                    "SELECT stage_id, owner_id, count(*), sum(amount_minor) FROM deal GROUP BY 1, 2"
                )
            ).all()
        )
        kept = set(
            conn.execute(
                text(
                    "SELECT stage_id, seller_id, deals, amount_minor FROM stage_tally "
                    "WHERE deals <> 0"
                )
            ).all()
        )
        moved = conn.execute(text("SELECT sum(version) FROM deal")).scalar()
    engine.dispose()
    assert {(a, b, c, int(d)) for a, b, c, d in kept} == {
        (a, b, c, int(d)) for a, b, c, d in direct
    }
    assert moved >= len(tabs) * (MOVES + 1)


def test_sellers_moving_deals_both_ways_at_once_on_sqlite(sqlite_env, tmp_path):
    _trial(sqlite_env, tmp_path)


def test_sellers_moving_deals_both_ways_at_once_on_postgresql(postgres_env, tmp_path):
    _trial(postgres_env, tmp_path)
