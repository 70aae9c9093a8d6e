"""Pipeline stages, deals and the contacts on them. Money is minor units + ISO 4217 code."""

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import BigInteger, Index, text
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.schema import CleanInput, MachineDecimal, RecordId, utcnow

STAGE_KINDS = ("open", "won", "lost")
MAX_STAGES = 8

# The facts a stage may require, in the order the in-place form asks for them.
FACTS = ("amount", "close_date", "contact", "quote", "next_step", "loss_reason")
FACT_LABELS = {
    "amount": N_("an amount"),
    "close_date": N_("an expected close date"),
    "contact": N_("at least one contact"),
    "quote": N_("a current quote document"),
    "next_step": N_("a next step"),
    "loss_reason": N_("a loss reason"),
}

# Default stages keep a key so their names follow the reader's language until renamed.
DEFAULT_STAGES = (
    ("lead", N_("Lead"), "open", ""),
    ("qualified", N_("Qualified"), "open", ""),
    ("meeting", N_("Meeting"), "open", ""),
    ("quote_sent", N_("Quote sent"), "open", "quote"),
    ("negotiation", N_("Negotiation"), "open", ""),
    ("won", N_("Won"), "won", "amount,close_date"),
    ("lost", N_("Lost"), "lost", "loss_reason"),
)
DEFAULT_NAMES = {key: name for key, name, _kind, _facts in DEFAULT_STAGES}


class Stage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(default="", max_length=32)
    # Empty until the admin renames a default stage; then the admin's words are shown.
    name: str = Field(default="", max_length=60)
    position: int = Field(default=0, index=True)
    kind: str = Field(default="open", max_length=8)
    required_facts: str = Field(default="", max_length=200)
    # Chance, in percent, that a deal here is won: weights the seller's pipeline.
    probability: int = Field(default=0, ge=0, le=100)

    @property
    def facts(self) -> list[str]:
        return [f for f in self.required_facts.split(",") if f in FACTS]

    def label(self, loc) -> str:
        if self.name:
            return self.name
        return loc.gettext(DEFAULT_NAMES.get(self.key, self.key or "?"))


# How much of a folded title the list sorts and searches by.
TITLE_KEY_CHARS = 100


