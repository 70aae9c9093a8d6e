"""Survey links a seller sends a customer, the answers, and what the record pages show.

A link is its id and a nonce, signed with the app's secret: tampering breaks the
signature, `used_at` makes it single-use, `expires_at` ends it.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_admin, require_records
from app.core.app_settings import AppSetting
from app.core.clock import month_of
from app.core.errors import FormErrors, NotFound
from app.core.i18n import LANGUAGES, N_
from app.core.schema import utcnow
from app.customers.models import Contact, Organization
from app.deals.models import Deal, DealContact
from app.satisfaction.models import (
    KINDS,
    SCALES,
    SurveyAttempt,
    SurveyLink,
    SurveyResponse,
    SurveyTally,
    band_of,
    points_of,
)

AUTO_SURVEY = "survey_on_win"  # app setting: "", "csat" or "nps"


class TooManyAnswers(Exception):
    pass


def signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="carnet-survey")


def token_of(secret: str, link: SurveyLink) -> str:
    return signer(secret).dumps([link.id, link.nonce])


def customer_language(session: Session, link: SurveyLink) -> str | None:
    """The language recorded on the customer asked, if any."""
    contact = session.get(Contact, link.contact_id)
    return contact.language if contact is not None and contact.language in LANGUAGES else None


def _new_link(session, creator_id, contact, deal, kind, days, fallback_language) -> SurveyLink:
    language = contact.language if contact.language in LANGUAGES else fallback_language
    link = SurveyLink(
        nonce=secrets.token_urlsafe(12),
        contact_id=contact.id,
        deal_id=deal.id if deal else None,
        created_by=creator_id,
        kind=kind,
        language=language if language in LANGUAGES else "en",
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(link)
    return link


def create_link(
    session: Session,
    user: User,
    contact: Contact,
    kind: str = "csat",
    deal: Deal | None = None,
    days: int = 30,
    *,
    commit: bool = True,
) -> SurveyLink:
    """A new link; with commit=False it is saved by the caller's transaction (a mail that
    carries it)."""
    require_records(user)
    errors = FormErrors()
    if kind not in KINDS:
        errors.add("kind", N_("Pick a value from the list."))
    if contact.erased:
        errors.add("contact_id", N_("This person was erased."))
    errors.raise_if_any()
    link = _new_link(session, user.id, contact, deal, kind, days, user.language or "en")
    if not commit:
        session.flush()  # the id signs the link
        return link
    session.commit()
    session.refresh(link)
    return link


def survey_on_win(session: Session) -> str:
    setting = session.get(AppSetting, AUTO_SURVEY)
    return setting.value if setting and setting.value in KINDS else ""


def set_survey_on_win(session: Session, user: User, kind: str) -> None:
    require_admin(user)
    setting = session.get(AppSetting, AUTO_SURVEY) or AppSetting(key=AUTO_SURVEY)
    setting.value = kind if kind in KINDS else ""
    session.add(setting)
    session.commit()


def link_for_won_deal(session: Session, deal: Deal, days: int = 30) -> SurveyLink | None:
    """When the admin asked for it, a won deal gets a survey link for its first contact,
    in the caller's transaction; the seller sends it from the deal page."""
    kind = survey_on_win(session)
    if not kind:
        return None
    contact = session.exec(
        select(Contact)
        .join(DealContact, DealContact.contact_id == Contact.id)
        .where(DealContact.deal_id == deal.id)
        .order_by(Contact.id)
        .limit(1)
    ).first()
    if contact is None:
        return None
    return _new_link(session, deal.owner_id, contact, deal, kind, days, "en")


@dataclass
class OpenedLink:
    """What a survey URL leads to: `state` is ok, invalid, expired or answered. An open
    one names who asks: the customer's company and the seller's display name."""

    state: str
    link: SurveyLink | None = None
    company: str = ""
    seller: str = ""


def open_link(session: Session, secret: str, token: str) -> OpenedLink:
    try:
        link_id, nonce = signer(secret).loads(token)
        link = session.get(SurveyLink, int(link_id))
    except (BadSignature, ValueError, TypeError):
        return OpenedLink("invalid")
    if link is None or not secrets.compare_digest(str(nonce), link.nonce):
        return OpenedLink("invalid")
    if link.used_at is not None:
        return OpenedLink("answered", link)
    if link.expires_at < utcnow():
        return OpenedLink("expired", link)
    return OpenedLink("ok", link, *_who_asks(session, link))


