"""Health checks for a load balancer or an orchestrator (/healthz: the process answers;
/readyz: its database answers at the code's schema), and the 503 a request gets when the
database cannot be reached, instead of a 500."""

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.db import DatabaseNotMigrated, DatabaseTooNew, check_migrated, reader
from app.core.error_pages import error_response
from app.core.i18n import N_

log = logging.getLogger("carnet.health")
RETRY_AFTER_SECONDS = 5

# PostgreSQL SQLSTATEs that say "not now", not "wrong SQL": class 08 (connection exception),
# admin or crash shutdown, starting up, too many connections.
UNREACHABLE_CLASSES = ("08",)
UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
SQLITE_UNREACHABLE = ("unable to open database file",)

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz():
    """The process is alive and serving; the database is not touched."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request):
    """Ready for traffic: the database answers and is at this code's migration head."""
    try:
        # A reading connection: on SQLite it does not queue behind a writer.
        check_migrated(reader(request.app.state.engine))
    except DatabaseTooNew:
        return _not_ready("database_newer", "The database was written by a newer Carnet.")
    except DatabaseNotMigrated:
        return _not_ready("not_migrated", "The database is not migrated: run `carnet migrate`.")
    except (DBAPIError, PoolTimeout) as exc:
        log.warning("readiness: database unreachable: %s", describe_database_error(exc))
        return _not_ready("database_unreachable", "Carnet cannot reach its database.")
    return {"status": "ok"}


def _not_ready(reason: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", "reason": reason, "detail": detail},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def database_unreachable(exc: BaseException) -> bool:
    """True when the database could not be reached (down, restarting, refusing, pool
    exhausted); False for an error in the SQL itself, which stays a 500 to be fixed."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate[:2] in UNREACHABLE_CLASSES or sqlstate in UNREACHABLE_STATES
    module = type(orig).__module__
    if module.startswith("sqlite3"):
        return any(text in str(orig) for text in SQLITE_UNREACHABLE)
    # psycopg reports a refused, reset or timed-out connection without a SQLSTATE.
    return module.startswith("psycopg") and type(orig).__name__ in (
        "OperationalError",
        "ConnectionTimeout",
    )


async def database_error(request: Request, exc: Exception):
    if not database_unreachable(exc):
        raise exc  # a genuine bug: the usual 500, with its traceback in the log
    log.warning(
        "database unreachable: %s %s: %s",
        request.method,
        request.url.path,
        describe_database_error(exc),
    )
    return error_response(
        request,
        503,
        N_("Database unavailable"),
        N_("Carnet cannot reach its database; try again in a moment."),
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def describe_database_error(exc: BaseException) -> str:
    """The driver's message on one line, for a log."""
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:300]


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PoolTimeout, database_error)
