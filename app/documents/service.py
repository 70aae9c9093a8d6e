"""Attaching documents and their versions; who may see them follows their record (R1, R2, R5)."""

import mimetypes
import re
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import or_
from sqlmodel import Session, select

from app.activities.models import Activity
from app.audit.trail import record_changes
from app.auth.models import User
from app.core.access import require_records
from app.core.errors import Forbidden, FormErrors, Message, NotFound, refusal_rolls_back
from app.core.i18n import N_
from app.core.schema import utcnow
from app.customers.models import Contact, Organization
from app.deals.models import Deal
from app.documents import storage
from app.documents.models import KINDS, Document, DocumentVersion
from app.documents.storage import DocumentStore

FILENAME_CHARS = 200
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


@dataclass
class Upload:
    filename: str
    content_type: str
    file: BinaryIO

    @classmethod
    def of(cls, uploaded) -> "Upload | None":
        """From a submitted file (Starlette's UploadFile); None when none was chosen."""
        if uploaded is None or not uploaded.filename:
            return None
        return cls(uploaded.filename, uploaded.content_type or "", uploaded.file)


def visible_to(user: User):
    """The one filter for who may see a document: a private activity's are its author's only."""
    return or_(Document.private_to.is_(None), Document.private_to == user.id)


def clean_filename(name: str, errors: FormErrors, field: str = "file") -> str:
    name = (name or "").strip()
    if not name:
        errors.add(field, N_("Choose a file to upload."))
    elif "/" in name or "\\" in name or ".." in name:
        errors.add(field, N_("A file name cannot contain '/', '\\' or '..'. Rename the file."))
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        errors.add(field, N_("This file name contains control characters. Rename the file."))
    elif len(name) > FILENAME_CHARS:
        errors.add(field, N_("This file name is too long. Rename the file."))
    return name


def _content_type(upload: Upload) -> str:
    guessed, _ = mimetypes.guess_type(upload.filename)
    if guessed:
        return guessed
    given = (upload.content_type or "").split(";")[0].strip().lower()
    return given if _CONTENT_TYPE.match(given) and len(given) <= 100 else "application/octet-stream"


def _store(session: Session, store: DocumentStore, upload: Upload) -> storage.StoredFile:
    """Writes the file before any row refers to it; a refused file leaves nothing behind."""
    errors = FormErrors()
    try:
        return store.save(session, upload.file)
    except storage.Empty:
        errors.add("file", N_("This file is empty."))
    except storage.TooLarge:
        errors.add(
            "file",
            Message(N_("This file is larger than %(mb)s MB."), mb=store.max_bytes // (1024 * 1024)),
        )
    raise errors


def check_upload(upload: Upload | None, kind: str, errors: FormErrors) -> None:
    if upload is None:
        errors.add("file", N_("Choose a file to upload."))
    else:
        clean_filename(upload.filename, errors)
    if kind not in KINDS:
        errors.add("kind", N_("Pick a value from the list."))


def _record_of(document: Document) -> tuple[str, int] | None:
    """The record whose history tells of this document's uploads."""
    if document.deal_id:
        return "deal", document.deal_id
    if document.organization_id:
        return "organization", document.organization_id
    if document.contact_id:
        return "contact", document.contact_id
    return None


def _add_version(
    session: Session, user: User, document: Document, stored: storage.StoredFile, upload: Upload
) -> DocumentVersion:
    version = DocumentVersion(
        document_id=document.id,
        number=document.version_count + 1,
        filename=upload.filename.strip(),
        content_type=_content_type(upload),
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=user.id,
        uploaded_at=utcnow(),
    )
    session.add(version)
    session.flush()
    document.current_version_id = version.id
    document.version_count = version.number
    session.add(document)
    record = _record_of(document)
    if record and document.private_to is None:
        label = f"{version.filename} (v{version.number})"
        record_changes(
            session, user, record[0], record[1], {f"document:{document.kind}": ("", label)}
        )
    return version


def attach(
    session: Session,
    user: User,
    store: DocumentStore,
    upload: Upload | None,
    kind: str = "other",
    *,
    deal: Deal | None = None,
    organization: Organization | None = None,
    contact: Contact | None = None,
    activity: Activity | None = None,
    commit: bool = True,
) -> Document:
    """A new document with its first version. The caller has loaded the record through its
    scoped service, so the user may see it."""
    require_records(user)
    errors = FormErrors()
    check_upload(upload, kind, errors)
    if contact is not None and contact.erased:
        errors.add("file", N_("This person was erased."))
    if activity is not None and activity.author_id != user.id:
        raise Forbidden
    errors.raise_if_any()
    stored = _store(session, store, upload)
    document = Document(
        kind=kind,
        title=upload.filename.strip(),
        deal_id=deal.id if deal else None,
        organization_id=organization.id if organization else None,
        contact_id=contact.id if contact else None,
        activity_id=activity.id if activity else None,
        private_to=user.id if activity is not None and activity.visibility == "private" else None,
        created_by=user.id,
    )
    session.add(document)
    session.flush()
    _add_version(session, user, document, stored, upload)
    if commit:
        session.commit()
        session.refresh(document)
    return document


@refusal_rolls_back
def add_version(
    session: Session, user: User, store: DocumentStore, document: Document, upload: Upload | None
) -> DocumentVersion:
    require_records(user)
    errors = FormErrors()
    check_upload(upload, document.kind, errors)
    errors.raise_if_any()
    stored = _store(session, store, upload)
    version = _add_version(session, user, document, stored, upload)
    session.commit()
    session.refresh(version)
    return version


def get_document(session: Session, user: User, document_id: int) -> Document:
    require_records(user)
    document = session.get(Document, document_id)
    if document is None or document.private_to not in (None, user.id):
        raise NotFound
    return document


@dataclass
class VersionRow:
    version: DocumentVersion
    uploader_name: str
    is_current: bool


def versions_of(session: Session, user: User, document: Document) -> list[VersionRow]:
    """Every version, newest first (a document rarely has more than a handful; capped)."""
    require_records(user)
    rows = session.exec(
        select(DocumentVersion, User.name)
        .join(User, User.id == DocumentVersion.uploaded_by)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.number.desc())
        .limit(200)
    )
    return [VersionRow(v, name, v.id == document.current_version_id) for v, name in rows]


