"""The `carnet` command: serve, migrate, create-user, demo, backup, restore."""

import argparse
import getpass
import sys

from app.core.config import get_settings


def _serve(args) -> int:
    import uvicorn

    from app.core.serving import port_is_free, serve_workers
    from app.core.startup import StartupError, check_all

    settings = get_settings()
    workers = settings.workers if args.workers is None else args.workers
    if workers < 1:
        raise StartupError("--workers (CARNET_WORKERS) must be at least 1")
    # Once, here, before any worker starts: one line rather than a traceback per worker.
    check_all(settings)
    host, port = args.host or settings.host, args.port or settings.port
    port_is_free(host, port)  # before saying where Carnet is: a taken port is one clear line
    print(f"Carnet on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})")
    options = dict(
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        timeout_graceful_shutdown=10,
    )
    if workers == 1:
        uvicorn.run("app.main:create_app", **options)
    else:
        serve_workers(uvicorn.Config("app.main:create_app", **options))
    return 0


def _migrate(args) -> int:
    from app.core.db import migrate
    from app.core.startup import check_database_storage, check_schema, open_database

    settings = get_settings()
    check_database_storage(settings)
    engine = open_database(settings)
    try:
        check_schema(engine, newer_only=True)
    finally:
        engine.dispose()
    migrate(settings.effective_database_url)
    print(f"Database migrated: {_describe(settings.effective_database_url)}")
    return 0


def _describe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _session():
    from sqlmodel import Session

    from app.core.startup import check_schema, open_database

    engine = open_database(get_settings())
    check_schema(engine)
    return Session(engine)


def _create_user(args) -> int:
    from app.auth.service import create_user
    from app.core.errors import FormErrors

    password = args.password or getpass.getpass("Password (at least 10 characters): ")
    roles = set(args.role or ["seller"])
    with _session() as session:
        try:
            user = create_user(
                session,
                email=args.email,
                name=args.name or args.email.split("@")[0],
                password=password,
                is_seller="seller" in roles,
                is_manager="manager" in roles,
                is_admin="admin" in roles,
                timezone=get_settings().default_timezone,
            )
        except FormErrors as exc:
            for field, messages in exc.fields.items():
                for message in messages:
                    print(f"carnet: {field}: {message}", file=sys.stderr)
            return 2
    print(f"Created {user.email} ({', '.join(user.role_names)})")
    return 0


def _demo(args) -> int:
    from app.demo import DEMO_SIZES, load_demo

    with _session() as session:
        try:
            accounts = load_demo(session, seed=args.seed)
        except ValueError as exc:
            print(f"carnet: {exc}", file=sys.stderr)
            return 2
    size = DEMO_SIZES
    print(
        f"Demo data loaded: {size.organizations} organizations, {size.contacts} contacts, "
        f"{size.activities} activities, {size.deals} deals."
    )
    print("Log in at http://127.0.0.1:8000 with one of these accounts:")
    for email, password, roles in accounts:
        print(f"  {email:28} {password:22} {roles}")
    return 0


def _backup(args) -> int:
    from app.interop.backup import BackupError, backup

    try:
        path = backup(get_settings(), args.path)
    except (BackupError, OSError) as exc:
        print(f"carnet: {exc}", file=sys.stderr)
        return 2
    print(f"Backup written: {path} ({path.stat().st_size} bytes)")
    return 0


def _restore(args) -> int:
    from app.interop.backup import BackupError, restore

    try:
        manifest = restore(get_settings(), args.path)
    except (BackupError, OSError, KeyError) as exc:
        print(f"carnet: {exc}", file=sys.stderr)
        return 2
    print(f"Restored the {manifest['backend']} backup of {manifest['created_at']}.")
    return 0


def _digest(args) -> int:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.background import drain
    from app.interop.digest import schedule_due

    settings = get_settings()
    if not settings.smtp_host:
        print("carnet: set CARNET_SMTP_HOST to send digests.", file=sys.stderr)
        return 2
    with _session() as session:
        schedule_due(session, settings, datetime.now(UTC))
        engine = session.get_bind()
    # Through the same jobs the servers claim: a digest a server is sending is not sent twice.
    sent = drain(
        lambda writes=True: Session(engine, expire_on_commit=False), settings, None, ["digest"]
    )
    print(f"Digests sent: {sent}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="carnet", description="Carnet, the CRM for sellers.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve Carnet over HTTP")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, help="processes serving requests (default 1, CARNET_WORKERS)"
    )
    serve.set_defaults(func=_serve)

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=_migrate
    )

    create = sub.add_parser("create-user", help="create an account")
    create.add_argument("email")
    create.add_argument("--name")
    create.add_argument("--password", help="prompted for when absent")
    create.add_argument(
        "--role", action="append", choices=["seller", "manager", "admin"], help="repeatable"
    )
    create.set_defaults(func=_create_user)

    demo = sub.add_parser("demo", help="load demo accounts, customers and activities")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=_demo)

    from pathlib import Path

    save = sub.add_parser("backup", help="write the database and documents to one archive")
    save.add_argument("path", type=Path)
    save.set_defaults(func=_backup)

    load = sub.add_parser("restore", help="restore an archive into an empty data directory")
    load.add_argument("path", type=Path)
    load.set_defaults(func=_restore)

    digest = sub.add_parser("digest", help="send the morning digests that are due (for cron)")
    digest.set_defaults(func=_digest)

    args = parser.parse_args(argv)
    from app.core.startup import StartupError

    try:
        return args.func(args)
    except StartupError as exc:
        print(f"carnet: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
