"""Team outcomes for managers: revenue won, pipeline, satisfaction, as K-suppressed tables.

The aggregation functions take plain rows, so the property tests feed them the same
shapes the database gives; `team_outcomes` runs the grouped queries."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_manager
from app.core.i18n import N_
from app.customers.models import Organization
from app.deals.models import Deal, Stage
from app.reports.periods import Period, month_label, quarter_label, quarter_of
from app.reports.suppression import Cell, Column, ShownTable, Table, suppress
from app.satisfaction.models import SurveyTally

CSAT_SCORES = [1, 2, 3, 4, 5]
NPS_GROUPS = [
    ("detractors", N_("Detractors (0–6)"), range(0, 7)),
    ("passives", N_("Passives (7–8)"), range(7, 9)),
    ("promoters", N_("Promoters (9–10)"), range(9, 11)),
]
# The tally's band keys, in the order the distribution shows them.


def _add(cell_values: dict, key, value, seller) -> None:
    """Adds to a cell's value and notes its seller (a set: distinct sellers count once)."""
    slot = cell_values.get(key)
    if slot is None:
        cell_values[key] = [value, {seller}]
    else:
        slot[0] += value
        slot[1].add(seller)


def _cell(found: dict, key) -> Cell:
    slot = found.get(key)
    return Cell(slot[0], len(slot[1])) if slot else Cell()


def revenue_table(rows, period: Period) -> Table:
    """rows: (won_on, owner_id, currency, amount_minor). Months, quarter subtotals, totals."""
    months = period.months
    within = set(months)
    found: dict = {}
    currencies = sorted({r[2] for r in rows}) or ["EUR"]
    for won_on, owner, currency, amount in rows:
        month = f"{won_on.year:04d}-{won_on.month:02d}"
        if month in within:
            _add(found, (month, currency), amount, owner)
            _add(found, (quarter_of(month), currency), amount, owner)
            _add(found, ("total", currency), amount, owner)
    quarters: dict[str, list[int]] = defaultdict(list)
    for i, month in enumerate(months):
        quarters[quarter_of(month)].append(i)
    return Table(
        key="revenue",
        title=N_("Revenue won"),
        row_label=N_("Month"),
        rows=months,
        columns=[Column(c, c, unit=c) for c in currencies],
        cells=[[_cell(found, (m, c)) for c in currencies] for m in months],
        totals=[_cell(found, ("total", c)) for c in currencies],
        subtotals=[
            (q, idx, [_cell(found, (q, c)) for c in currencies]) for q, idx in quarters.items()
        ],
    )


def pipeline_table(rows, stages: list[tuple[int, str]]) -> Table:
    """rows: (stage_id, owner_id, currency, deal_count, amount_minor) over open deals."""
    found: dict = {}
    currencies = sorted({r[2] for r in rows}) or ["EUR"]
    for stage_id, owner, currency, count, amount in rows:
        _add(found, (stage_id, "deals"), count, owner)
        _add(found, ("total", "deals"), count, owner)
        _add(found, (stage_id, currency), amount or 0, owner)
        _add(found, ("total", currency), amount or 0, owner)
    keys = ["deals", *currencies]
    columns = [Column("deals", N_("Deals")), *[Column(c, c, unit=c) for c in currencies]]
    return Table(
        key="pipeline",
        title=N_("Pipeline by stage"),
        row_label=N_("Stage"),
        rows=[label for _id, label in stages],
        columns=columns,
        cells=[[_cell(found, (sid, key)) for key in keys] for sid, _label in stages],
        totals=[_cell(found, ("total", key)) for key in keys],
    )


def _bands(kind: str):
    if kind == "csat":
        return [(str(s), str(s), range(s, s + 1)) for s in CSAT_SCORES]
    return NPS_GROUPS


