"""Benchmark: does each page cost what it shows? The same pages at 1× and 5× the data,
on SQLite and PostgreSQL, then throughput with 2 worker processes next to a bare page.

    python -m bench.growth [--engines sqlite postgresql] [--requests N] [--rebuild]
                           [--database-url postgresql+psycopg://...] [--seconds S]
                           [--no-throughput]

PostgreSQL runs when --database-url or CARNET_TEST_DATABASE_URL is set (databases
carnet_growth_1x and carnet_growth_5x are created beside the one named there and kept for
the next run). The data sets are built once, deterministically: SQLite under bench/data/.
Throughput needs `wrk` (Debian package wrk).

Per page: server time p50/p95 (the app's own Server-Timing) at 1× and 5×, the growth of
p50 from 1× to 5× (the goal: ≤ 1.3×) and the target at 5×. Then, per engine, requests per
second for Today and contact search served by `carnet serve --workers 2` to 16
connections, next to a bare FastAPI page served by the same uvicorn the same way (the
"floor"), their ratio (goal for Today: ≥ 1/4) and each worker's resident memory.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("CARNET_ARGON2_TIME_COST", "1")
os.environ.setdefault("CARNET_ARGON2_MEMORY_COST", "8192")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.customers.models import Contact  # noqa: E402
from app.deals.models import Deal  # noqa: E402
from app.demo import Sizes  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.run import (  # noqa: E402
    DATA,
    LOOKUPS,
    PASSWORD,
    SEARCHES,
    _settings,
    login,
    measure,
    open_dataset,
    percentile,
)

ROOT = Path(__file__).resolve().parents[1]
SCALES = {
    1: Sizes(
        sellers=20,
        organizations=10_000,
        contacts=50_000,
        activities=200_000,
        busy_contact_activities=100,
        deals=20_000,
        responses=4_000,
        won_share=0.3,
        placeholder_documents=True,
    ),
    5: Sizes(
        sellers=50,
        organizations=50_000,
        contacts=250_000,
        activities=1_000_000,
        busy_contact_activities=100,
        deals=100_000,
        responses=20_000,
        won_share=0.3,
        placeholder_documents=True,
    ),
}
# Issue 14's targets, server time at 5×.
TARGETS = {
    "today": ("p50", 10),
    "contact list": ("p50", 15),
    "contact search (3 letters)": ("p50", 15),
    "search as you type (quick entry)": ("p95", 20),
    "contact page (100+ activities)": ("p50", 15),
    "organization page": ("p50", 15),
    "deal page": ("p50", 15),
    "board (my deals)": ("p50", 15),
    "board (team)": ("p50", 15),
    "quick entry save": ("p50", 15),
    "new organization + contact": ("p50", 15),
    "my reports (12 months)": ("p50", 30),
    "team outcomes (manager)": ("p50", 50),
}


def _postgres_url(base: str, scale: int, rebuild: bool = False) -> str:
    url = make_url(base).set(database=f"carnet_growth_{scale}x")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if rebuild:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def dataset_url(engine: str, scale: int, pg_base: str, rebuild: bool = False) -> str:
    if engine == "sqlite":
        return f"sqlite:///{DATA / f'growth-{scale}x.db'}"
    return _postgres_url(pg_base, scale, rebuild)


def scenarios(engine, url):
    with Session(engine) as session:
        busy = session.exec(select(Contact).order_by(Contact.id)).first()
        busy_deal = session.exec(select(Deal.id).order_by(Deal.id)).first()
    app = create_app(_settings(url), engine=engine)
    seller = TestClient(app, follow_redirects=False)
    csrf = login(seller, "seller1@bench.example")
    manager = TestClient(app, follow_redirects=False)
    login(manager, "manager@bench.example")
    htmx = {"HX-Request": "true", "HX-Target": "contact-rows"}
    form = {"X-CSRF-Token": csrf}
    stamp = int(time.time())
    return (seller, manager), {
        "today": lambda i: seller.get("/today"),
        "contact list": lambda i: seller.get("/contacts"),
        "contact search (3 letters)": lambda i: seller.get(
            "/contacts", params={"q": SEARCHES[i % len(SEARCHES)]}, headers=htmx
        ),
        "search as you type (quick entry)": lambda i: seller.get(
            "/quick/contacts",
            params={"contact_query": LOOKUPS[i % len(LOOKUPS)]},
            headers={"HX-Request": "true"},
        ),
        "contact page (100+ activities)": lambda i: seller.get(f"/contacts/{busy.id}"),
        "organization page": lambda i: seller.get(f"/organizations/{busy.organization_id}"),
        "deal page": lambda i: seller.get(f"/deals/{busy_deal}"),
        "board (my deals)": lambda i: seller.get("/deals/board"),
        "board (team)": lambda i: seller.get("/deals/board?scope=team"),
        "quick entry save": lambda i: seller.post(
            "/activities",
            data={
                "contact_id": busy.id + 1 + i,
                "kind": "call",
                "text": "Benchmark call",
                "next_step": "Call back",
                "next_step_due": "+3d",
            },
            headers={"HX-Request": "true", **form},
        ),
        "new organization + contact": lambda i: seller.post(
            "/organizations",
            data={
                "name": f"Bench {stamp}-{i}",
                "contact_name": f"Person {stamp}-{i}",
                "contact_email": f"p{stamp}-{i}@bench.example",
            },
            headers=form,
        ),
        "my reports (12 months)": lambda i: seller.get("/reports"),
        "team outcomes (manager)": lambda i: manager.get("/reports/team"),
    }


def time_pages(engine_name: str, scale: int, url: str, rebuild: bool, n: int) -> dict:
    print(f"  {engine_name} {scale}×: opening (building once if needed) …", flush=True)
    engine = open_dataset(url, SCALES[scale], rebuild)
    clients, calls = scenarios(engine, url)
    results = {}
    with clients[0], clients[1]:
        for name, call in calls.items():
            server, _wall = measure(name, call, n)
            results[name] = (percentile(server, 50), percentile(server, 95))
    engine.dispose()
    return results


def page_table(timings: dict) -> None:
    print(
        f"\n{'page':34} {'engine':10} {'1× p50':>7} {'1× p95':>7} {'5× p50':>7} "
        f"{'5× p95':>7} {'growth':>6}  target at 5×"
    )
    for page, (which, limit) in TARGETS.items():
        for engine_name, by_scale in timings.items():
            one, five = by_scale[1][page], by_scale[5][page]
            value = five[0] if which == "p50" else five[1]
            growth = five[0] / one[0] if one[0] else float("nan")
            print(
                f"{page:34} {engine_name:10} {one[0]:7.2f} {one[1]:7.2f} {five[0]:7.2f} "
                f"{five[1]:7.2f} {growth:5.2f}×  {which} ≤ {limit} ms: "
                f"{'met' if value <= limit else 'MISSED'}"
                f"{'' if growth <= 1.3 else ' · grows more than 1.3×'}"
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{args} did not start")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def _worker_rss_mib(pid: int) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    sizes = []
    for child in children.stdout.split():
        try:
            status = Path(f"/proc/{child}/status").read_text()
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" in command:
            continue  # multiprocessing's helper, not a worker
        sizes.append(round(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024, 1))
    return sizes


def wrk(url: str, seconds: float, headers: dict) -> float:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"    wrk saw {errors.group(1)} error responses on {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def throughput(engine_name: str, url: str, seconds: float) -> None:
    floor, floor_base = _start([sys.executable, "-m", "bench.floor"], {})
    try:
        wrk(floor_base + "/", 2, {})
        floor_rps = wrk(floor_base + "/", seconds, {})
    finally:
        _stop(floor)
    data_dir = tempfile.mkdtemp(prefix="carnet-growth-")
    env = {"CARNET_DATABASE_URL": url, "CARNET_DATA_DIR": data_dir, "CARNET_SECRET_KEY": "bench"}
    server, base = _start(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--host", "127.0.0.1"], env
    )
    try:
        client = httpx.Client(base_url=base, timeout=60)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post(
            "/login",
            data={"email": "seller1@bench.example", "password": PASSWORD, "csrf_token": token},
        )
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        rows = [("floor (bare FastAPI page)", floor_rps)]
        for name, path, extra in (
            ("Today", "/today", {}),
            ("contact search", "/contacts?q=mar", {"HX-Request": "true"}),
        ):
            wrk(base + path, 2, {"Cookie": cookie, **extra})
            rows.append((name, wrk(base + path, seconds, {"Cookie": cookie, **extra})))
        rss = _worker_rss_mib(server.pid)
    finally:
        _stop(server)
        shutil.rmtree(data_dir, ignore_errors=True)
    for name, rps in rows:
        ratio = "" if name.startswith("floor") else f"  1/{floor_rps / rps:.1f} of the floor"
        print(f"{engine_name:10} {name:28} {rps:8.1f} req/s{ratio}")
    print(f"{engine_name:10} resident MiB per worker after the run: {rss} (goal ≤ 150)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--database-url", default=os.environ.get("CARNET_TEST_DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    engines = [e for e in args.engines if e == "sqlite" or args.database_url]
    DATA.mkdir(exist_ok=True)
    timings = {}
    for engine_name in engines:
        timings[engine_name] = {
            scale: time_pages(
                engine_name,
                scale,
                dataset_url(engine_name, scale, args.database_url, args.rebuild),
                args.rebuild,
                args.requests,
            )
            for scale in SCALES
        }
    print(f"\nCarnet pages at 1× and 5× the bench data, {args.requests} requests each, in ms")
    page_table(timings)
    if args.no_throughput:
        return
    if not shutil.which("wrk"):
        print("\nthroughput: needs wrk (apt install wrk)")
        return
    print(f"\nThroughput at 5×: 2 worker processes, wrk with 16 connections, {args.seconds} s")
    for engine_name in engines:
        throughput(engine_name, dataset_url(engine_name, 5, args.database_url), args.seconds)


if __name__ == "__main__":
    main()
