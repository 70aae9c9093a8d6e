"""Request bodies are size-limited before anything else runs (authentication included):
a declared Content-Length over the limit is refused unread, a streamed body is counted
and refused as soon as it passes the limit."""

import asyncio
import tempfile

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.core.error_pages import error_response
from app.core.i18n import N_


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; an HTTPException so that
    FastAPI's body parsing passes it on to the app's handler instead of answering 400."""

    def __init__(self, limit: int, multipart: bool) -> None:
        super().__init__(status_code=413, detail="Request body too large")
        self.limit = limit
        self.multipart = multipart


def too_large_response(request: Request, exc: BodyTooLarge) -> Response:
    # The rest of a refused body is never read: the connection cannot be reused.
    headers = {"Connection": "close"}
    if request.url.path.startswith("/api/"):
        what = "a multipart upload" if exc.multipart else "a request body"
        detail = f"Request body too large: the limit for {what} is {exc.limit} bytes."
        return JSONResponse({"detail": detail}, status_code=413, headers=headers)
    if exc.multipart:
        title = N_("File too large")
        message = N_("This file is larger than the upload limit. Go back and choose a smaller one.")
    else:
        title = N_("Request too large")
        message = N_("This request is larger than Carnet accepts. Go back and send less.")
    return error_response(request, 413, title, message, headers)


class BodySizeLimit:
    """Plain ASGI, outside the routes: nothing of a refused body is read or buffered.

    Multipart bodies (uploads) may be up to `multipart_limit`, every other body up to
    `limit` bytes."""

    def __init__(self, app, limit: int, multipart_limit: int):
        self.app = app
        self.limit = limit
        self.multipart_limit = multipart_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = b""
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        multipart = content_type.lower().startswith(b"multipart/")
        limit = self.multipart_limit if multipart else self.limit
        if declared is not None and declared > limit:
            # Answered before the body is read; the server then closes the connection.
            response = too_large_response(Request(scope), BodyTooLarge(limit, multipart))
            await response(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, multipart)
            return message

        async def noting_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyTooLarge as exc:
            # Normally the app's handler answers; this covers a body read outside a route.
            if started:
                raise
            await too_large_response(Request(scope), exc)(scope, receive, send)


# A body is held in memory up to this size, then spooled to a temporary file: an upload
# read before its turn costs disk, not memory.
SPOOL_BYTES = 1024 * 1024
REPLAY_CHUNK = 64 * 1024


async def read_body(receive):
    """The whole request body, read as it comes: (file, size), or None if the client left.

    Read before the request takes a slot, so a client trickling its body in (a phone on a
    bad network, or a slow-loris attack) holds only its own connection."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the gate closes it)
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            body.write(message.get("body", b""))
            if not message.get("more_body", False):
                size = body.tell()
                body.seek(0)
                return body, size
    except BaseException:
        body.close()  # refused as too large, or cancelled
        raise


def replaying(body, size: int, receive):
    """A `receive` that hands the app the body already read, then the client's own events
    (a disconnect, while a response streams)."""

    async def replay():
        if body.closed:
            return await receive()
        chunk = body.read(REPLAY_CHUNK)
        more = body.tell() < size
        if not more:
            body.close()
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


def _has_body(scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


class RequestGate:
    """At most `size` requests inside the app at once (from their body fully read until
    their answer starts); the others wait their turn here.

    Routes and their dependencies run in a pool of threads, one hop each. Past that many
    requests in flight, a request that holds SQLite's write lock could wait for a thread
    while every thread waited for the lock: writers then failed with "database is locked"
    after the busy timeout. Waiting here holds neither a thread nor a lock, and the pool
    is kept larger than the gate, so the holder always gets its next hop."""

    def __init__(self, app, size: int) -> None:
        self.app = app
        self.size = max(1, size)
        self.gate: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.gate is None:
            self.gate = asyncio.Semaphore(self.size)
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.size + 16)
        if _has_body(scope):
            # Only a whole body gets a slot: a slot is never held waiting on the network
            # (24 trickling logins kept every page, /healthz included, waiting).
            read = await read_body(receive)
            if read is None:
                return  # the client left before it finished sending
            body = read[0]
            receive = replaying(*read, receive)
        else:
            body = None
        # The slot is given back once the answer starts: a page is sent whole by then, and a
        # download streaming to a slow phone must not keep others from being served.
        await self.gate.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                self.gate.release()

        async def releasing_send(message):
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            give_back()
            if body is not None:
                body.close()  # a body the app did not read (a refused login, a redirect)


def install(app, settings) -> None:
    """Add the limit around the app, and let the app's own handler answer a body found too
    large while a route reads it."""
    app.add_middleware(RequestGate, size=settings.max_concurrent_requests)
    app.add_middleware(
        BodySizeLimit, limit=settings.max_body_bytes, multipart_limit=settings.max_multipart_bytes
    )
    app.add_exception_handler(BodyTooLarge, too_large_response)
