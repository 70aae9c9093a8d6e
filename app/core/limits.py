"""Request bodies are size-limited before anything else runs (authentication included):
a declared Content-Length over the limit is refused unread, a streamed body is counted
and refused as soon as it passes the limit."""

import asyncio

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


class RequestGate:
    """At most `size` requests inside the app at once (until their answer starts); the
    others wait their turn here.

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


def install(app, settings) -> None:
    """Add the limit around the app, and let the app's own handler answer a body found too
    large while a route reads it."""
    app.add_middleware(RequestGate, size=settings.max_concurrent_requests)
    app.add_middleware(
        BodySizeLimit, limit=settings.max_body_bytes, multipart_limit=settings.max_multipart_bytes
    )
    app.add_exception_handler(BodyTooLarge, too_large_response)
