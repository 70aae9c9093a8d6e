"""Accounts, browser sessions, API tokens and failed-login records."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow

LANGUAGES = ("en", "fr")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str
    is_seller: bool = True
    is_manager: bool = False
    is_admin: bool = False
    is_active: bool = True
    # Set by an admin before a hand-over; the person sees it on their account page.
    leaving_since: datetime | None = None
    # None: follow the browser's Accept-Language.
    language: str | None = Field(default=None, max_length=8)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    # The morning email of the day's follow-ups: asked for by the user, sent once a day.
    digest_enabled: bool = False
    last_digest_on: date | None = None
    # Two-step sign-in: the authenticator app's shared secret, and the last 30-second step
    # whose code was accepted (a code seen once is refused after, even within its minute).
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Mail capture: the secret part of the seller's capture address (crm+<key>@…), renewed
    # at will (the old one stops working), and whether captured mail is private by default.
    capture_key: str | None = Field(default=None, max_length=32, unique=True, index=True)
    capture_private: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def two_step(self) -> bool:
        return self.totp_secret is not None

    @property
    def can_see_records(self) -> bool:
        """R5: a pure manager sees aggregates only, never individual records."""
        return self.is_seller or self.is_admin

    @property
    def role_names(self) -> list[str]:
        roles = [("seller", self.is_seller), ("manager", self.is_manager), ("admin", self.is_admin)]
        return [name for name, on in roles if on]


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"
    # sha256 of the cookie's random token: a stolen database does not yield live cookies.
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """Single-use codes for a lost phone, kept as hashes like passwords."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_client_at", "client", "at"),
        Index("ix_login_failure_email_client_at", "email", "client", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    # A keyed hash of the client's address: throttling needs to tell clients apart, not to
    # keep anyone's address.
    client: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    at: datetime = Field(default_factory=utcnow, index=True)