def versions_by_document(
    session: Session, user: User, document_ids: list[int]
) -> dict[int, list[VersionRow]]:
    """The versions of several documents in one query (a deal page shows them all)."""
    require_records(user)
    found: dict[int, list[VersionRow]] = {i: [] for i in document_ids}
    if not document_ids:
        return found
    current = {
        doc_id: version_id
        for doc_id, version_id in session.exec(
            select(Document.id, Document.current_version_id).where(Document.id.in_(document_ids))
        )
    }
    rows = session.exec(
        select(DocumentVersion, User.name)
        .join(User, User.id == DocumentVersion.uploaded_by)
        .where(DocumentVersion.document_id.in_(document_ids))
        .order_by(DocumentVersion.document_id, DocumentVersion.number.desc())
        .limit(500)
    )
    for version, name in rows:
        is_current = current.get(version.document_id) == version.id
        found[version.document_id].append(VersionRow(version, name, is_current))
    return found


def get_version(
    session: Session, user: User, document: Document, number: int | None = None
) -> DocumentVersion:
    require_records(user)
    stmt = select(DocumentVersion).where(DocumentVersion.document_id == document.id)
    if number is None:
        stmt = stmt.where(DocumentVersion.id == document.current_version_id)
    else:
        stmt = stmt.where(DocumentVersion.number == number)
    version = session.exec(stmt).first()
    if version is None:
        raise NotFound
    return version


def file_of(session: Session, store: DocumentStore, version: DocumentVersion) -> storage.Content:
    content = store.find(session, version.sha256)
    if content is None:
        raise NotFound
    return content


@dataclass
class DocumentRow:
    document: Document
    filename: str
    size: int
    uploaded_at: object
    uploader_name: str


def documents_of(
    session: Session,
    user: User,
    *,
    deal_id: int | None = None,
    organization_id: int | None = None,
    contact_id: int | None = None,
    activity_id: int | None = None,
    limit: int = 100,
) -> list[DocumentRow]:
    """A record's documents with their current version, quotes first, newest first."""
    require_records(user)
    where = (
        Document.deal_id == deal_id
        if deal_id is not None
        else Document.organization_id == organization_id
        if organization_id is not None
        else Document.contact_id == contact_id
        if contact_id is not None
        else Document.activity_id == activity_id
    )
    rows = session.exec(
        select(
            Document,
            DocumentVersion.filename,
            DocumentVersion.size,
            DocumentVersion.uploaded_at,
            User.name,
        )
        .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
        .join(User, User.id == DocumentVersion.uploaded_by)
        .where(where, visible_to(user))
        .order_by(Document.kind != "quote", Document.id.desc())
        .limit(limit)
    )
    return [DocumentRow(*row) for row in rows]


def has_current_quote(session: Session, deal_id: int) -> bool:
    """A team-visible quote with a current version: what "Quote sent" asks for."""
    return (
        session.exec(
            select(Document.id)
            .where(
                Document.deal_id == deal_id,
                Document.kind == "quote",
                Document.current_version_id.is_not(None),
                Document.private_to.is_(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def sync_activity_privacy(session: Session, activity: Activity) -> None:
    """When an activity turns private or back, its attachments follow it (R2)."""
    private_to = activity.author_id if activity.visibility == "private" else None
    for document in session.exec(select(Document).where(Document.activity_id == activity.id)):
        document.private_to = private_to
        session.add(document)
