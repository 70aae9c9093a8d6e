"""A captured mail, read from its raw bytes: who wrote to whom, when, about what, a clean text
body and the attached files. Anything a sender controls is read defensively: malformed MIME,
unknown charsets, 8-bit headers and HTML (converted to text by a maintained sanitizer, its
scripts and remote images dropped, never fetched) give a mail to file, not an exception."""

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3

from app.core.text import strip_controls

SUBJECT_CHARS = 500
BODY_CHARS = 100_000
# "[private]" or "[privé]" anywhere in the subject: the seller's marker, removed once read.
PRIVATE_MARK = re.compile(r"\s*\[\s*priv(?:ate|é|e)\s*\]\s*", re.IGNORECASE)
# A forward's subject prefix, in the languages the team writes in.
FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fwd?|tr|wg|rv|i)\s*:\s*)+", re.IGNORECASE)
# Where a reply's quote starts: "On … wrote:" / "Le … a écrit :" or a line of "-----Original".
QUOTE_START = re.compile(
    r"^(?:On .{0,200} wrote:|Le .{0,200} a écrit\s?:|-{2,}\s*(?:Original Message|Message d'origine)"
    r"\s*-{2,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
FORWARD_START = re.compile(
    r"^-{2,}\s*(?:Forwarded message|Message transféré|Begin forwarded message)\s*-{0,}\s*$|"
    r"^Begin forwarded message:\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLOCK_END = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h\d|/blockquote)\s*/?\s*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Address:
    name: str
    email: str  # lower case


@dataclass
class ParsedMail:
    message_id: str
    subject: str
    sent_at: datetime | None
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    in_reply_to: str
    references: list[str]
    text: str  # the new part of the body
    quoted: str  # what it quotes of earlier mails, folded away on the page
    attachments: list[Attachment] = field(default_factory=list)
    private: bool = False  # the subject carried the seller's [private] marker
    automatic: bool = False  # an auto-reply, a bounce, a list's mail: never filed
    # A forwarded mail inside this one (attached, or quoted inline under a "Forwarded" line).
    forwarded: "ParsedMail | None" = None
    # The recipients the server was told of (Delivered-To, X-Original-To…): where the
    # capture address shows on a BCC.
    delivered_to: list[str] = field(default_factory=list)


def parse(raw: bytes) -> ParsedMail:
    """The mail in `raw`; never raises on what a sender wrote (a mail too broken to read has
    an empty body and what headers could be read)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    return _read(message)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header the parser cannot decode is as good as absent
        return ""
    if value is None:
        return ""
    return strip_controls(str(value)).replace("\n", " ").replace("\r", " ").strip()


def _addresses(message: Message, *names: str) -> list[Address]:
    found: list[Address] = []
    values = []
    for name in names:
        try:
            values += [str(v) for v in message.get_all(name, [])]
        except Exception:  # noqa: BLE001
            continue
    for display, email in getaddresses(values):
        email = email.strip().lower()
        if "@" in email and not any(a.email == email for a in found):
            found.append(Address(strip_controls(display).strip(), email))
    return found


def _message_id(value: str) -> str:
    match = re.search(r"<([^<>\s]+)>", value)
    return (match.group(1) if match else value.strip())[:300]


def _date(message: Message) -> datetime | None:
    value = _header(message, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def is_automatic(message: Message) -> bool:
    """Auto-replies, bounces and list mail (RFC 3834 Auto-Submitted, Precedence, the
    vendors' own headers, delivery reports): filing them would fill records with noise and
    could answer a loop."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "List-Id")):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    sender = (_addresses(message, "From") or [Address("", "")])[0].email
    local = sender.split("@")[0]
    return local in ("mailer-daemon", "postmaster") or _header(message, "Return-Path") == "<>"


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError, ValueError):
        # An unknown or lying charset: UTF-8 if the bytes are that, else Windows-1252
        # (Latin-1 with curly quotes), which keeps every character visible.
        payload = part.get_payload(decode=True) or b""
        try:
            content = payload.decode("utf-8")
        except UnicodeDecodeError:
            content = payload.decode("cp1252", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return str(content)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: blocks become lines; scripts, styles and images go
    (nh3 keeps no tag at all, so no remote image is ever referenced again)."""
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set()))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _bodies(message: Message) -> tuple[str, str, list[Attachment], list[Message]]:
    """(plain text, html, attachments, attached mails) of a message's parts."""
    plain, markup, files, mails = "", "", [], []
    if message.get_content_type() == "message/rfc822":
        # A mail forwarded "as attachment" with nothing around it: the mail is the forward.
        inner = message.get_payload()
        return "", "", [], [inner[0]] if isinstance(inner, list) and inner else []
    for part in _leaves(message):
        kind = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                mails.append(inner[0])
            continue
        if disposition == "attachment" or (filename and disposition != "inline"):
            data = part.get_payload(decode=True) or b""
            name = _safe_filename(filename)
            files.append(Attachment(name[:200], kind, data))
        elif kind == "text/plain" and not plain:
            plain = _text_of(part)
        elif kind == "text/html" and not markup:
            markup = _text_of(part)
    return plain, markup, files, mails


def _safe_filename(filename: str | None) -> str:
    """A name a document can carry: no folder separators or "..", which a sender may put in
    a file name but no file name of ours may hold."""
    name = strip_controls(filename or "").replace("/", "_").replace("\\", "_")
    while ".." in name:
        name = name.replace("..", ".")
    return name.strip(" .") or "attachment"


def _leaves(message: Message, depth: int = 0):
    """The message's leaf parts, and attached mails whole (not their own parts)."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    payload = message.get_payload()
    for part in payload if isinstance(payload, list) and depth < 20 else []:
        yield from _leaves(part, depth + 1)


def split_quote(text: str) -> tuple[str, str]:
    """(what is new, what it quotes): the quote starts at an "On … wrote:" line or at the
    first run of "> " lines that goes on to the end."""
    start = QUOTE_START.search(text)
    lines = text.split("\n")
    cut = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(">") or not lines[i].strip():
            cut = i
        else:
            break
    quoted_from = len("\n".join(lines[:cut]))
    if start and start.start() < quoted_from:
        quoted_from = start.start()
    return text[:quoted_from].strip(), text[quoted_from:].strip()


def _read(message: Message, depth: int = 0) -> ParsedMail:
    subject = _header(message, "Subject")
    private = bool(PRIVATE_MARK.search(subject))
    subject = PRIVATE_MARK.sub(" ", subject).strip()[:SUBJECT_CHARS]
    try:
        plain, markup, files, mails = _bodies(message)
    except Exception:  # noqa: BLE001 - broken MIME: a mail with what headers could be read
        plain, markup, files, mails = "", "", [], []
    body = strip_controls(plain) if plain else html_to_text(markup)
    body = body.replace("\r\n", "\n")[:BODY_CHARS]
    forwarded = None
    if mails and depth < 3:
        forwarded = _read(mails[0], depth + 1)
        files += forwarded.attachments
    elif FORWARD_START.search(body) and depth < 3:
        forwarded = _inline_forward(body, FORWARD_START)
    elif FORWARD_PREFIX.match(subject) and OUTLOOK_FORWARD.search(body) and depth < 3:
        forwarded = _inline_forward(body, OUTLOOK_FORWARD)
    text, quoted = split_quote(body)
    references = re.findall(r"<([^<>\s]+)>", _header(message, "References"))
    sender = _addresses(message, "From")
    return ParsedMail(
        message_id=_message_id(_header(message, "Message-ID")),
        subject=subject,
        sent_at=_date(message),
        sender=sender[0] if sender else None,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        in_reply_to=_message_id(_header(message, "In-Reply-To")),
        references=[r[:300] for r in references[-20:]],
        text=text,
        quoted=quoted,
        attachments=files,
        private=private,
        automatic=is_automatic(message),
        forwarded=forwarded,
        delivered_to=[
            a.email for a in _addresses(message, "Delivered-To", "X-Original-To", "Envelope-To")
        ],
    )


_INLINE_HEADER = re.compile(
    r"^(From|De|To|À|A|Pour|Cc|Subject|Objet|Sujet|Date|Sent|Envoyé)\s*:\s*(.*)$", re.IGNORECASE
)
_NAMES = {
    "de": "from",
    "à": "to",
    "a": "to",
    "pour": "to",
    "objet": "subject",
    "sujet": "subject",
    # Outlook's "Sent:" is a date in words: kept out of the way, not read as a Date.
    "sent": "x-sent",
    "envoyé": "x-sent",
}
# Outlook forwards under the reply's "-----Original Message-----" line: a forward when the
# subject says so (Fwd:, TR:, FW:).
OUTLOOK_FORWARD = re.compile(
    r"^-{2,}\s*(?:Original Message|Message d'origine)\s*-{2,}\s*$", re.IGNORECASE | re.MULTILINE
)


def _inline_forward(body: str, start_line: re.Pattern) -> "ParsedMail | None":
    """A mail forwarded inline: the header lines under the "Forwarded message" line, read as
    a small mail of their own (its From is the customer who wrote)."""
    start = start_line.search(body)
    if not start:
        return None
    rest = body[start.end() :].lstrip("\n")
    lines = rest.split("\n")
    headers = EmailMessage()
    used = 0
    for line in lines[:12]:
        match = _INLINE_HEADER.match(line.strip())
        if not match:
            if headers.keys():
                break
            used += 1
            continue
        name = match.group(1).lower()
        name = _NAMES.get(name, name).capitalize()
        value = match.group(2).replace("[mailto:", " <").replace("]", ">")
        try:
            if name not in headers:
                headers[name] = value
        except (ValueError, TypeError):
            pass
        used += 1
    if not headers.keys():
        return None
    text = "\n".join(lines[used:]).strip()
    headers.set_content(text or " ")
    inner = _read(headers, depth=3)
    inner.text, inner.quoted = split_quote(text)
    return inner