def _who_asks(session: Session, link: SurveyLink) -> tuple[str, str]:
    """The deal's organization (else the contact's) and the seller the answer is about.
    The page is public: of the seller, only the name they chose to show, nothing else."""
    deal = session.get(Deal, link.deal_id) if link.deal_id else None
    contact = session.get(Contact, link.contact_id)
    org_id = (deal.organization_id if deal else None) or (
        contact.organization_id if contact else None
    )
    company = None
    if org_id:
        company = session.exec(select(Organization.name).where(Organization.id == org_id)).first()
    seller_id = deal.owner_id if deal else link.created_by
    seller = session.exec(select(User.name).where(User.id == seller_id)).first()
    return company or "", seller or ""


def client_key(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def answer(
    session: Session,
    link: SurveyLink,
    score: str,
    comment: str,
    client: str,
    max_answers: int = 10,
) -> SurveyResponse:
    """Records the one answer a link allows. Anyone can post here, so each client gets a
    few tries per 10 minutes, and a link answered twice at once is answered once."""
    since = utcnow() - timedelta(minutes=10)
    tries = session.exec(
        select(func.count())
        .select_from(SurveyAttempt)
        .where(SurveyAttempt.client == client, SurveyAttempt.at >= since)
    ).one()
    if tries >= max_answers:
        raise TooManyAnswers
    session.add(SurveyAttempt(client=client))
    session.exec(delete(SurveyAttempt).where(SurveyAttempt.at < since - timedelta(hours=1)))
    session.commit()
    errors = FormErrors()
    value = int(score) if score.strip().isdigit() and len(score.strip()) < 3 else None
    if value is None or value not in SCALES[link.kind]:
        errors.add("score", N_("Choose a score."))
    if len(comment) > 2000:
        errors.add("comment", N_("This is too long."))
    errors.raise_if_any()
    for attempt in (1, 2):
        try:
            return _record_answer(session, link, value, comment.strip())
        except IntegrityError:
            # Two answers opened the same month's tally row at once: count again.
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record_answer(session: Session, link: SurveyLink, value: int, comment: str):
    used = session.execute(
        update(SurveyLink)
        .where(SurveyLink.id == link.id, SurveyLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        session.rollback()
        raise NotFound
    deal = session.get(Deal, link.deal_id) if link.deal_id else None
    response = SurveyResponse(
        link_id=link.id,
        contact_id=link.contact_id,
        deal_id=link.deal_id,
        seller_id=deal.owner_id if deal else link.created_by,
        kind=link.kind,
        score=value,
        comment=comment,
        answered_month=month_of(utcnow()),
    )
    session.add(response)
    tally(session, response)
    session.commit()
    return response


def tally(session: Session, response: SurveyResponse) -> None:
    """Counts the answer into its month's tally, in the answer's transaction."""
    band = band_of(response.kind, response.score)
    key = (response.kind, response.answered_month, response.seller_id, band)
    row = session.get(SurveyTally, key)
    if row is None:
        row = SurveyTally(
            kind=key[0], month=key[1], seller_id=key[2], band=band, answers=0, points=0
        )
    row.answers += 1
    row.points += points_of(response.kind, response.score)
    session.add(row)


@dataclass
class Feedback:
    """A record page's survey section: links waiting for an answer (with the token to
    send), and answers."""

    pending: list[tuple[SurveyLink, str]]
    responses: list[SurveyResponse]


def feedback_for(
    session: Session,
    user: User,
    secret: str,
    *,
    contact_id: int | None = None,
    deal_id: int | None = None,
) -> Feedback:
    require_records(user)
    link_where = (
        SurveyLink.contact_id == contact_id
        if contact_id is not None
        else SurveyLink.deal_id == deal_id
    )
    answer_where = (
        SurveyResponse.contact_id == contact_id
        if contact_id is not None
        else SurveyResponse.deal_id == deal_id
    )
    pending = session.exec(
        select(SurveyLink)
        .where(link_where, SurveyLink.used_at.is_(None), SurveyLink.expires_at > utcnow())
        .order_by(SurveyLink.id.desc())
        .limit(10)
    ).all()
    responses = session.exec(
        select(SurveyResponse).where(answer_where).order_by(SurveyResponse.id.desc()).limit(50)
    ).all()
    return Feedback([(link, token_of(secret, link)) for link in pending], list(responses))
