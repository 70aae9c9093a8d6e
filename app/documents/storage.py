"""Files on disk by content hash: written to a temporary file, then renamed into place,
so a crash never leaves a half-written file under a name the database points to."""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    pass


class Empty(Exception):
    pass


@dataclass
class StoredFile:
    sha256: str
    size: int
    path: Path


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def store(root: Path, source: BinaryIO, max_bytes: int) -> StoredFile:
    """Copies `source` into the store, hashing as it goes; refuses empty or oversized files
    without leaving anything behind. Identical content is kept once."""
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Empty
        sha = digest.hexdigest()
        final = path_for(root, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Atomic on one file system: the final name holds the whole file or nothing.
        os.replace(tmp_name, final)
        return StoredFile(sha, size, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
