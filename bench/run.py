"""Benchmark: p50/p95 server time of Carnet's pages on large data sets.

    python -m bench.run [--dataset core|reports|all] [--rebuild] [--requests N]
                        [--database-url URL]

"reports" is a second data set for the report pages: 50 sellers, 20 000 deals,
1 000 000 activities and 20 000 survey answers (bench/data/reports.db).

Builds (once, deterministic) 50 000 contacts, 10 000 organizations, 200 000
activities and 20 000 deals over 20 sellers under bench/data/, then times each scenario through
the real app. "server" is the app's own Server-Timing (what the targets are about);
"wall" adds the in-process HTTP client.
"""

import argparse
import os
import re
import statistics
import time
from pathlib import Path

os.environ.setdefault("CARNET_ARGON2_TIME_COST", "1")
os.environ.setdefault("CARNET_ARGON2_MEMORY_COST", "8192")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.auth.models import User  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import make_engine, migrate  # noqa: E402
from app.core.schema import utcnow  # noqa: E402
from app.core.security import hash_password  # noqa: E402
from app.customers.models import Contact  # noqa: E402
from app.deals.models import Deal  # noqa: E402
from app.demo import Sizes, generate  # noqa: E402
from app.main import create_app  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "benchmark password"
SIZES = Sizes(
    sellers=20,
    organizations=10_000,
    contacts=50_000,
    activities=200_000,
    busy_contact_activities=100,
    deals=20_000,
    placeholder_documents=True,
)
SEARCHES = ["hel", "mar", "dup", "ber", "zoe", "luc", "tho", "gar", "emi", "ros", "qqx", "lef"]
# What a seller types in quick entry: 2–3 letters, two words, phone digits, a rare word.
LOOKUPS = [*SEARCHES, "ma", "be", "jean ma", "06 1", "0612", "ber lef", "zzq"]
REPORT_SIZES = Sizes(
    sellers=50,
    organizations=10_000,
    contacts=50_000,
    activities=1_000_000,
    busy_contact_activities=0,
    deals=20_000,
    responses=20_000,
)
TARGETS = {
    "today": ("p50", 15),
    "contact list": ("p50", 15),
    "contact search (3 letters)": ("p95", 20),
    "contact page (100+ activities)": ("p50", 15),
    "quick entry save": ("p50", 15),
    "quick entry lookup (ranked)": ("p95", 10),
    "board (my deals)": ("p50", 15),
    "board (team, 20 000 deals)": ("p50", 15),
    "deal page": ("p50", 15),
    "my reports (seller, 12 months)": ("p50", 30),
    "team outcomes (manager, 12 months)": ("p50", 50),
}


def build(url: str, sizes: Sizes) -> None:
    """Creates the sellers (and one manager) and generates their data, deterministically."""
    started = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        password_hash = hash_password(PASSWORD)
        people = [(f"seller{i}", f"Seller {i}", True) for i in range(1, sizes.sellers + 1)]
        session.execute(
            insert(User),
            [
                {
                    "email": f"{login}@bench.example",
                    "name": name,
                    "password_hash": password_hash,
                    "is_seller": seller,
                    "is_manager": not seller,
                    "is_admin": False,
                    "is_active": True,
                    "timezone": "Europe/Paris",
                    "created_at": utcnow(),
                }
                for login, name, seller in [*people, ("manager", "Manager", False)]
            ],
        )
        session.commit()
        sellers = list(session.exec(select(User.id).where(User.is_seller).order_by(User.id)))
        generate(session, sizes, sellers, seed=42)
    # Statistics and visibility as a running installation has them: autovacuum analyzes
    # PostgreSQL after a while (without statistics it plans the search indexes as if they
    # matched nothing) and vacuums after many inserts (without that, an index-only scan
    # still reads every row it counts from the table).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE")
    engine.dispose()
    print(f"built the data set in {time.perf_counter() - started:.1f} s")


def server_ms(response) -> float:
    match = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
    return float(match.group(1)) if match else float("nan")


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def measure(name, call, n):
    for _ in range(5):
        call(0)  # warm caches and compiled templates
    server, wall = [], []
    for i in range(n):
        started = time.perf_counter()
        response = call(i)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 400, (name, response.status_code)
        server.append(server_ms(response))
    return server, wall


