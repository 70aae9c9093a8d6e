"""Organizations and the people who work there."""

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.core.schema import MAX_ID, CleanInput, RecordId, utcnow
from app.core.text import clean_tags

LIVE = text("archived_at IS NULL")  # partial indexes over records not archived


class _Cleaned(CleanInput):
    @field_validator("tags", mode="after", check_fields=False)
    @classmethod
    def _tags(cls, value):
        return clean_tags(value) if isinstance(value, str) else value


class _Kept(SQLModel):
    """What both customer tables keep beside what the user types."""

    id: int | None = Field(default=None, primary_key=True)
    # The seller who looks after this customer: who created it, until a hand-over.
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # Lower-cased, accent-free copies, so sorting and search ignore case and accents.
    sort_key: str = Field(default="", max_length=200)
    search_text: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = None


class OrganizationBase(_Cleaned):
    name: str = Field(min_length=1, max_length=200)
    website: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=50)
    tags: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=10000)


class Organization(_Kept, OrganizationBase, table=True):
    # search_text rides in the index so a search that matches little never reads the table.
    __table_args__ = (
        Index("ix_organization_archived_sort", "archived_at", "sort_key", "id", "search_text"),
        Index(
            "ix_organization_live_sort",
            "sort_key",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )


class OrganizationCreate(OrganizationBase):
    pass


class OrganizationUpdate(_Cleaned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    website: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=50)
    tags: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10000)


class OrganizationRead(OrganizationBase):
    id: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class ContactBase(_Cleaned):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    title: str = Field(default="", max_length=200)
    organization_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, ge=1, le=MAX_ID
    )
    tags: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=10000)
    # The language a customer is written to in (surveys, later); empty: unknown.
    language: str = Field(default="", max_length=8)


class Contact(_Kept, ContactBase, table=True):
    # search_text rides in the index so a search that matches little never reads the table.
    __table_args__ = (
        Index("ix_contact_archived_sort", "archived_at", "sort_key", "id", "search_text"),
        # Live contacts in name order, and an organization's live people (migration 0016).
        Index("ix_contact_live_sort", "sort_key", "id", sqlite_where=LIVE, postgresql_where=LIVE),
        Index(
            "ix_contact_org_live",
            "organization_id",
            "sort_key",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        # A captured mail's customers, found by address (migration 0023).
        Index("ix_contact_email", "email"),
        # A seller's live contacts in name order, for quick entry (migration 0019).
        Index(
            "ix_contact_owner_live",
            "owner_id",
            "sort_key",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )

    @property
    def erased(self) -> bool:
        """Forgotten at the person's request (app/interop/erasure.py): only its id is left."""
        return self.archived_at is not None and self.name == "—"


class ContactCreate(ContactBase):
    pass


class ContactUpdate(_Cleaned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=200)
    organization_id: RecordId | None = None
    tags: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10000)
    language: str | None = Field(default=None, max_length=8)


class ContactRead(ContactBase):
    id: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
