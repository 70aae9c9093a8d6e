"""Pipeline stages: the admin's list (create, rename, re-kind, reorder, remove with a target
for its deals) and the facts each stage requires."""

from sqlalchemy import case, func, insert, literal, update
from sqlmodel import Session, select

from app.audit.trail import AuditEntry
from app.auth.models import User
from app.core.access import require_admin
from app.core.errors import FormErrors, Message, refusal_rolls_back
from app.core.i18n import N_
from app.core.schema import utcnow
from app.deals.models import (
    DEFAULT_NAMES,
    FACTS,
    MAX_STAGES,
    STAGE_KINDS,
    Deal,
    Stage,
)


def list_stages(session: Session) -> list[Stage]:
    return list(session.exec(select(Stage).order_by(Stage.position, Stage.id).limit(MAX_STAGES)))


def stage_text(stage: Stage) -> str:
    """A stage as history keeps it: the admin's name, or the default name's message id,
    which the page translates for its reader."""
    return stage.name or DEFAULT_NAMES.get(stage.key, stage.key)


def get_stage(session: Session, stage_id: int | None) -> Stage | None:
    return session.get(Stage, stage_id) if stage_id is not None else None


def first_open_stage(session: Session) -> Stage:
    stage = session.exec(
        select(Stage).where(Stage.kind == "open").order_by(Stage.position, Stage.id).limit(1)
    ).first()
    if stage is None:
        errors = FormErrors()
        errors.add("stage_id", N_("The pipeline has no open stage: ask an admin to add one."))
        raise errors
    return stage


def quote_stage_ids(session: Session) -> list[int]:
    """Open stages that require a quote: a deal there is waiting for the customer's answer."""
    return [s.id for s in list_stages(session) if s.kind == "open" and "quote" in s.facts]


def _check_probability(value: str | int | None, errors: FormErrors) -> int | None:
    text = str(value if value is not None else "").strip().rstrip("%").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 100:
        errors.add("probability", N_("Enter a whole number from 0 to 100."))
        return None
    return int(text)


def _check_stage_fields(name: str, kind: str, facts: list[str], errors: FormErrors) -> None:
    if len(name) > 60:
        errors.add("name", N_("This is too long."))
    if kind not in STAGE_KINDS:
        errors.add("kind", N_("Pick a value from the list."))
    if any(f not in FACTS for f in facts):
        errors.add("required_facts", N_("Pick a value from the list."))


def create_stage(
    session: Session, user: User, name: str, kind: str, facts: list[str], probability=None
) -> Stage:
    require_admin(user)
    errors = FormErrors()
    name = name.strip()
    if not name:
        errors.add("name", N_("This field is required."))
    _check_stage_fields(name, kind, facts, errors)
    chance = _check_probability(probability, errors)
    stages = list_stages(session)
    if len(stages) >= MAX_STAGES:
        errors.add("name", Message(N_("A pipeline has at most %(n)s stages."), n=MAX_STAGES))
    errors.raise_if_any()
    stage = Stage(
        name=name,
        kind=kind,
        required_facts=",".join(facts),
        probability=chance if chance is not None else {"won": 100}.get(kind, 0),
    )
    # A new open stage goes before the closing ones (Won, Lost): deals move left to right.
    closing = next((i for i, s in enumerate(stages) if s.kind != "open"), len(stages))
    stages.insert(closing if kind == "open" else len(stages), stage)
    for position, each in enumerate(stages):
        each.position = position
        session.add(each)
    session.commit()
    return stage


@refusal_rolls_back
def update_stage(
    session: Session,
    user: User,
    stage: Stage,
    name: str,
    kind: str,
    facts: list[str],
    probability=None,
) -> Stage:
    """Renaming keeps every deal where it is. A kind change re-labels the deals in it."""
    require_admin(user)
    errors = FormErrors()
    name = name.strip()
    if not name and not stage.key:
        errors.add("name", N_("This field is required."))
    _check_stage_fields(name, kind, facts, errors)
    chance = _check_probability(probability, errors)
    errors.raise_if_any()
    stage.name = name
    if chance is not None:
        stage.probability = chance
    stage.required_facts = ",".join(f for f in FACTS if f in facts)
    if kind != stage.kind:
        stage.kind = kind
        session.execute(
            update(Deal)
            .where(Deal.stage_id == stage.id)
            .values(status=kind, version=Deal.version + 1)
        )
    session.add(stage)
    session.commit()
    return stage


def move_stage_position(session: Session, user: User, stage: Stage, step: int) -> None:
    require_admin(user)
    stages = list_stages(session)
    index = next(i for i, s in enumerate(stages) if s.id == stage.id)
    other = index + step
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
    for position, s in enumerate(stages):
        s.position = position
        session.add(s)
    session.commit()


def count_deals_in(session: Session, stage: Stage) -> int:
    return session.exec(select(func.count()).where(Deal.stage_id == stage.id)).one()


def remove_stage(session: Session, user: User, stage: Stage, move_to_id: int | None) -> None:
    """A stage holding deals goes only once they have somewhere to go; each moved deal's
    history says so. Guardrails are not applied: the admin is reshaping the pipeline."""
    require_admin(user)
    errors = FormErrors()
    stages = list_stages(session)
    if len(stages) <= 1:
        errors.add("stage", N_("A pipeline needs at least one stage."))
    held = count_deals_in(session, stage)
    target = get_stage(session, move_to_id) if move_to_id else None
    if held and (target is None or target.id == stage.id):
        errors.add(
            "move_to",
            Message(N_("This stage holds %(n)s deals: choose where to move them."), n=held),
        )
    errors.raise_if_any()
    if held:
        now = utcnow()
        # One statement each, whatever the number of deals: history first, then the move.
        session.execute(
            insert(AuditEntry).from_select(
                ["record_type", "record_id", "field", "old_value", "new_value", "actor_id", "at"],
                select(
                    literal("deal"),
                    Deal.id,
                    literal("stage"),
                    literal(stage_text(stage)),
                    literal(stage_text(target)),
                    literal(user.id),
                    literal(now, type_=AuditEntry.__table__.c.at.type),
                ).where(Deal.stage_id == stage.id),
            )
        )
        session.execute(
            update(Deal)
            .where(Deal.stage_id == stage.id)
            .values(
                stage_id=target.id,
                status=target.kind,
                furthest_position=case(
                    (Deal.furthest_position < target.position, target.position),
                    else_=Deal.furthest_position,
                ),
                stage_entered_at=now,
                updated_at=now,
                version=Deal.version + 1,
            )
        )
    session.delete(stage)
    session.commit()
