"""Clients on a bad network (or a slow-loris attack) hold only their own connections: a
request takes one of a worker's few slots once its body has fully arrived, not while it
trickles in."""

import socket
import time

import httpx

from app.core.db import migrate
from tests.serving import PASSWORD, carnet, log_in, serve


def _trickling_posts(url: str, count: int, body: bytes) -> list[socket.socket]:
    """`count` POSTs that announced `body` and sent only its first byte."""
    host, port = url.removeprefix("http://").split(":")
    posts = []
    for _ in range(count):
        conn = socket.create_connection((host, int(port)), timeout=10)
        conn.sendall(
            b"POST /login HTTP/1.1\r\nHost: c\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:1])
        )
        posts.append(conn)
    return posts


def test_trickling_bodies_do_not_keep_pages_waiting(tmp_path):
    migrate(f"sqlite:///{tmp_path / 'carnet.db'}")
    env = {"CARNET_DATA_DIR": str(tmp_path), "CARNET_MAX_CONCURRENT_REQUESTS": "2"}
    assert carnet("create-user", "s@x.test", "--password", PASSWORD, "--role", "seller", env=env)
    with serve(env) as url:
        body = b"email=s%40x.test&password=wrong"
        posts = _trickling_posts(url, 12, body)  # six times the slots
        time.sleep(0.5)
        started = time.monotonic()
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200
        seller = log_in(url, "s@x.test")  # a whole login, body and all
        assert seller.get("/today").status_code == 200
        assert time.monotonic() - started < 3
        # The trickled bodies, once complete, are answered like any other.
        for conn in posts:
            conn.sendall(body[1:])
        for conn in posts:
            assert conn.recv(12) in (b"HTTP/1.1 200", b"HTTP/1.1 303", b"HTTP/1.1 400")
            conn.close()
        # A client that gives up half-way leaves nothing held behind.
        for conn in _trickling_posts(url, 6, body):
            conn.close()
        time.sleep(0.3)
        for _ in range(4):
            assert seller.get("/today").status_code == 200
