import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app.core.config import Settings
from app.core.db import DatabaseNotMigrated, include_object, make_engine, migrate
from app.main import create_app


def head_revisions(url: str) -> tuple[str, ...]:
    """The head of the migration scripts: the revision every migrated database must be at."""
    from alembic.script import ScriptDirectory

    from app.core.db import alembic_config

    return tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def test_the_migrations_build_exactly_the_models_schema(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": include_object}),
            SQLModel.metadata,
        )
    assert diff == [], "models and migrations disagree: add a migration"


def test_the_app_refuses_an_unmigrated_database_and_names_the_command(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="x")
    with pytest.raises(DatabaseNotMigrated, match="carnet migrate"):
        create_app(settings)
    migrate(settings.effective_database_url)
    assert create_app(settings) is not None


def test_migrations_go_down_and_up_again(database_url):
    from alembic import command

    from app.core.db import alembic_config

    cfg = alembic_config(database_url)
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
        assert heads == head_revisions(database_url)
    engine.dispose()


def test_the_default_pipeline_is_seeded_by_the_migration(session):
    from app.deals.stages import list_stages

    stages = list_stages(session)
    assert [s.key for s in stages] == [
        "lead",
        "qualified",
        "meeting",
        "quote_sent",
        "negotiation",
        "won",
        "lost",
    ]
    assert [s.kind for s in stages][-2:] == ["won", "lost"]
    assert stages[3].facts == ["quote"]
    assert stages[5].facts == ["amount", "close_date"]
    assert stages[6].facts == ["loss_reason"]


def test_migrations_upgrade_a_populated_database(tmp_path):
    """Batch mode rebuilds tables that others reference: it must work with data in them."""
    from alembic import command
    from sqlalchemy import text

    from app.core.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0003")
    engine = make_engine(url)
    with Session(engine) as session:
        session.execute(
            text(
                "INSERT INTO user (email, name, password_hash, is_seller, is_manager, is_admin, "
                "is_active, timezone, created_at) VALUES ('a@b.c', 'A', 'x', 1, 0, 0, 1, "
                "'Europe/Paris', '2026-01-01 00:00:00')"
            )
        )
        session.execute(
            text(
                "INSERT INTO organization (name, website, phone, tags, notes, sort_key, "
                "search_text, created_at, updated_at) VALUES ('Acme', '', '', '', '', 'acme', "
                "'acme', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        session.execute(
            text(
                "INSERT INTO contact (name, email, phone, title, organization_id, tags, notes, "
                "language, sort_key, search_text, created_at, updated_at) VALUES ('Zoé', '', '', "
                "'', 1, '', '', '', 'zoe', 'zoe', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        session.commit()
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == head_revisions(url)
        assert conn.execute(text("SELECT name FROM contact")).scalar_one() == "Zoé"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_keys_saved_before_the_new_fold_are_refolded_by_the_upgrade(tmp_path):
    """Names saved with œ, ø or ı before migration 0020 are found as typed without them."""
    from alembic import command
    from sqlalchemy import text

    from app.core.db import alembic_config
    from app.core.text import fold

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0019")
    engine = make_engine(url)
    stamp = "'2026-01-01 00:00:00'"
    with Session(engine) as session:
        for name, old_key in [("Œdipe", "œdipe"), ("Iğdır Øre", "ıgdır øre"), ("Zoé", "zoe")]:
            session.execute(
                text(
                    "INSERT INTO contact (name, email, phone, title, tags, notes, language, "
                    f"sort_key, search_text, created_at, updated_at) VALUES (:n, '', '', '', "
                    f"'', '', '', :k, :k, {stamp}, {stamp})"
                ),
                {"n": name, "k": old_key},
            )
        session.commit()
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sort_key, search_text FROM contact")).all()
        assert all(key == text_ == fold(name) for name, key, text_ in rows), rows
        found = conn.execute(
            text("SELECT rowid FROM contact_trigrams WHERE contact_trigrams MATCH '\"oedip\"'")
        ).all()
        assert len(found) == 1  # the search index followed
    engine.dispose()
