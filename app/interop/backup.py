"""Backups: one archive with a consistent copy of the database and every document (in the
dump with CARNET_DOCUMENT_STORE=database, as files beside it otherwise).

SQLite is copied with its online backup API, so Carnet may keep running; PostgreSQL with
pg_dump (custom format). `restore` refuses anything but an empty target, so it can
never overwrite live data."""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import make_engine, migrate
from app.documents.storage import DocumentStore, content_files

FORMAT = 1


class BackupError(Exception):
    pass


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return [*args, "-d", u.database or ""], env


def backup(settings: Settings, target: Path) -> Path:
    """Writes `target` (a .tar.gz) and returns it. Written beside it first, then renamed."""
    url = settings.effective_database_url
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp = Path(tmp)
        if url.startswith("sqlite"):
            db_name = "carnet.db"
            source = sqlite3.connect(str(_sqlite_path(url)))
            copy = sqlite3.connect(str(tmp / db_name))
            with copy:
                source.backup(copy)  # a consistent snapshot, even while Carnet writes
            copy.close()
            source.close()
            backend = "sqlite"
        else:
            db_name = "carnet.pgdump"
            args, env = _pg_args(url)
            done = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "-f", str(tmp / db_name), *args],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            backend = "postgresql"
        manifest = {
            "format": FORMAT,
            "backend": backend,
            "database": db_name,
            "created_at": datetime.now(UTC).isoformat(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = tmp / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(tmp / "manifest.json", arcname="manifest.json")
            tar.add(tmp / db_name, arcname=db_name)
            # With the database store, documents are in the dump; any files are kept too.
            for name, path in content_files(settings.documents_dir):
                tar.add(path, arcname=f"documents/{name}")
        os.replace(partial, target)
    return target


def _empty_database(url: str) -> bool:
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(settings: Settings, source: Path) -> dict:
    """Brings a backup back into an empty data directory (and, for PostgreSQL, an empty
    database). Returns the archive's manifest."""
    url = settings.effective_database_url
    documents = settings.documents_dir
    if documents.exists() and any(documents.iterdir()):
        raise BackupError(f"{documents} is not empty: restore needs an empty data directory.")
    if url.startswith("sqlite") and _sqlite_path(url).exists() and not _empty_database(url):
        raise BackupError(f"{_sqlite_path(url)} already holds data: restore into a new one.")
    if not url.startswith("sqlite") and not _empty_database(url):
        raise BackupError("The target database is not empty: restore into an empty database.")
    with tarfile.open(source, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
        tar.extractall(tmp, filter="data")  # "data" refuses absolute paths and links out
        tmp = Path(tmp)
        manifest = json.loads((tmp / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError("This archive was not written by this version of Carnet.")
        if (manifest["backend"] == "sqlite") != url.startswith("sqlite"):
            raise BackupError(
                f"This is a {manifest['backend']} backup; set CARNET_DATABASE_URL to match."
            )
        if manifest["backend"] == "sqlite":
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            shutil.copyfile(tmp / manifest["database"], target)
        else:
            args, env = _pg_args(url)
            done = subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--exit-on-error",
                    *args,
                    str(tmp / manifest["database"]),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        _take_in_documents(settings, tmp / "documents")
    return manifest


def _take_in_documents(settings: Settings, archived: Path) -> None:
    """Into the store this installation is set to use, whichever store wrote the backup."""
    url = settings.effective_database_url
    store = DocumentStore.of(settings)
    if store.in_database and any(content_files(archived)):
        migrate(url)  # an archive older than the database store: its table comes first
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            store.take_in(session, archived)
            session.commit()
    finally:
        engine.dispose()
