"""Document contents, kept once per SHA-256: as files under the data directory (the default)
or as rows in the database (CARNET_DOCUMENT_STORE=database), which every process on every
host can read. An upload is spooled to a temporary file while it is hashed, so a crash never
leaves half a file under a name the database points to; what a crash leaves in tmp/ is
swept at the next start."""

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.core.schema import utcnow
from app.documents.models import DatabaseFile, DatabaseFileChunk

CHUNK = 1024 * 1024
# An upload or export still being written by another process is younger than this.
STALE_SECONDS = 3600

_FILES = DatabaseFile.__table__
_CHUNKS = DatabaseFileChunk.__table__

OpenSession = Callable[[], AbstractContextManager[Session]]


class TooLarge(Exception):
    pass


class Empty(Exception):
    pass


@dataclass
class StoredFile:
    sha256: str
    size: int
    path: Path | None = None  # None when kept in the database


@dataclass
class Content:
    """A stored content: a file on disk (served with sendfile and ranges) or database rows."""

    sha256: str
    size: int
    path: Path | None

    def chunks(self, open_session: OpenSession) -> Iterator[bytes]:
        if self.path is not None:
            with self.path.open("rb") as file:
                yield from _read_all(file)
            return
        number = 0
        while True:
            # One short transaction per chunk: a slow download holds no connection or lock.
            with open_session() as session:
                chunk = session.execute(
                    select(_CHUNKS.c.content).where(
                        _CHUNKS.c.sha256 == self.sha256, _CHUNKS.c.number == number
                    )
                ).scalar()
            if chunk is None:
                return
            yield bytes(chunk)
            number += 1


@dataclass
class DocumentStore:
    """Where contents live, chosen by CARNET_DOCUMENT_STORE; the only way in or out."""

    root: Path  # data_dir/documents: the file store, and tmp/ for uploads being hashed
    max_bytes: int
    in_database: bool = False

    @classmethod
    def of(cls, settings) -> "DocumentStore":
        return cls(
            settings.documents_dir,
            settings.max_upload_bytes,
            settings.document_store == "database",
        )

    def save(self, session: Session, source: BinaryIO) -> StoredFile:
        """Copies `source` in; refuses empty or oversized files without leaving anything
        behind. In the database, the content is written in the session's transaction, so it
        is kept exactly when the document that refers to it is."""
        return self._save(session, _read_all(source), self.max_bytes)

    def _save(self, session: Session, chunks: Iterable[bytes], max_bytes: int) -> StoredFile:
        if self.in_database:
            return _to_database(session, self.root / "tmp", chunks, max_bytes)
        return _to_disk(self.root, chunks, max_bytes)

    def find(self, session: Session, sha256: str) -> Content | None:
        if self.in_database:
            size = session.execute(select(_FILES.c.size).where(_FILES.c.sha256 == sha256)).scalar()
            return None if size is None else Content(sha256, size, None)
        path = path_for(self.root, sha256)
        return Content(sha256, path.stat().st_size, path) if path.is_file() else None

    def forget(self, session: Session, sha256: str) -> Path | None:
        """Drops a content no document refers to any more. In the database, in the session's
        transaction; on disk, the caller removes the returned path once it has committed
        (a rollback must not find its file gone)."""
        if self.in_database:
            session.execute(delete(_CHUNKS).where(_CHUNKS.c.sha256 == sha256))
            session.execute(delete(_FILES).where(_FILES.c.sha256 == sha256))
            return None
        return path_for(self.root, sha256)

    def take_in(self, session: Session, archived: Path) -> None:
        """After a restore: every content of the archive's documents/ folder and of the
        database ends up in this store, whichever store the backup came from (so a backup
        and a restore also move an installation from one store to the other)."""
        for _name, path in content_files(archived):
            with path.open("rb") as file:
                self._save(session, _read_all(file), sys.maxsize)
        if self.in_database or not inspect(session.connection()).has_table(_FILES.name):
            return
        for sha256 in session.scalars(select(_FILES.c.sha256)).all():
            content = Content(sha256, 0, None)
            _to_disk(self.root, content.chunks(lambda: nullcontext(session)), sys.maxsize)
        session.execute(delete(_CHUNKS))
        session.execute(delete(_FILES))


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def content_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of every content file under `root`, temporary files left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and "tmp" not in relative.parts:
            yield relative.as_posix(), path


def store(root: Path, source: BinaryIO, max_bytes: int) -> StoredFile:
    """Copies `source` into the file store under `root`. Identical content is kept once."""
    return _to_disk(root, _read_all(source), max_bytes)


def remove_stale_temp_files(directory: Path, older_than: float = STALE_SECONDS) -> int:
    """Temporary files of uploads or exports cut short by a crash: removed at start-up once
    no process can still be writing them (a file being written has a recent mtime)."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass  # another process starting at the same time removed it first
    return removed


def _read_all(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


@contextmanager
def _spooled(tmp_dir: Path, chunks: Iterable[bytes], max_bytes: int):
    """Writes `chunks` to a temporary file, hashing as it goes; yields (path, sha256, size)
    and removes the file afterwards, unless it was moved into place."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir)
    tmp = Path(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Empty
        yield tmp, digest.hexdigest(), size
    finally:
        tmp.unlink(missing_ok=True)


def _to_disk(root: Path, chunks: Iterable[bytes], max_bytes: int) -> StoredFile:
    with _spooled(root / "tmp", chunks, max_bytes) as (tmp, sha, size):
        final = path_for(root, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Atomic on one file system: the final name holds the whole file or nothing.
        os.replace(tmp, final)
    return StoredFile(sha, size, final)


def _to_database(
    session: Session, tmp_dir: Path, chunks: Iterable[bytes], max_bytes: int
) -> StoredFile:
    with _spooled(tmp_dir, chunks, max_bytes) as (tmp, sha, size):
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # Two uploads of one content at once: the second waits for the first's transaction
        # (PostgreSQL) or for the write lock (SQLite), then finds the content there.
        head = dialect.insert(_FILES).on_conflict_do_nothing(index_elements=["sha256"])
        head = head.values(sha256=sha, size=size, created_at=utcnow()).returning(_FILES.c.size)
        if session.execute(head).first() is not None:
            with tmp.open("rb") as file:
                for number, chunk in enumerate(_read_all(file)):
                    session.execute(
                        insert(_CHUNKS).values(sha256=sha, number=number, content=chunk)
                    )
    return StoredFile(sha, size)
