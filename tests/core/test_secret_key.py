"""The installation's signing key: one per database, shared by every process."""

from sqlalchemy import text

from app.core.db import make_engine, migrate
from app.core.secret_key import installation_key


def _engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    migrate(url)
    return make_engine(url)


def test_two_processes_on_one_database_get_the_same_key(tmp_path):
    engine = _engine(tmp_path)
    first = installation_key(engine, "", tmp_path / "host-a")
    second = installation_key(make_engine(str(engine.url)), "", tmp_path / "host-b")
    assert first == second and len(first) >= 40


def test_a_key_kept_in_the_data_directory_moves_into_the_database(tmp_path):
    engine = _engine(tmp_path)
    (tmp_path / "secret_key").write_text("the-old-key\n")
    assert installation_key(engine, "", tmp_path) == "the-old-key"
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT value FROM app_setting WHERE key='secret_key'"))
        assert stored.scalar() == "the-old-key"


def test_a_configured_key_wins_and_is_not_written(tmp_path):
    engine = _engine(tmp_path)
    assert installation_key(engine, "from-env", tmp_path) == "from-env"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_setting")).scalar() == 0
