"""Benchmark: several clients at once against a real `carnet serve --workers N`.

    python -m bench.concurrency [--database-url URL] [--workers 1 2] [--clients 8]
                                [--seconds 10]

Loads the demo data into a fresh database (SQLite in a temporary directory unless a
PostgreSQL URL is given; that database is emptied first), starts Carnet with 1 and then 2
worker processes, and prints for "Today" and for quick-entry saves: requests per second,
p50 and p99 client latency, errors, and the resident memory of each worker afterwards.
The clients run on the same machine and take part of its CPU: compare figures from one run.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
ENV = {"CARNET_ARGON2_TIME_COST": "1", "CARNET_ARGON2_MEMORY_COST": "8192"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _carnet(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**os.environ, **ENV, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _fresh_postgres(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()


def _sellers(demo_output: str) -> list[tuple[str, str]]:
    found = re.findall(r"^\s+(\S+@\S+)\s+(\S+)\s+.*seller", demo_output, re.M)
    return found or re.findall(r"^\s+(\S+@\S+)\s+(\S+)", demo_output, re.M)[:3]


def _login(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text[:200]
    account = client.get("/account")
    client.headers["X-CSRF-Token"] = re.search(r'"X-CSRF-Token": "([^"]+)"', account.text).group(1)
    return client


def _contact_of(client: httpx.Client) -> str:
    page = client.get("/contacts")
    return re.search(r'href="/contacts/(\d+)"', page.text).group(1)


def _rss_mib(pid: int) -> list[float]:
    """Resident memory of the server's processes (the parent and its workers)."""
    pids = [pid] + [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
    ]
    sizes = []
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        sizes.append(round(kib / 1024, 1))
    return sizes


def _load(clients, seconds: float, call) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def work(client, contact):
        mine, bad = [], 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                ok = call(client, contact)
            except httpx.HTTPError:
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=work, args=pair) for pair in clients]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "n": len(latencies),
        "errors": errors[0],
    }


def today(client, _contact) -> bool:
    return client.get("/today").status_code == 200


def save(client, contact) -> bool:
    r = client.post(
        "/activities",
        data={
            "kind": "call",
            "contact_id": contact,
            "text": "bench",
            "next_step": "Call",
            "next_step_due": "+3d",
        },
    )
    return r.status_code == 303


def run(url: str, workers: int, clients: int, seconds: float, sellers) -> None:
    env = {"CARNET_DATABASE_URL": url, "CARNET_DATA_DIR": str(Path(tempfile.mkdtemp()))}
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, **ENV, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        pairs = []
        for n in range(clients):
            email, password = sellers[n % len(sellers)]
            client = _login(base, email, password)
            pairs.append((client, _contact_of(client)))
        backend = make_url(url).get_backend_name()
        for name, call in (("Today", today), ("quick-entry save", save)):
            _load(pairs, 1.0, call)  # warm-up
            r = _load(pairs, seconds, call)
            print(
                f"{backend:10} workers={workers} {name:17} {r['rps']:7.1f} req/s  "
                f"p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
                f"n={r['n']} errors={r['errors']}"
            )
        print(f"{backend:10} workers={workers} resident MiB per process: {_rss_mib(server.pid)}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if args.database_url:
        url = args.database_url
        _fresh_postgres(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    env = {"CARNET_DATABASE_URL": url}
    _carnet(env, "migrate")
    sellers = _sellers(_carnet(env, "demo"))
    for workers in args.workers:
        run(url, workers, args.clients, args.seconds, sellers)


if __name__ == "__main__":
    main()