def login(client, email: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, "bench login failed"
    return re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/account").text).group(1)


def open_dataset(url: str, sizes: Sizes, rebuild: bool):
    if url.startswith("sqlite") and rebuild:
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    migrate(url)
    with Session(engine) as session:
        built = session.exec(select(func.count()).select_from(User)).one() > 0
    if not built:
        engine.dispose()
        build(url, sizes)
        engine = make_engine(url)
    return engine


def core_scenarios(engine, url):
    with Session(engine) as session:
        busy = session.exec(select(Contact.id).order_by(Contact.id)).first()
        busy_deal = session.exec(select(Deal.id).order_by(Deal.id)).first()
    client = TestClient(create_app(_settings(url), engine=engine), follow_redirects=False)
    csrf = login(client, "seller1@bench.example")
    htmx = {"HX-Request": "true", "HX-Target": "contact-rows"}
    return client, {
        "today": lambda i: client.get("/today"),
        "contact list": lambda i: client.get("/contacts"),
        "contact search (3 letters)": lambda i: client.get(
            "/contacts", params={"q": SEARCHES[i % len(SEARCHES)]}, headers=htmx
        ),
        "contact page (100+ activities)": lambda i: client.get(f"/contacts/{busy}"),
        "quick entry lookup (ranked)": lambda i: client.get(
            "/quick/contacts",
            params={"contact_query": LOOKUPS[i % len(LOOKUPS)]},
            headers={"HX-Request": "true"},
        ),
        "quick entry save": lambda i: client.post(
            "/activities",
            data={
                "contact_id": busy + 1 + i,
                "kind": "call",
                "text": "Benchmark call",
                "next_step": "Call back",
                "next_step_due": "+3d",
            },
            headers={"HX-Request": "true", "X-CSRF-Token": csrf},
        ),
        "board (my deals)": lambda i: client.get("/deals/board"),
        "board (team, 20 000 deals)": lambda i: client.get("/deals/board?scope=team"),
        "deal page": lambda i: client.get(f"/deals/{busy_deal}"),
    }


def report_scenarios(engine, url):
    app = create_app(_settings(url), engine=engine)
    seller = TestClient(app, follow_redirects=False)
    login(seller, "seller1@bench.example")
    manager = TestClient(app, follow_redirects=False)
    login(manager, "manager@bench.example")
    return seller, {
        "my reports (seller, 12 months)": lambda i: seller.get("/reports"),
        "team outcomes (manager, 12 months)": lambda i: manager.get("/reports/team"),
    }


def import_benchmark(rows: int = 50_000) -> None:
    """Times a 50 000-row contact import, CSV with French headers, into a fresh database
    that already holds 1 000 contacts (some rows duplicate them)."""
    import io
    import random
    import tempfile

    from app.documents.service import Upload
    from app.interop.imports import service as importing

    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench", background=False)
        url = settings.effective_database_url
        migrate(url)
        engine = make_engine(url)
        rng = random.Random(5)
        with Session(engine, expire_on_commit=False) as session:
            user_id = session.execute(
                insert(User).returning(User.id),
                [
                    {
                        "email": "importer@bench.example",
                        "name": "Importer",
                        "password_hash": hash_password(PASSWORD),
                        "is_seller": True,
                        "is_manager": False,
                        "is_admin": False,
                        "is_active": True,
                        "timezone": "Europe/Paris",
                        "created_at": utcnow(),
                    }
                ],
            ).scalar_one()
            session.commit()
            user = session.get(User, user_id)
            generate(
                session,
                Sizes(
                    sellers=1, organizations=200, contacts=1000, activities=0, deals=0, responses=0
                ),
                [user_id],
                seed=1,
            )
            lines = ["Prénom;Nom;Courriel;Téléphone;Société;Fonction"]
            for i in range(rows):
                # One row in a hundred repeats an earlier one's email.
                email = (
                    f"person{i - 50}@import.example"
                    if i % 100 == 99
                    else f"person{i}@import.example"
                )
                lines.append(
                    f"Prénom{i};Nom{i % 997};{email};06 {rng.randint(10, 99)} {i % 100:02d} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)};Société {i % 2000};Acheteur"
                )
            data = ("\n".join(lines) + "\n").encode("cp1252", errors="replace")
            started = time.perf_counter()
            job = importing.start_import(
                session,
                user,
                settings,
                Upload("bench.csv", "text/csv", io.BytesIO(data)),
                "contacts",
            )
            read = time.perf_counter()
            job = importing.run_import(session, user, job, settings, {}, "merge")
            done = time.perf_counter()
        engine.dispose()
    print(f"\nCarnet import benchmark on sqlite: {rows} contact rows (French headers, cp1252)")
    total = done - started
    print(
        f"upload and mapping {read - started:.1f} s, preview + import {done - read:.1f} s, "
        f"total {total:.1f} s (target < 60 s: {'met' if total < 60 else 'MISSED'})"
    )
    print(
        f"created {job.created}, merged {job.merged}, skipped {job.skipped}, left out {job.invalid}"
    )


def _settings(url: str) -> Settings:
    return Settings(data_dir=DATA, secret_key="bench", database_url=url)


DATASETS = {
    "core": ("bench.db", SIZES, core_scenarios),
    "reports": ("reports.db", REPORT_SIZES, report_scenarios),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=[*DATASETS, "import", "all"], default="all")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    DATA.mkdir(exist_ok=True)
    if args.dataset in ("import", "all"):
        import_benchmark()
        if args.dataset == "import":
            return
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    for name in names:
        filename, sizes, scenarios_for = DATASETS[name]
        url = args.database_url or f"sqlite:///{DATA / filename}"
        engine = open_dataset(url, sizes, args.rebuild)
        client, scenarios = scenarios_for(engine, url)
        print(
            f"\nCarnet benchmark, {name} data set, on {engine.dialect.name}, "
            f"{args.requests} requests per scenario"
        )
        print(f"{'scenario':36} {'server p50':>10} {'server p95':>10} {'wall p50':>9}  target")
        with client:
            for scenario, call in scenarios.items():
                server, wall = measure(scenario, call, args.requests)
                which, limit = TARGETS[scenario]
                value = percentile(server, 50 if which == "p50" else 95)
                verdict = "met" if value <= limit else "MISSED"
                print(
                    f"{scenario:36} {percentile(server, 50):8.2f}ms "
                    f"{percentile(server, 95):8.2f}ms {percentile(wall, 50):7.2f}ms  "
                    f"{which} <= {limit} ms: {verdict}"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
