"""A seller's own reports: their pipeline and results, for them alone (R3)."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from app.activities.models import KINDS, Activity
from app.auth.models import User
from app.core.access import require_records
from app.deals.models import Deal, RevenueTally, Stage, StageTally
from app.reports.periods import Period
from app.satisfaction.models import SurveyResponse


@dataclass
class StageLine:
    label: str
    count: int
    value: dict[str, int]  # currency -> minor units
    weighted: dict[str, int]
    probability: int


@dataclass
class Conversion:
    from_label: str
    to_label: str
    reached: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.reached if self.reached else None


@dataclass
class MyReports:
    period: Period
    pipeline: list[StageLine]
    currencies: list[str]
    won_by_month: dict[str, dict[str, int]]  # month -> currency -> minor units
    won_count: int
    lost_count: int
    cycle_days: float | None
    conversions: list[Conversion]
    weeks: list[str]
    activities: dict[str, dict[str, int]]  # week -> kind -> count
    csat_average: float | None
    csat_answers: int
    nps: int | None
    nps_answers: int

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count
        return self.won_count / closed if closed else None


def net_promoter_score(answers: list[tuple[int, int]]) -> int | None:
    """(score, count) pairs -> % promoters (9–10) minus % detractors (0–6)."""
    total = sum(n for _s, n in answers)
    if not total:
        return None
    promoters = sum(n for s, n in answers if s >= 9)
    detractors = sum(n for s, n in answers if s <= 6)
    return round(100 * (promoters - detractors) / total)


def _days_between(session: Session, start, end):
    """SQL: whole days from a timestamp's day to a date (a deal's cycle)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(func.date(start))
    return end - func.date(start)


def my_reports(session: Session, user: User, period: Period, loc) -> MyReports:
    """Every query is filtered on the current user: there is no way to ask for anyone else."""
    require_records(user)
    stages = session.exec(select(Stage).order_by(Stage.position, Stage.id)).all()
    mine = Deal.owner_id == user.id

    # Open deals are those in open stages (kept below): a few rows of the stage tally.
    pipeline_rows = session.exec(
        select(
            StageTally.stage_id, StageTally.currency, StageTally.deals, StageTally.amount_minor
        ).where(StageTally.seller_id == user.id, StageTally.deals > 0)
    ).all()
    by_stage: dict[int, StageLine] = {}
    currencies: set[str] = set()
    for s in stages:
        if s.kind == "open":
            by_stage[s.id] = StageLine(s.label(loc), 0, {}, {}, s.probability)
    for stage_id, currency, count, total in pipeline_rows:
        line = by_stage.get(stage_id)
        if line is None:
            continue
        currencies.add(currency)
        line.count += count
        line.value[currency] = line.value.get(currency, 0) + int(total or 0)
        line.weighted[currency] = line.weighted.get(currency, 0) + int(
            (total or 0) * line.probability / 100
        )

    # Revenue by month from the tally (a row per month, currency and tags), the cycle as
    # one average over my won deals' index: nothing here reads a row per deal.
    won_rows = session.exec(
        select(RevenueTally.month, RevenueTally.currency, RevenueTally.amount_minor)
        .add_columns(RevenueTally.deals)
        .where(
            RevenueTally.seller_id == user.id,
            RevenueTally.month >= period.months[0],
            RevenueTally.month <= period.months[-1],
        )
    ).all()
    won_by_month: dict[str, dict[str, int]] = {m: {} for m in period.months}
    won_count = 0
    for month, currency, amount, deals in won_rows:
        if not deals:
            continue
        currencies.add(currency)
        won_count += deals
        if month in won_by_month:
            won_by_month[month][currency] = won_by_month[month].get(currency, 0) + int(amount or 0)
    cycle_days = session.exec(
        select(func.avg(_days_between(session, Deal.created_at, Deal.won_on))).where(
            mine, Deal.status == "won", Deal.won_on >= period.start, Deal.won_on < period.end
        )
    ).one()
    lost_count = session.exec(
        select(func.count()).where(
            mine, Deal.status == "lost", Deal.lost_on >= period.start, Deal.lost_on < period.end
        )
    ).one()

    # Of my deals opened in the period, how many reached each stage, and went on.
    reached_rows = session.exec(
        select(Deal.furthest_position, func.count())
        .where(mine, Deal.created_at >= period.start_at, Deal.created_at < period.end_at)
        .group_by(Deal.furthest_position)
    ).all()
    path = [s for s in stages if s.kind != "lost"]
    conversions = []
    for here, there in zip(path, path[1:], strict=False):
        reached = sum(n for pos, n in reached_rows if pos >= here.position)
        passed = sum(n for pos, n in reached_rows if pos >= there.position)
        conversions.append(Conversion(here.label(loc), there.label(loc), reached, passed))

    first_week = period.start - timedelta(days=period.start.weekday())
    activity_rows = session.exec(
        select(Activity.occurred_week, Activity.kind, func.count())
        .where(
            Activity.author_id == user.id,
            Activity.occurred_week >= first_week,
            Activity.occurred_week < period.end,
        )
        .group_by(Activity.occurred_week, Activity.kind)
    ).all()
    weeks = []
    week = first_week
    while week < period.end:
        weeks.append(week.isoformat())
        week += timedelta(days=7)
    activities: dict[str, dict[str, int]] = {w: dict.fromkeys(KINDS, 0) for w in weeks}
    for week_day, kind, count in activity_rows:
        key = week_day.isoformat()
        if key in activities and kind in activities[key]:
            activities[key][kind] += count

    answers = session.exec(
        select(SurveyResponse.kind, SurveyResponse.score, func.count())
        .where(
            SurveyResponse.seller_id == user.id,
            SurveyResponse.answered_month >= period.months[0],
            SurveyResponse.answered_month <= period.months[-1],
        )
        .group_by(SurveyResponse.kind, SurveyResponse.score)
    ).all()
    csat = [(score, n) for kind, score, n in answers if kind == "csat"]
    nps = [(score, n) for kind, score, n in answers if kind == "nps"]
    csat_n = sum(n for _s, n in csat)
    nps_n = sum(n for _s, n in nps)
    return MyReports(
        period=period,
        pipeline=[by_stage[s.id] for s in stages if s.id in by_stage],
        currencies=sorted(currencies) or ["EUR"],
        won_by_month=won_by_month,
        won_count=won_count,
        lost_count=lost_count,
        cycle_days=None if cycle_days is None else round(float(cycle_days), 1),
        conversions=conversions,
        weeks=weeks,
        activities=activities,
        csat_average=round(sum(s * n for s, n in csat) / csat_n, 2) if csat_n else None,
        csat_answers=csat_n,
        nps=(
            round(
                100 * (sum(n for s, n in nps if s >= 9) - sum(n for s, n in nps if s <= 6)) / nps_n
            )
            if nps_n
            else None
        ),
        nps_answers=nps_n,
    )
