"""Carnet's settings: one class, read from CARNET_* environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARNET_", extra="ignore")

    data_dir: Path = Path("data")
    # Empty means SQLite at data_dir/carnet.db, so `carnet serve` works with no configuration.
    database_url: str = ""
    # Empty: one key per installation, kept in the database (app/core/secret_key.py).
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Cookies are marked Secure only when served over HTTPS; local runs use plain HTTP.
    secure_cookies: bool = False
    # Webhooks may post to loopback and private addresses (a receiver on the same network).
    webhook_allow_private: bool = False
    session_days: int = 14
    # How long a "forgot password" link works.
    password_reset_minutes: int = 60
    # How long an invitation's "choose your password" link works.
    invitation_days: int = 7
    login_max_failures: int = 5
    # Failed logins from one client, whatever the emails, before each next try waits longer.
    login_client_free_failures: int = 10
    login_window_minutes: int = 15
    page_size: int = 25
    default_timezone: str = "Europe/Paris"
    min_group_size: int = 3
    # A team figure where one seller makes up more than this share is not shown either.
    max_share: float = 0.8
    # Amounts typed without a currency are in this one.
    default_currency: str = "EUR"
    # A deal in a stage that needs a quote is "waiting for an answer" after this many days.
    quote_wait_days: int = 7
    max_upload_mb: int = 25
    # "files": documents under data_dir/documents; "database": in the database, so every
    # process on every host serves them and a database backup holds them.
    document_store: Literal["files", "database"] = "files"
    # Background jobs (webhook deliveries, digests, big imports) run inside `carnet serve`;
    # off for tests and tools.
    background: bool = True
    # Jobs one process runs at once (each in a thread of its own).
    job_concurrency: int = 4
    # First wait before a failed webhook delivery is tried again; it doubles each time.
    webhook_retry_seconds: int = 30
    # Outgoing mail (the daily digest). No host: no mail is sent.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "carnet@localhost"
    # "starttls", "ssl" or "none" (a local relay).
    smtp_security: str = "starttls"
    # Mail a seller sends from Carnet leaves From their own address (when the server allows
    # it) instead of CARNET_SMTP_FROM; either way their address is the Reply-To.
    smtp_from_seller: bool = False
    # Mail capture: the team mailbox Carnet reads over IMAP. Each seller's capture address
    # is this mailbox's address with their secret after a "+" (crm+k7f3x9@company.example).
    capture_address: str = ""
    imap_host: str = ""
    imap_port: int = 993
    # "ssl", "starttls" or "none" (a server on this host).
    imap_security: str = "ssl"
    imap_username: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    # Where a message that could not be filed is moved, for the admin to look at.
    imap_failed_folder: str = "Carnet-failed"
    # Seconds between two looks at the mailbox.
    imap_poll_seconds: int = 60
    # The digest goes out from this hour, in each user's own time zone.
    digest_hour: int = 7
    # Public address of this Carnet, for links in emails and webhooks.
    base_url: str = "http://127.0.0.1:8000/"
    survey_days: int = 30
    # Answers accepted from one client (IP) per 10 minutes on the public survey page.
    survey_max_answers: int = 10
    # Largest request body other than a multipart upload, refused before it is read.
    max_body_kb: int = 1024
    # `carnet serve` processes; each holds up to db_pool_size + db_max_overflow PostgreSQL
    # connections (README: keep the total under the server's max_connections).
    workers: int = 1
    db_pool_size: int = 5
    # Requests worked on at once per process; the next ones queue (app/core/limits.py).
    # Python runs one at a time anyway: more only makes them fight for it and hold more
    # memory (measured at 5× the bench data: 24 → 4 took a worker from 157 to 137 MiB and
    # Today from 130 to 146 req/s). A request sending its answer holds no slot.
    max_concurrent_requests: int = 4
    db_max_overflow: int = 5
    # Lower in tests only: hashing cost is a security setting, not a tuning knob.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kb * 1024

    @property
    def max_multipart_bytes(self) -> int:
        """An upload and the form fields around it."""
        return self.max_upload_bytes + 1024 * 1024

    @property
    def cookies_secure(self) -> bool:
        """Secure cookies when asked, and whenever Carnet is reached over HTTPS."""
        return self.secure_cookies or self.base_url.lower().startswith("https://")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carnet.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def current_settings(request: Request) -> Settings:
    return request.app.state.settings


# What a route takes to read the installation's settings (the app built with them).
SettingsDep = Annotated[Settings, Depends(current_settings)]