def satisfaction_table(kind: str, rows, period: Period) -> Table:
    """rows: (month, seller_id, band, answers, points) of one kind, from the tally. By
    quarter: the number of answers and the average (CSAT) or NPS, each over every seller
    of the quarter."""
    quarters = list(dict.fromkeys(quarter_of(m) for m in period.months))
    answers: dict = {}
    points: dict = {}
    within = {m: quarter_of(m) for m in period.months}
    for month, seller, _band, count, point in rows:
        quarter = within.get(month)
        if quarter is None:
            continue
        for where in (quarter, "total"):
            _add(answers, where, count, seller)
            _add(points, where, point, seller)

    def line(where) -> list[Cell]:
        n = _cell(answers, where)
        if not n.value:
            return [n, Cell(None, n.contributors)]
        total = _cell(points, where).value
        value = round(total / n.value, 2) if kind == "csat" else round(100 * total / n.value)
        return [n, Cell(value, n.contributors)]

    return Table(
        key=kind,
        title=N_("Customer satisfaction (CSAT)") if kind == "csat" else N_("Recommendation (NPS)"),
        row_label=N_("Quarter"),
        rows=quarters,
        columns=[
            Column("answers", N_("Answers")),
            Column(
                "average" if kind == "csat" else "nps",
                N_("Average (1–5)") if kind == "csat" else N_("NPS"),
            ),
        ],
        cells=[line(q) for q in quarters],
        totals=line("total"),
    )


def distribution_table(kind: str, rows, period: Period) -> Table:
    """How the answers spread over the scale, by quarter. A quarter's answer count shows in
    the satisfaction table, so one small band hides the quarter's whole row here."""
    bands = _bands(kind)
    quarters = list(dict.fromkeys(quarter_of(m) for m in period.months))
    counts: dict = {}
    within = {m: quarter_of(m) for m in period.months}
    for month, seller, band, count, _points in rows:
        quarter = within.get(month)
        if quarter is not None:
            _add(counts, (quarter, band), count, seller)
            _add(counts, ("total", band), count, seller)
    return Table(
        key=f"{kind}-distribution",
        title=N_("CSAT scores") if kind == "csat" else N_("NPS answers"),
        row_label=N_("Quarter"),
        rows=quarters,
        columns=[Column(key, label) for key, label, _scores in bands],
        cells=[[_cell(counts, (q, key)) for key, _l, _s in bands] for q in quarters],
        totals=[_cell(counts, ("total", key)) for key, _l, _s in bands],
        whole_rows=True,
    )


TOP_TAGS = 12


def tag_table(rows, period: Period) -> Table:
    """rows: (organization tags, owner_id, currency, amount_minor) of deals won in the period.
    An organization may carry several tags, so rows overlap: no totals here."""
    found: dict = {}
    currencies = sorted({r[2] for r in rows}) or ["EUR"]
    for tags, owner, currency, amount in rows:
        for tag in {t.strip() for t in (tags or "").split(",") if t.strip()}:
            _add(found, (tag, currency), amount or 0, owner)
    totals: dict[str, int] = defaultdict(int)
    for (tag, _currency), (amount, _sellers) in found.items():
        totals[tag] += amount
    tags = sorted(totals, key=lambda t: (-totals[t], t))[:TOP_TAGS]
    return Table(
        key="tags",
        title=N_("Revenue won by organization tag"),
        row_label=N_("Tag"),
        rows=tags,
        columns=[Column(c, c, unit=c) for c in currencies],
        cells=[[_cell(found, (t, c)) for c in currencies] for t in tags],
    )


@dataclass
class TeamOutcomes:
    period: Period
    k: int
    tables: list[ShownTable]


