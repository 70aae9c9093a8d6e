"""Landed migrations never change, and a database migrated at an older release upgrades to
exactly the schema of a fresh install, with its data (SQLite, and PostgreSQL when set)."""

import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, make_url, text
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core.config import Settings
from app.core.db import ROOT, alembic_config, include_object, make_engine, migrate
from app.core.security import hash_password
from app.main import create_app
from tests.conftest import BACKENDS, fresh_postgres_database
from tests.factories import PASSWORD

VERSIONS = ROOT / "migrations" / "versions"
FIXTURES = Path(__file__).parents[1] / "fixtures"
HASHES = FIXTURES / "migration_hashes.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_landed_migrations_never_change():
    changed = [
        name
        for name, digest in json.loads(HASHES.read_text()).items()
        if not (VERSIONS / name).exists() or sha256(VERSIONS / name) != digest
    ]
    assert not changed, (
        f"{changed} changed or disappeared after landing. Never edit a landed migration: "
        "databases already ran it and will not run it again. Restore it and add a new one."
    )


def test_every_migration_has_a_recorded_hash():
    recorded = json.loads(HASHES.read_text())
    missing = {p.name: sha256(p) for p in sorted(VERSIONS.glob("*.py")) if p.name not in recorded}
    assert not missing, (
        f"{sorted(missing)} have no recorded hash. Never edit a landed migration, add a new "
        f"one; record the new file's hash in {HASHES.relative_to(ROOT)}: {missing}"
    )


# States a database could be in: migrations run with the code of the time up to a revision,
# vendored from history (so the tests do not need it) where they differ from today's files.
STATES = {
    # The first release: 0001 without the search column at the end of two indexes.
    "first_release": (None, ["first_release/0001_accounts_customers_activities.py"]),
    # Surveys as they landed: no week on activities, no month on answers, no tally.
    "surveys_b5d6890": ("0002", ["surveys_b5d6890/0003_surveys_reports.py"]),
    # 0004 with the calendar feed only: no digest preferences, no customer owners.
    "calendar_feed_f581e3a": ("0003", ["calendar_feed_f581e3a/0004_interop.py"]),
}


@pytest.fixture(params=BACKENDS)
def new_database(request, tmp_path, worker_id):
    """Empty databases of this test's own; on PostgreSQL named after the xdist worker."""
    made = []

    def make(label: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / label}.db"
        url = fresh_postgres_database(f"{worker_id}_{label}")
        made.append(make_url(url).database)
        return url

    yield make
    if made:
        admin = create_engine(os.environ["CARNET_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_as_of(url: str, state: str) -> None:
    until, vendored = STATES[state]
    if until:
        command.upgrade(alembic_config(url), until)
    engine = make_engine(url)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        for name in vendored:
            spec = importlib.util.spec_from_file_location("landed", FIXTURES / name)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.upgrade()
    engine.dispose()
    command.stamp(alembic_config(url), module.revision)


def schema_of(url: str) -> dict:
    engine = create_engine(url)
    found = inspect(engine)
    schema = {}
    for table in found.get_table_names():
        pk = found.get_pk_constraint(table)
        schema[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c["default"]))
                for c in found.get_columns(table)
            ),
            "primary key": (pk["name"], pk["constrained_columns"]),
            "indexes": sorted(
                (i["name"], i["column_names"], bool(i["unique"])) for i in found.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], u["column_names"]) for u in found.get_unique_constraints(table)
            ),
            "foreign keys": sorted(
                (f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"])
                for f in found.get_foreign_keys(table)
            ),
        }
    with engine.connect() as conn:
        schema["alembic heads"] = MigrationContext.configure(conn).get_current_heads()
    engine.dispose()
    return schema


def differences_from_models(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": include_object}),
            SQLModel.metadata,
        )
    engine.dispose()
    return found


ANSWERS = [  # contact, seller, kind, score, answered at (UTC)
    (1, 1, "csat", 5, "2026-01-31 23:59:00"),
    (2, 2, "csat", 4, "2026-02-01 00:01:00"),
    (1, 1, "nps", 9, "2026-01-10 12:00:00"),
    (3, 1, "nps", 3, "2026-01-11 12:00:00"),
    (3, 1, "csat", 5, "2026-01-12 12:00:00"),
]


ACTIVITIES = [  # author, contact, organization, occurred at (UTC)
    (2, 1, 1, "2026-01-07 10:00:00"),
    (1, 1, 1, "2026-01-05 09:00:00"),
    (2, 2, 2, "2026-01-06 15:00:00"),
    (1, 3, None, "2026-02-01 23:30:00"),
]
WEEKS = ["2026-01-05"] * 3 + ["2026-01-26"]


