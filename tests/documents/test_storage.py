"""The document store: whole files under their hash, or nothing."""

import hashlib
import io
import os
import time

import pytest

from app.documents import storage


class Breaks(io.BytesIO):
    """A source that fails half-way, as a dropped upload or a full disk would."""

    def read(self, size=-1):
        if self.tell() > 0:
            raise OSError("connection lost")
        return super().read(4)


def test_a_file_is_stored_under_its_sha256(tmp_path):
    stored = storage.store(tmp_path, io.BytesIO(b"quote v1"), 1000)
    assert stored.sha256 == hashlib.sha256(b"quote v1").hexdigest()
    assert stored.path.read_bytes() == b"quote v1" and stored.size == 8
    assert stored.path == tmp_path / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256


def test_the_same_content_is_kept_once(tmp_path):
    first = storage.store(tmp_path, io.BytesIO(b"same"), 1000)
    second = storage.store(tmp_path, io.BytesIO(b"same"), 1000)
    assert first.path == second.path
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [first.path]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (io.BytesIO(b""), storage.Empty),
        (io.BytesIO(b"x" * 11), storage.TooLarge),
        (Breaks(b"abcdefgh"), OSError),
    ],
)
def test_a_failed_write_leaves_no_file_behind(tmp_path, source, error):
    with pytest.raises(error):
        storage.store(tmp_path, source, 10)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_temporary_files_left_by_a_crash_are_removed_at_start_but_not_recent_ones(engine, settings):
    """An upload or export cut short by kill -9 leaves its temporary file; one younger than
    an hour may still be written by another process."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    old = time.time() - storage.STALE_SECONDS - 60
    left = []
    for directory in (settings.documents_dir / "tmp", settings.data_dir / "tmp"):
        directory.mkdir(parents=True)
        stale, recent = directory / "tmpabc", directory / "tmpdef"
        stale.write_bytes(b"half an upload")
        os.utime(stale, (old, old))
        recent.write_bytes(b"being written")
        left.append((stale, recent))
    with TestClient(create_app(settings, engine=engine, check_schema=False)) as client:
        assert client.get("/login").status_code == 200
    for stale, recent in left:
        assert not stale.exists() and recent.exists()