def team_outcomes(session: Session, user: User, period: Period, k: int, loc) -> TeamOutcomes:
    """Grouped queries over indexes; never a row per record, never a name (R3, R4)."""
    require_manager(user)
    won = session.exec(
        select(Deal.won_on, Deal.owner_id, Deal.currency, func.sum(Deal.won_amount_minor))
        .where(Deal.status == "won", Deal.won_on >= period.start, Deal.won_on < period.end)
        .group_by(Deal.won_on, Deal.owner_id, Deal.currency)
    ).all()
    stages = session.exec(
        select(Stage).where(Stage.kind == "open").order_by(Stage.position, Stage.id)
    ).all()
    pipeline = session.exec(
        select(
            Deal.stage_id, Deal.owner_id, Deal.currency, func.count(), func.sum(Deal.amount_minor)
        )
        .where(Deal.status == "open")
        .group_by(Deal.stage_id, Deal.owner_id, Deal.currency)
    ).all()
    tallies = session.exec(
        select(
            SurveyTally.kind,
            SurveyTally.month,
            SurveyTally.seller_id,
            SurveyTally.band,
            SurveyTally.answers,
            SurveyTally.points,
        ).where(SurveyTally.month >= period.months[0], SurveyTally.month <= period.months[-1])
    ).all()
    by_kind: dict[str, list] = defaultdict(list)
    for kind, *row in tallies:
        by_kind[kind].append(row)
    tagged = session.exec(
        select(Organization.tags, Deal.owner_id, Deal.currency, Deal.won_amount_minor)
        .join(Organization, Organization.id == Deal.organization_id)
        .where(
            Deal.status == "won",
            Deal.won_on >= period.start,
            Deal.won_on < period.end,
            Organization.tags != "",
        )
    ).all()
    tables = [
        revenue_table(won, period),
        tag_table(tagged, period),
        pipeline_table(pipeline, [(s.id, s.label(loc)) for s in stages]),
        satisfaction_table("csat", by_kind["csat"], period),
        distribution_table("csat", by_kind["csat"], period),
        satisfaction_table("nps", by_kind["nps"], period),
        distribution_table("nps", by_kind["nps"], period),
    ]
    return TeamOutcomes(period, max(3, k), [suppress(t, k) for t in tables])


def shown_text(shown, column, loc, k: int) -> str:
    """One shown value as words or a number, for CSV and pages alike."""
    if shown is None:
        return ""
    if shown.suppressed:
        return loc.gettext("fewer than %(k)s contributors", k=k)
    if shown.hidden:
        return loc.gettext("hidden")
    if shown.value is None:
        return "—"
    if column.unit and column.unit.isalpha() and len(column.unit) == 3:
        return loc.money(int(shown.value), column.unit)
    return loc.number(shown.value)


def row_texts(table: Table, loc) -> list[str]:
    """What people read for each row: a month or quarter in their language (the keys, such
    as '2026-11', stay in the API and the CSV's key column for machines)."""
    if table.row_label == "Month":
        return [month_label(m, loc.language) for m in table.rows]
    if table.row_label == "Quarter":
        return [quarter_label(q, loc.language) for q in table.rows]
    return list(table.rows)


def csv_rows(outcomes: TeamOutcomes, loc):
    """(table, row as read, column, value, row key) for every shown cell."""
    for shown in outcomes.tables:
        table = shown.table
        title = loc.gettext(table.title)
        columns = table.columns
        lines = list(zip(row_texts(table, loc), table.rows, shown.cells, strict=True))
        lines += [(quarter_label(key, loc.language), key, cells) for key, cells in shown.subtotals]
        if shown.totals is not None:
            lines.append((loc.gettext("Total"), "total", shown.totals))
        for text, key, cells in lines:
            for column, cell in zip(columns, cells, strict=True):
                if cell is not None or key != "total":
                    yield [
                        title,
                        text,
                        loc.gettext(column.label),
                        shown_text(cell, column, loc, outcomes.k),
                        key,
                    ]


def _json_cell(shown) -> dict | None:
    if shown is None:
        return None
    return {"value": shown.value, "suppressed": shown.suppressed, "hidden": shown.hidden}


def as_json(outcomes: TeamOutcomes, loc) -> dict:
    tables = []
    for shown in outcomes.tables:
        table = shown.table
        tables.append(
            {
                "key": table.key,
                "title": loc.gettext(table.title),
                "columns": [
                    {"key": c.key, "label": loc.gettext(c.label), "unit": c.unit}
                    for c in table.columns
                ],
                "rows": [
                    {"label": label, "text": text, "cells": [_json_cell(c) for c in cells]}
                    for label, text, cells in zip(
                        table.rows, row_texts(table, loc), shown.cells, strict=True
                    )
                ],
                "subtotals": [
                    {
                        "label": label,
                        "text": quarter_label(label, loc.language),
                        "cells": [_json_cell(c) for c in cells],
                    }
                    for label, cells in shown.subtotals
                ],
                "totals": [_json_cell(c) for c in shown.totals] if shown.totals else None,
            }
        )
    period = outcomes.period
    return {
        "period": {"code": period.code, "start": period.start, "end": period.end},
        "min_group_size": outcomes.k,
        "tables": tables,
    }
