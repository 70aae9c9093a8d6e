"""The key that signs sessions, calendar feeds and survey links: one per installation, kept
in the database so every process and host, and a restored backup, use the same one."""

import secrets
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

SETTING = "secret_key"


def installation_key(engine: Engine, configured: str, data_dir: Path) -> str:
    """CARNET_SECRET_KEY when set; otherwise the database's key, created once. An install
    that kept its key in data_dir/secret_key (before it moved to the database) keeps it,
    so nobody is logged out and no feed or survey link breaks on upgrade."""
    if configured:
        return configured
    with engine.connect() as conn:
        found = _read(conn)
    if found:
        return found
    legacy = data_dir / "secret_key"
    candidate = legacy.read_text().strip() if legacy.is_file() else ""
    candidate = candidate or secrets.token_urlsafe(48)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO app_setting (key, value) VALUES (:k, :v)"),
                {"k": SETTING, "v": candidate},
            )
    except IntegrityError:
        pass  # another process stored one first: everybody uses that one
    with engine.connect() as conn:
        return _read(conn)


def _read(conn) -> str:
    value = conn.execute(
        text("SELECT value FROM app_setting WHERE key = :k"), {"k": SETTING}
    ).scalar()
    return value or ""
