"""Deal pages assembled once: the deal page (with its in-place form for a refused move), the
deal form, the board and the stage admin page. Error re-renders reuse the same assembly."""

from sqlmodel import Session

from app.auth.models import User
from app.core.i18n import Localizer
from app.customers import service as customers
from app.deals import queries, service
from app.deals import stages as stage_list
from app.deals.models import FACT_LABELS, FACTS, STAGE_KINDS, Deal
from app.documents import service as documents
from app.documents.models import KIND_LABELS
from app.records import feeds as record_pages
from app.satisfaction import service as satisfaction


def board_scope(scope: str) -> str:
    return scope if scope in queries.SCOPES else "mine"


def board(
    session: Session,
    user: User,
    scope: str,
    loc: Localizer,
    moved: Deal | None = None,
    conflict: Deal | None = None,
) -> dict:
    """The board; after a move made from it, with a sentence for its live region: where
    `moved` went, or that `conflict` was changed by someone else and nothing was saved."""
    scope = board_scope(scope)
    columns = queries.board(session, user, scope)
    # (id, name, "Move to name"), once per stage rather than once per card.
    moves = [
        (c.stage.id, label, loc.gettext("Move to %(stage)s", stage=label))
        for c in columns
        for label in [c.stage.label(loc)]
    ]
    status = ""
    if moved is not None:
        stage = next((label for i, label, _ in moves if i == moved.stage_id), "")
        status = loc.gettext("Moved “%(title)s” to %(stage)s.", title=moved.title, stage=stage)
    elif conflict is not None:
        status = loc.gettext(
            "Someone else changed “%(title)s” meanwhile: nothing was saved. The board now "
            "shows where it is; move it again if needed.",
            title=conflict.title,
        )
    return {
        "columns": columns,
        "scope": scope,
        "stage_moves": moves,
        "status": status,
        "status_problem": conflict is not None,
    }


def board_move_form(
    session: Session,
    user: User,
    deal: Deal,
    scope: str,
    move_to: int | None,
    errors: dict,
    form: dict,
) -> dict:
    """The board's dialog: the form for exactly what `move_to` still needs, with messages."""
    target = stage_list.get_stage(session, move_to) if move_to else None
    return {
        "deal": deal,
        "scope": board_scope(scope),
        "move": service.missing_for_move(session, user, deal, target) if target else None,
        "errors": errors,
        "form": form,
        "fact_labels": FACT_LABELS,
    }


def deal_list(session: Session, user: User, filters: dict, cursor: str) -> dict:
    page = queries.list_deals(session, user, cursor=cursor, **filters)
    return {"page": page, "filters": filters, "stages": stage_list.list_stages(session)}


def deal_form(
    session: Session,
    user: User,
    form: dict,
    default_currency: str,
    errors: dict | None = None,
    deal: Deal | None = None,
) -> dict:
    return {
        "form": form,
        "errors": errors or {},
        "deal": deal,
        "organizations": customers.organization_choices(session, user),
        "stages": stage_list.list_stages(session),
        "default_currency": default_currency,
    }


def new_deal_form(session: Session, user: User, organization_id: str, contact_id: int | None):
    """The form's starting values when it is opened from a contact or organization page."""
    form = {"organization_id": organization_id, "contact_id": str(contact_id or "")}
    if contact_id:
        contact = customers.get_contact(session, user, contact_id)
        form.update(contact_name=contact.name, organization_id=str(contact.organization_id or ""))
    return form


def deal_page(
    session: Session,
    user: User,
    deal: Deal,
    secret_key: str,
    move_to: int | None = None,
    errors: dict | None = None,
    form: dict | None = None,
) -> dict:
    """`move_to`: a stage the user asked to move to; when it requires facts the deal lacks,
    the page carries the in-place form for exactly those."""
    target = stage_list.get_stage(session, move_to) if move_to else None
    move = None
    if target is not None and (errors or target.id != deal.stage_id):
        move = service.missing_for_move(session, user, deal, target)
    docs = documents.documents_of(session, user, deal_id=deal.id)
    return {
        "deal": deal,
        "stages": stage_list.list_stages(session),
        "stage": stage_list.get_stage(session, deal.stage_id),
        "organization": (
            customers.get_organization(session, user, deal.organization_id)
            if deal.organization_id
            else None
        ),
        "owner_name": queries.owner_name(session, deal),
        "contacts": queries.contacts_of(session, user, deal),
        "documents": docs,
        "versions": documents.versions_by_document(session, user, [d.document.id for d in docs]),
        "feedback": satisfaction.feedback_for(session, user, secret_key, deal_id=deal.id),
        "survey_url": f"/deals/{deal.id}/surveys",
        "mail_ids": {"deal_id": deal.id},
        "move": move,
        "errors": errors or {},
        "form": form or {},
        "fact_labels": FACT_LABELS,
        "kind_labels": KIND_LABELS,
        **record_pages.timeline(session, user, "deal", deal),
        **record_pages.changes(session, "deal", deal.id),
    }


def stages_page(session: Session, errors: dict | None = None, form: dict | None = None) -> dict:
    return {
        "stages": stage_list.list_stages(session),
        "counts": queries.deal_counts_by_stage(session),
        "facts": FACTS,
        "fact_labels": FACT_LABELS,
        "kinds": STAGE_KINDS,
        "errors": errors or {},
        "form": form or {},
    }