class DealBase(SQLModel):
    """What a deal is, as stored and as the API reads it."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    owner_id: int = Field(foreign_key="user.id")
    stage_id: int = Field(foreign_key="stage.id")
    # The stage's kind, copied on every move, so "my open deals" is one index range.
    status: str = Field(default="open", max_length=8)
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(default="EUR", max_length=3)
    expected_close_on: date | None = None
    next_step: str = Field(default="", max_length=500)
    next_step_due: date | None = None
    won_on: date | None = None
    won_amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    lost_on: date | None = None
    lost_reason: str = Field(default="", max_length=500)
    stage_entered_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Bumped by every write: a form or API call that read an older version is refused.
    version: int = Field(default=1)


CLOSE_KEY = "coalesce(expected_close_on, '9999-12-31')"


class Deal(DealBase, table=True):
    __table_args__ = (
        Index("ix_deal_owner_stage_updated", "owner_id", "stage_id", "updated_at"),
        Index("ix_deal_stage_updated", "stage_id", "updated_at"),
        Index("ix_deal_owner_status_due", "owner_id", "status", "next_step_due"),
        # "Quotes waiting for an answer": my deals in a stage, entered before a day.
        Index("ix_deal_owner_stage_entered", "owner_id", "stage_id", "stage_entered_at"),
        # Column totals read these two indexes only, never the table.
        Index("ix_deal_stage_money", "stage_id", "currency", "amount_minor"),
        Index("ix_deal_owner_stage_money", "owner_id", "stage_id", "currency", "amount_minor"),
        # The team's pipeline by stage, read from this index alone.
        Index(
            "ix_deal_status_stage_owner",
            "status",
            "stage_id",
            "owner_id",
            "currency",
            "amount_minor",
        ),
        # The team's list, a first page per sort read in index order (migration 0024).
        Index("ix_deal_status_updated", "status", "updated_at", "id"),
        Index("ix_deal_owner_status_updated", "owner_id", "status", "updated_at", "id"),
        Index("ix_deal_updated", "updated_at", "id"),
        Index("ix_deal_status_amount", "status", text("coalesce(amount_minor, -1)"), "id"),
        Index("ix_deal_status_close", "status", text(CLOSE_KEY), "id"),
        Index("ix_deal_status_title", "status", "title_key", "id"),
        # My reports: my won deals' cycle, how far my new deals went (migration 0022).
        Index("ix_deal_owner_won", "owner_id", "status", "won_on", "created_at"),
        Index("ix_deal_owner_created", "owner_id", "created_at", "furthest_position"),
        # Revenue won by month, for the seller and (aggregated) the team.
        Index(
            "ix_deal_status_won",
            "status",
            "won_on",
            "owner_id",
            "currency",
            "won_amount_minor",
            "organization_id",
        ),
    )
    # Folded title, for sorting and search.
    title_key: str = Field(default="", max_length=200)
    # The furthest stage position the deal has reached, for stage-to-stage conversion.
    furthest_position: int = 0


class RevenueTally(SQLModel, table=True):
    """Won revenue pre-summed by month, seller, currency and the organization's tags, kept
    by database triggers on every write of a deal or of an organization's tags (migration
    0021), whichever code path writes: the team's revenue tables read a few hundred rows of
    this instead of every won deal. Never shown per seller (R4)."""

    __tablename__ = "revenue_tally"
    month: str = Field(primary_key=True, max_length=7)
    seller_id: int = Field(primary_key=True)
    currency: str = Field(primary_key=True, max_length=3)
    tags: str = Field(primary_key=True, max_length=500)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    deals: int = 0


class StageTally(SQLModel, table=True):
    """Deals and their amounts by stage, seller and currency, kept by the same triggers:
    the board's column totals, mine or the team's, read a few rows of this."""

    __tablename__ = "stage_tally"
    stage_id: int = Field(primary_key=True)
    seller_id: int = Field(primary_key=True)
    currency: str = Field(primary_key=True, max_length=3)
    deals: int = 0
    amount_minor: int = Field(default=0, sa_type=BigInteger)


class DealContact(SQLModel, table=True):
    __tablename__ = "deal_contact"
    deal_id: int = Field(foreign_key="deal.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, index=True)


class DealCreate(CleanInput):
    title: str = Field(min_length=1, max_length=200)
    organization_id: RecordId | None = None
    contact_id: RecordId | None = None
    stage_id: RecordId | None = None
    # A decimal in major units (1200.50); checked against the currency's decimals.
    amount: MachineDecimal | None = Field(default=None, max_digits=20)
    currency: str = Field(default="", max_length=8)
    expected_close_on: date | None = None
    next_step: str = Field(default="", max_length=500)
    next_step_due: date | None = None


class DealUpdate(CleanInput):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    organization_id: RecordId | None = None
    amount: MachineDecimal | None = Field(default=None, max_digits=20)
    currency: str | None = Field(default=None, max_length=8)
    expected_close_on: date | None = None
    next_step: str | None = Field(default=None, max_length=500)
    next_step_due: date | None = None
    lost_reason: str | None = Field(default=None, max_length=500)
    owner_id: RecordId | None = None
    # The version the change was based on; a newer one on the server is a conflict (409).
    version: RecordId | None = None


class DealMove(DealUpdate):
    stage_id: RecordId
    contact_id: RecordId | None = None


class DealRead(DealBase):
    # Every field is always in the answer: the API description says so (defaults are for
    # the table, not for readers).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    status: Literal["open", "won", "lost"]
    # None in a list for someone else's won or lost deal (R3).
    owner_id: int | None
    contact_ids: list[int] = []


class StageRead(SQLModel):
    id: int
    name: str
    position: int
    kind: str
    required_facts: list[str]
    probability: int