def populate(url: str, state: str) -> None:
    """What people had typed in by then, in that state's schema: Alice saw Zoé first, then
    Bob did; Bob saw Marc; Alice saw Léa; nobody worked on Paul or Initech. Since the audit
    trail (0002) creations are recorded: Alice created Marc, the admin Globex (and, today,
    the admin created everything)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TIME ZONE 'UTC'")

        def insert(table: str, rows: list[dict]) -> None:
            names = ", ".join(rows[0])
            values = ", ".join(f":{name}" for name in rows[0])
            conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({values})'), rows)

        at = "2026-01-01 08:00:00"
        user = {"password_hash": hash_password(PASSWORD), "timezone": "Europe/Paris"}
        user |= {"is_manager": False, "is_active": True, "created_at": at}
        insert(
            "user",
            [
                {"email": f"{name}@example.test", "name": name.title(), **user}
                | {"is_seller": name != "admin", "is_admin": name == "admin"}
                for name in ("alice", "bob", "admin")
            ],
        )
        blank = {"phone": "", "tags": "", "notes": "", "created_at": at, "updated_at": at}
        insert(
            "organization",
            [
                {"name": name, "website": "", "sort_key": name.lower(), "search_text": name} | blank
                for name in ("Acme", "Globex", "Initech")
            ],
        )
        insert(
            "contact",
            [
                {"name": name, "organization_id": org, "email": "", "title": "", "language": "fr"}
                | {"sort_key": name.lower(), "search_text": name.lower(), **blank}
                for name, org in (("Zoé", 1), ("Marc", 2), ("Léa", None), ("Paul", 3))
            ],
        )
        # The app has set each activity's week since that column exists.
        weekly = "occurred_week" in {c["name"] for c in inspect(conn).get_columns("activity")}
        insert(
            "activity",
            [
                {"author_id": author, "contact_id": contact, "organization_id": org}
                | {"occurred_at": when, "created_at": when, "kind": "call", "text": "Called"}
                | {"visibility": "team"}
                | ({"occurred_week": week} if weekly else {})
                for (author, contact, org, when), week in zip(ACTIVITIES, WEEKS, strict=True)
            ],
        )
        insert(
            "follow_up",
            [
                {"what": "Call back", "due_on": "2026-01-12", "owner_id": 1, "contact_id": 1}
                | {"organization_id": 1, "activity_id": 2, "is_private": False, "created_at": at}
            ],
        )
        created = [("contact", 2, 1), ("organization", 2, 3)]
        if state == "today":
            created = [("contact", i, 3) for i in (1, 2, 3, 4)]
            created += [("organization", i, 3) for i in (1, 2, 3)]
        if state != "first_release":
            insert(
                "audit_entry",
                [
                    {"record_type": kind, "record_id": i, "actor_id": actor, "at": at}
                    | {"field": "created", "old_value": "", "new_value": ""}
                    for kind, i, actor in created
                ],
            )
        if state == "surveys_b5d6890":
            insert(
                "survey_link",
                [
                    {"nonce": f"n{i}", "contact_id": contact, "deal_id": None}
                    | {"created_by": seller, "kind": kind, "language": "fr", "created_at": at}
                    | {"expires_at": "2026-03-01 00:00:00", "used_at": answered}
                    for i, (contact, seller, kind, _score, answered) in enumerate(ANSWERS)
                ],
            )
            insert(
                "survey_response",
                [
                    {"link_id": i, "contact_id": contact, "deal_id": None, "seller_id": seller}
                    | {"kind": kind, "score": score, "comment": "", "answered_at": answered}
                    for i, (contact, seller, kind, score, answered) in enumerate(ANSWERS, 1)
                ],
            )
    engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = [tuple(row) for row in conn.execute(text(sql))]
    engine.dispose()
    return found


# Owners after the upgrade, by id. First release: no history, so whoever worked on the
# customer first. Later: the creator where the audit trail names one (0004's rule).
OWNERS = {
    "first_release": {"contact": [1, 2, 1, None], "organization": [1, 2, None]},
    "surveys_b5d6890": {"contact": [1, 1, 1, None], "organization": [1, 3, None]},
    "calendar_feed_f581e3a": {"contact": [1, 1, 1, None], "organization": [1, 3, None]},
}


@pytest.mark.parametrize("state", STATES)
def test_an_older_database_upgrades_to_the_schema_of_a_fresh_install(state, new_database, tmp_path):
    fresh = new_database("fresh")
    migrate(fresh)
    url = new_database(state)
    migrate_as_of(url, state)
    populate(url, state)

    migrate(url)

    assert schema_of(url) == schema_of(fresh)
    assert differences_from_models(url) == []
    assert rows(url, "SELECT name FROM contact ORDER BY id") == [
        ("Zoé",),
        ("Marc",),
        ("Léa",),
        ("Paul",),
    ]
    for table, owners in OWNERS[state].items():
        assert [o for (o,) in rows(url, f"SELECT owner_id FROM {table} ORDER BY id")] == owners
    weeks = rows(url, "SELECT occurred_week FROM activity ORDER BY id")
    assert [str(week) for (week,) in weeks] == WEEKS
    assert rows(url, "SELECT COUNT(*) FROM follow_up") == [(1,)]
    if state == "surveys_b5d6890":
        months = rows(url, "SELECT answered_month FROM survey_response ORDER BY id")
        assert months == [("2026-01",), ("2026-02",), ("2026-01",), ("2026-01",), ("2026-01",)]
        assert sorted(rows(url, "SELECT * FROM survey_tally")) == [
            ("csat", "2026-01", 1, "5", 2, 10),
            ("csat", "2026-02", 2, "4", 1, 4),
            ("nps", "2026-01", 1, "detractors", 1, -1),
            ("nps", "2026-01", 1, "promoters", 1, 1),
        ]
    assert rows(url, 'SELECT COUNT(*) FROM "user" WHERE NOT digest_enabled') == [(3,)]
    # The failure people saw: a "successful" migrate, then a 500 on every login.
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="x", background=False)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        login = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        form = {"email": "alice@example.test", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 303
        assert client.get("/contacts").status_code == 200


def test_the_repair_changes_nothing_on_a_database_built_by_today_migrations(new_database):
    url = new_database("today")
    command.upgrade(alembic_config(url), "0006")
    populate(url, "today")
    before = schema_of(url)
    data = {t: rows(url, f"SELECT * FROM {t} ORDER BY id") for t in ("contact", "organization")}

    command.upgrade(alembic_config(url), "0007")

    after = schema_of(url)
    assert (before.pop("alembic heads"), after.pop("alembic heads")) == (("0006",), ("0007",))
    assert after == before
    assert {t: rows(url, f"SELECT * FROM {t} ORDER BY id") for t in data} == data
