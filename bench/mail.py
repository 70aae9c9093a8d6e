"""Benchmark: filing captured mail, and record pages with a long mail history.

    python -m bench.mail [--messages 5000] [--database-url URL]

Files N BCC'd messages (each with a 20 KB attachment, one in ten a reply in a thread) for one
seller on 500 contacts, 500 of them on one contact, through the same code the mailbox job
runs (parse, find the seller and the customers, one activity, the attachment as a document,
one commit per message), and prints messages per second. Then times that contact's page,
its organization's page and the next timeline page (200 requests each, the app's own
Server-Timing) against the 15 ms target of record pages. Without --database-url it runs on
SQLite, and also on PostgreSQL when CARNET_TEST_DATABASE_URL is set (in a database of its
own, carnet_mail_bench, made afresh).
"""

import argparse
import os
import random
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

os.environ.setdefault("CARNET_ARGON2_TIME_COST", "1")
os.environ.setdefault("CARNET_ARGON2_MEMORY_COST", "8192")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from app.activities.models import Activity  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import make_engine, migrate  # noqa: E402
from app.core.security import hash_password  # noqa: E402
from app.customers.models import Contact, Organization  # noqa: E402
from app.customers.service import sort_key  # noqa: E402
from app.documents.storage import DocumentStore  # noqa: E402
from app.interop.mail import capture, capture_address  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.run import PASSWORD, login, measure, percentile  # noqa: E402

CONTACTS = 500
ON_ONE_CONTACT = 500
ATTACHMENT = 20 * 1024
TARGET_MS = 15


def _people(session: Session, seller: User) -> list[Contact]:
    org = Organization(name="Boulangerie Dupont", owner_id=seller.id)
    session.add(org)
    session.flush()
    rows = [
        {
            "name": f"Client {n:03d}",
            "email": f"client{n:03d}@dupont.example",
            "organization_id": org.id if n < 50 else None,
            "owner_id": seller.id,
            "sort_key": sort_key(f"Client {n:03d}"),
        }
        for n in range(CONTACTS)
    ]
    session.execute(insert(Contact), rows)
    session.commit()
    return list(session.exec(select(Contact).order_by(Contact.id)))


def _message(n: int, to: str, capture_to: str, rng: random.Random) -> bytes:
    message = EmailMessage()
    message["From"] = "Léa Martin <lea@team.example>"
    message["To"] = to
    message["Subject"] = f"Devis n°{n} — fours à pain"
    message["Message-ID"] = f"<bench-{n}@team.example>"
    message["Delivered-To"] = capture_to
    if n % 10 == 9:
        message["In-Reply-To"] = f"<bench-{n - 1}@team.example>"
        message["References"] = f"<bench-{n - 1}@team.example>"
    body = f"Bonjour,\n\nVoici le devis n°{n}, comme convenu.\n\nLéa\n"
    quoted = "".join(f"> ligne {i} du message précédent\n" for i in range(20))
    message.set_content(body + ("\nLe lundi, Hélène a écrit :\n" + quoted if n % 10 == 9 else ""))
    message.add_attachment(
        rng.randbytes(ATTACHMENT), maintype="application", subtype="pdf", filename=f"devis-{n}.pdf"
    )
    return message.as_bytes()


def _postgres(base: str) -> str:
    url = make_url(base).set(database="carnet_mail_bench")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "carnet_mail_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "carnet_mail_bench"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def run(url: str, data: Path, messages: int) -> None:
    engine_name = "postgresql" if url.startswith("postgresql") else "sqlite"
    migrate(url)
    engine = make_engine(url)
    settings = Settings(
        data_dir=data, secret_key="bench", database_url=url, capture_address="crm@team.example"
    )
    store = DocumentStore.of(settings)
    with Session(engine) as session:
        seller = User(email="lea@team.example", name="Léa", password_hash=hash_password(PASSWORD))
        session.add(seller)
        session.commit()
        capture_address.new_key(session, seller)
        capture_to = capture_address.address_for(settings, seller)
        people = _people(session, seller)
    rng = random.Random(7)
    busy = people[0]
    # The busy contact's 500 first, spread through the run; the rest on the others.
    targets = [busy.email] * ON_ONE_CONTACT + [
        rng.choice(people[1:]).email for _ in range(messages - ON_ONE_CONTACT)
    ]
    rng.shuffle(targets)
    raws = [_message(n, to, capture_to, rng) for n, to in enumerate(targets)]
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for raw in raws:
        with Session(engine) as session:
            status = capture.file_raw(session, settings, store, raw).status
        outcomes[status] = outcomes.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        on_busy = session.exec(
            select(func.count()).where(Activity.contact_id == busy.id, Activity.kind == "email")
        ).one()
    with engine.connect() as conn:  # as the growth bench does: planner statistics
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    size = sum(len(r) for r in raws) / len(raws) / 1024
    print(
        f"{engine_name:<10} filed {messages} captured messages ({size:.0f} KB each, one "
        f"attachment): {elapsed:.1f} s, {messages / elapsed:.0f} messages/s; outcomes {outcomes}; "
        f"{on_busy} mails on one contact"
    )
    app = create_app(settings, engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "lea@team.example")
        timeline = client.get(f"/contacts/{busy.id}/timeline").text
        cursor = timeline.split("?cursor=")[1].split('"')[0] if "?cursor=" in timeline else ""
        pages = {
            "contact page (500 mails)": f"/contacts/{busy.id}",
            "organization page": f"/organizations/{busy.organization_id}",
            "timeline, next 50": f"/contacts/{busy.id}/timeline?cursor={cursor}",
        }
        for name, path in pages.items():
            server, _wall = measure(name, lambda _i, path=path: client.get(path), 200)
            p50, p95 = percentile(server, 50), percentile(server, 95)
            verdict = "met" if p50 <= TARGET_MS else "MISSED"
            print(
                f"{engine_name:<10} {name:<28} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
                f"target p50 ≤ {TARGET_MS} ms: {verdict}"
            )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carnet-mail-bench-") as tmp:
        urls = [args.database_url or f"sqlite:///{Path(tmp) / 'mail.db'}"]
        pg = os.environ.get("CARNET_TEST_DATABASE_URL", "")
        if not args.database_url and pg:
            urls.append(_postgres(pg))
        for url in urls:
            data = Path(tmp) / ("pg" if url.startswith("postgresql") else "sqlite")
            data.mkdir()
            run(url, data, args.messages)


if __name__ == "__main__":
    main()
