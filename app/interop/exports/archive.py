"""Export everything a user may see as one zip: a CSV per entity, one JSON file, and the
documents with all their versions. Private activities are their author's only (R2),
admins included; a pure manager exports nothing (R5)."""

import csv
import io
import json
import tempfile
import zipfile
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, select

from app.activities.follow_ups import visible_to as follow_up_visible_to
from app.activities.models import Activity, FollowUp
from app.activities.service import visible_to as activity_visible_to
from app.auth.models import User
from app.core.access import require_records
from app.core.text import spreadsheet_safe
from app.customers.models import Contact, Organization
from app.deals.models import Deal, DealContact, Stage
from app.deals.queries import others_result
from app.documents.models import Document, DocumentVersion
from app.documents.service import DocumentStore
from app.documents.service import visible_to as document_visible_to
from app.interop.mail.models import MailMessage
from app.interop.mail.on_records import visible_to as mail_visible_to

# Spreadsheets run a cell starting with these as a formula: exported text never does.


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return spreadsheet_safe(str(value))


def _columns(model) -> list[str]:
    return [
        c.name
        for c in model.__table__.columns
        if c.name not in ("search_text", "sort_key", "title_key")
    ]


# Who wrote or sent someone else's mail: left out, like an activity's author (R3).
MAIL_WHO = ("owner_id", "sender_email", "sender_name")


def _attributed(record, column: str, user: User):
    """R3 in bulk: in an export, another seller's activities carry no author, their
    follow-ups no owner (a follow-up's owner is, most often, the author of the activity it
    came from: the two files joined would name them) and their won or lost deals no owner;
    the records themselves are all there."""
    if isinstance(record, Activity) and column == "author_id" and record.author_id != user.id:
        return None
    if isinstance(record, FollowUp) and column == "owner_id" and record.owner_id != user.id:
        return None
    if isinstance(record, Deal) and column == "owner_id" and others_result(record, user):
        return None
    if isinstance(record, MailMessage) and record.owner_id != user.id and column in MAIL_WHO:
        return None
    return getattr(record, column)


def _queries(user: User):
    """(file name, model, statement) for everything the user may see."""
    return [
        ("organizations", Organization, select(Organization).order_by(Organization.id)),
        ("contacts", Contact, select(Contact).order_by(Contact.id)),
        ("stages", Stage, select(Stage).order_by(Stage.position)),
        ("deals", Deal, select(Deal).order_by(Deal.id)),
        ("deal_contacts", DealContact, select(DealContact).order_by(DealContact.deal_id)),
        (
            "activities",
            Activity,
            select(Activity).where(activity_visible_to(user)).order_by(Activity.id),
        ),
        (
            "follow_ups",
            FollowUp,
            select(FollowUp).where(follow_up_visible_to(user)).order_by(FollowUp.id),
        ),
        (
            "documents",
            Document,
            select(Document).where(document_visible_to(user)).order_by(Document.id),
        ),
        (
            "mail",
            MailMessage,
            select(MailMessage).where(mail_visible_to(user)).order_by(MailMessage.id),
        ),
        (
            "document_versions",
            DocumentVersion,
            select(DocumentVersion)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(document_visible_to(user))
            .order_by(DocumentVersion.id),
        ),
    ]


def export_everything(session: Session, user: User, store: DocumentStore, tmp_dir: Path) -> Path:
    """Writes the zip to a temporary file (documents can be large) and returns its path."""
    require_records(user)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".zip", dir=tmp_dir)
    path = Path(name)
    with (
        open(handle, "wb") as raw,
        zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive,
        # The JSON file is written beside the CSVs, row by row, then copied in: memory holds
        # a row at a time, not the team's history (1 GB per worker once, at the bench size).
        tempfile.TemporaryFile("w+", encoding="utf-8", dir=tmp_dir) as everything,
    ):
        versions: list[DocumentVersion] = []
        everything.write('{"exported_by": ' + json.dumps(user.email) + ', "data": {')
        for n, (file_name, model, stmt) in enumerate(_queries(user)):
            columns = _columns(model)
            everything.write(("," if n else "") + f"\n{json.dumps(file_name)}: [")
            with archive.open(f"{file_name}.csv", "w") as entry:
                text = io.TextIOWrapper(entry, encoding="utf-8", newline="")
                text.write("\ufeff")
                writer = csv.writer(text)
                writer.writerow(columns)
                for i, record in enumerate(session.exec(stmt.execution_options(yield_per=500))):
                    values = [_attributed(record, c, user) for c in columns]
                    writer.writerow([safe_cell(v) for v in values])
                    row = {c: _json(v) for c, v in zip(columns, values, strict=True)}
                    row_json = json.dumps(row, ensure_ascii=False)
                    everything.write(("," if i else "") + "\n " + row_json)
                    if model is DocumentVersion:
                        versions.append(record)
                    else:
                        session.expunge(record)  # nothing kept of what was written
                text.flush()
                text.detach()
            everything.write("]")
        everything.write("}}\n")
        everything.seek(0)
        with archive.open("carnet.json", "w") as entry:
            while chunk := everything.read(1 << 16):
                entry.write(chunk.encode("utf-8"))
        for version in versions:
            content = store.find(session, version.sha256)
            if content is None:
                continue
            name = f"documents/{version.document_id}/v{version.number}-{version.filename}"
            entry = zipfile.ZipInfo(name, date_time=version.uploaded_at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            large = content.size >= zipfile.ZIP64_LIMIT
            with archive.open(entry, "w", force_zip64=large) as out:
                for chunk in content.chunks(lambda: nullcontext(session)):
                    out.write(chunk)
    return path


def _json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
