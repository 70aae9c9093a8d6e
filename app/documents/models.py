"""Documents attached to a deal, organization, contact or activity, and their versions."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.schema import utcnow

KINDS = ("quote", "contract", "other")
KIND_LABELS = {"quote": N_("Quote"), "contract": N_("Contract"), "other": N_("Other")}


class Document(SQLModel, table=True):
    __table_args__ = (Index("ix_document_deal_kind", "deal_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="other", max_length=16)
    title: str = Field(max_length=200)
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    # Set when attached to a private activity: then only this user ever sees it (R2).
    private_to: int | None = Field(default=None, foreign_key="user.id")
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # The newest version is the current one; kept here so lists need no sub-query.
    current_version_id: int | None = None
    version_count: int = 0


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id")
    number: int
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class DatabaseFile(SQLModel, table=True):
    """A document's content kept in the database (CARNET_DOCUMENT_STORE=database), once per
    SHA-256 like a file in the file store; its bytes are in chunks, so neither an upload nor
    a download ever holds a whole file in memory."""

    __tablename__ = "stored_file"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class DatabaseFileChunk(SQLModel, table=True):
    __tablename__ = "stored_file_chunk"
    sha256: str = Field(primary_key=True, foreign_key="stored_file.sha256", max_length=64)
    number: int = Field(primary_key=True)
    content: bytes = Field(sa_type=LargeBinary)


class DocumentVersionRead(SQLModel):
    id: int
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int
    uploaded_at: datetime
    is_current: bool = False


class DocumentRead(SQLModel):
    id: int
    kind: str
    title: str
    deal_id: int | None
    organization_id: int | None
    contact_id: int | None
    activity_id: int | None
    created_at: datetime
    current_version_id: int | None
    version_count: int
    versions: list[DocumentVersionRead] = []
