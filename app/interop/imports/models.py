"""An import, its uploaded file while it runs, and what it did to each record (for undo)."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class ImportJob(SQLModel, table=True):
    """One spreadsheet import: its file, the mapping, the choices, the outcome."""

    __tablename__ = "import_job"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    entity: str = Field(max_length=16)  # contacts, organizations, deals
    filename: str = Field(max_length=200)
    # Where the uploaded file was kept: "database" (ImportFile) since migration 0008.
    stored_as: str = Field(max_length=100)
    # mapping, ready, queued, running, done, failed, interrupted, cancelled, undone
    status: str = Field(default="mapping", max_length=12)
    headers: str = Field(default="[]")  # JSON list
    mapping: str = Field(default="{}")  # JSON {column index: field}
    total_rows: int = 0
    created: int = 0
    merged: int = 0
    skipped: int = 0
    invalid: int = 0
    report: str = Field(default="{}")  # JSON: messages per row, names created/merged/skipped
    error: str = Field(default="", max_length=500)
    # The language of whoever started it: a background job has no request to ask, and its
    # amounts and dates must read as they did in the preview. None: started before 0010.
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class ImportFile(SQLModel, table=True):
    """The uploaded file of an import not yet done, readable from every process and host."""

    __tablename__ = "import_file"
    import_id: int = Field(primary_key=True, foreign_key="import_job.id")
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ImportRecord(SQLModel, table=True):
    """What an import did to one record, so the import can be undone as a whole."""

    __tablename__ = "import_record"
    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="import_job.id", index=True)
    record_type: str = Field(max_length=16)
    record_id: int
    action: str = Field(max_length=8)  # created, merged
    previous: str = Field(default="{}")  # JSON of the fields a merge filled in
