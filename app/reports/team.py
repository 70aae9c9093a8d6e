"""Team outcomes for managers: revenue won, pipeline, satisfaction (DESIGN.md R4).

Every figure is a sum over disclosure atoms (one whole month × one team-level value, see
`disclosure.py`). The tables of every selectable period are built from the same atoms
and decided together, once, so no view and no pair of views gives away what another one
hides; the requested period is then read from that decision. The table builders take
plain rows, so the property tests feed them the shapes the database gives."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_manager
from app.core.i18n import N_
from app.deals.models import RevenueTally, Stage
from app.reports.disclosure import FEW, HIDDEN, Figure, Parts, decide
from app.reports.periods import (
    PERIODS,
    Period,
    month_label,
    period_for,
    quarter_groups,
    quarter_label,
)
from app.reports.snapshot import pipeline_of_month
from app.reports.tables import Cell, Column, Shown, ShownTable, Table
from app.satisfaction.models import SurveyTally

CSAT_SCORES = [1, 2, 3, 4, 5]
NPS_GROUPS = [
    ("detractors", N_("Detractors (0–6)"), -1),
    ("passives", N_("Passives (7–8)"), 0),
    ("promoters", N_("Promoters (9–10)"), 1),
]
# More tags than this and the table stops being read; which ones is decided by label.
TOP_TAGS = 12
# Which figures stay when some must be hidden to protect others: totals first.
TOTAL, MONTH, QUARTER, STAGE, ANSWERS, BANDS, TAG = 90, 80, 70, 60, 50, 40, 10
# Among periods, the default one's figures stay first.
PERIOD_ORDER = {"12m": 4, "6m": 3, "3m": 2, "ytd": 1, "last_year": 0}


@dataclass
class TeamData:
    """What the queries give, over the months of every selectable period."""

    won: list  # (month 'YYYY-MM', owner_id, currency, organization tags, amount_minor)
    open: list  # (stage_id, owner_id, currency, deal_count, amount_minor)
    answers: dict  # kind -> [(month, seller_id, band, answers, points)]
    stages: list  # (stage_id, label)
    pipeline_taken_at: datetime | None = None


def _tags(text: str | None) -> set[str]:
    return {t.strip() for t in (text or "").split(",") if t.strip()}


def shown_tags(won, k: int) -> list[str]:
    """Tags that at least K sellers won deals under, by label: the choice never depends
    on amounts, so neither the rows nor their order say which tag weighs more."""
    sellers: dict[str, set] = defaultdict(set)
    for _month, owner, _currency, tags, _amount in won:
        for tag in _tags(tags):
            sellers[tag].add(owner)
    return sorted(t for t, who in sellers.items() if len(who) >= k)[:TOP_TAGS]


def team_parts(data: TeamData, tags: list[str]) -> Parts:
    """Each atom's contributions per seller. A won deal's atom is its month × the shown
    tags its organization carries (one combination, so atoms never overlap)."""
    parts: Parts = defaultdict(lambda: defaultdict(int))
    shown = set(tags)
    for month, owner, currency, org_tags, amount in data.won:
        combo = frozenset(_tags(org_tags) & shown)
        parts[("won", currency, month, combo)][owner] += int(
            amount or 0
        )  # PostgreSQL sums are Decimal
    for stage_id, owner, currency, count, amount in data.open:
        parts[("open", "deals", stage_id)][owner] += int(count)
        parts[("open", currency, stage_id)][owner] += int(amount or 0)
    for kind, rows in data.answers.items():
        for month, seller, band, count, _points in rows:
            if count:
                parts[(kind, month, band)][seller] += int(count)
    return {atom: dict(sellers) for atom, sellers in parts.items()}


def _currencies(parts: Parts, kind: str) -> list[str]:
    found = {a[1] for a in parts if a[0] == kind and a[1] != "deals"}
    return sorted(found) or ["EUR"]


def revenue_table(parts: Parts, period: Period) -> Table:
    months = period.months
    currencies = _currencies(parts, "won")
    atoms: dict[tuple, set] = defaultdict(set)
    for atom in parts:
        if atom[0] == "won":
            atoms[(atom[1], atom[2])].add(atom)

    def cell(currency: str, in_months) -> Cell:
        return Cell(frozenset(a for m in in_months for a in atoms[(currency, m)]))

    return Table(
        key="revenue",
        title=N_("Revenue won"),
        row_label=N_("Month"),
        rows=months,
        columns=[Column(c, c, unit=c) for c in currencies],
        cells=[[cell(c, [m]) for c in currencies] for m in months],
        totals=[cell(c, months) for c in currencies],
        subtotals=[
            (label, rows, [cell(c, [months[i] for i in rows]) for c in currencies])
            for label, rows in quarter_groups(months)
            if " Q" in label
        ],
        importance=MONTH,
    )


def tag_table(parts: Parts, period: Period, tags: list[str]) -> Table:
    """An organization may carry several tags, so rows overlap: no totals here."""
    within = set(period.months)
    currencies = _currencies(parts, "won")

    def cell(tag: str, currency: str) -> Cell:
        return Cell(
            frozenset(
                a
                for a in parts
                if a[0] == "won" and a[1] == currency and a[2] in within and tag in a[3]
            )
        )

    return Table(
        key="tags",
        title=N_("Revenue won by organization tag"),
        row_label=N_("Tag"),
        rows=tags,
        columns=[Column(c, c, unit=c) for c in currencies],
        cells=[[cell(t, c) for c in currencies] for t in tags],
        importance=TAG,
    )


def pipeline_table(parts: Parts, stages: list[tuple[int, str]]) -> Table:
    """Open deals now, by stage: the same whatever the period."""
    keys = ["deals", *_currencies(parts, "open")]

    def cell(key: str, stage_ids) -> Cell:
        return Cell(frozenset(("open", key, s) for s in stage_ids if ("open", key, s) in parts))

    ids = [sid for sid, _label in stages]
    return Table(
        key="pipeline",
        title=N_("Pipeline by stage"),
        row_label=N_("Stage"),
        rows=[label for _id, label in stages],
        columns=[Column("deals", N_("Deals")), *[Column(c, c, unit=c) for c in keys[1:]]],
        cells=[[cell(key, [sid]) for key in keys] for sid in ids],
        totals=[cell(key, ids) for key in keys],
        importance=STAGE,
    )


def _bands(kind: str) -> list[tuple[str, str, int]]:
    if kind == "csat":
        return [(str(s), str(s), s) for s in CSAT_SCORES]
    return NPS_GROUPS


def satisfaction_tables(kind: str, parts: Parts, period: Period) -> list[Table]:
    """By quarter (or the months of a quarter the period cuts): the number of answers and
    the average (CSAT) or NPS; then how the answers spread over the scale."""
    bands = _bands(kind)
    groups = quarter_groups(period.months)
    weights = {band: w for band, _label, w in bands}

    def atoms(months, band=None) -> frozenset:
        return frozenset(
            (kind, m, b)
            for m in months
            for b in weights
            if band in (None, b) and (kind, m, b) in parts
        )

    def months_of(rows) -> list[str]:
        return [period.months[i] for i in rows]

    def line(months) -> list[Cell]:
        found = atoms(months)
        points = tuple((a, weights[a[2]]) for a in sorted(found))
        return [Cell(found), Cell(found, points, scale=1 if kind == "csat" else 100)]

    summary = Table(
        key=kind,
        title=N_("Customer satisfaction (CSAT)") if kind == "csat" else N_("Recommendation (NPS)"),
        row_label=N_("Quarter"),
        rows=[label for label, _rows in groups],
        columns=[
            Column("answers", N_("Answers")),
            Column(
                "average" if kind == "csat" else "nps",
                N_("Average (1–5)") if kind == "csat" else N_("NPS"),
            ),
        ],
        cells=[line(months_of(rows)) for _label, rows in groups],
        totals=line(period.months),
        importance=ANSWERS,
    )
    spread = Table(
        key=f"{kind}-distribution",
        title=N_("CSAT scores") if kind == "csat" else N_("NPS answers"),
        row_label=N_("Quarter"),
        rows=[label for label, _rows in groups],
        columns=[Column(band, label) for band, label, _w in bands],
        cells=[[Cell(atoms(months_of(rows), b)) for b, _l, _w in bands] for _l2, rows in groups],
        totals=[Cell(atoms(period.months, b)) for b, _l, _w in bands],
        importance=BANDS,
    )
    return [summary, spread]


def team_tables(data: TeamData, parts: Parts, tags: list[str], period: Period) -> list[Table]:
    csat = satisfaction_tables("csat", parts, period)
    nps = satisfaction_tables("nps", parts, period)
    return [
        revenue_table(parts, period),
        tag_table(parts, period, tags),
        pipeline_table(parts, data.stages),
        csat[0],
        csat[1],
        nps[0],
        nps[1],
    ]


def _cells(table: Table):
    """(row key, column, cell, importance) for every figure a table publishes."""
    for row, cells in zip(table.rows, table.cells, strict=True):
        for column, cell in zip(table.columns, cells, strict=True):
            yield row, column.key, cell, table.importance
    for label, _rows, cells in table.subtotals:
        for column, cell in zip(table.columns, cells, strict=True):
            yield f"subtotal {label}", column.key, cell, QUARTER
    for column, cell in zip(table.columns, table.totals or [], strict=False):
        if cell is not None:
            yield "total", column.key, cell, TOTAL


def figures_of(code: str, tables: list[Table]) -> list[Figure]:
    bonus = PERIOD_ORDER.get(code, 0)
    return [
        Figure((code, table.key, row, column), cell.atoms, cell.weights, 10 * rank + bonus)
        for table in tables
        for row, column, cell, rank in _cells(table)
    ]


def _shown(cell: Cell | None, verdict: str, parts: Parts) -> Shown | None:
    if cell is None:
        return None
    if verdict == FEW:
        return Shown(None, suppressed=True)
    if verdict == HIDDEN:
        return Shown(None, hidden=True)
    return Shown(cell.value(parts))


def shown_tables(
    data: TeamData, code: str, today: date, k: int, max_share: float
) -> tuple[Period, list[ShownTable]]:
    """The requested period's tables, decided together with every other period's."""
    k = max(3, k)
    tags = shown_tags(data.won, k)
    parts = team_parts(data, tags)
    every = {c: period_for(c, today, whole_months=True) for c in PERIODS}
    built = {c: team_tables(data, parts, tags, p) for c, p in every.items()}
    figures = [f for c, tables in built.items() for f in figures_of(c, tables)]
    decision = decide(figures, parts, k, max_share)
    period = every[period_for(code, today).code]
    out = []
    for table in built[period.code]:
        verdicts = {
            (r, c): decision.of((period.code, table.key, r, c)) for r, c, *_ in _cells(table)
        }

        def show(row, column, cell, verdicts=verdicts):
            return _shown(cell, verdicts.get((row, column)), parts)

        keys = [c.key for c in table.columns]
        out.append(
            ShownTable(
                table,
                [
                    [show(r, key, cell) for key, cell in zip(keys, cells, strict=True)]
                    for r, cells in zip(table.rows, table.cells, strict=True)
                ],
                [show("total", key, cell) for key, cell in zip(keys, table.totals, strict=True)]
                if table.totals is not None
                else None,
                [
                    (
                        label,
                        [
                            show(f"subtotal {label}", key, c)
                            for key, c in zip(keys, cells, strict=True)
                        ],
                    )
                    for label, _rows, cells in table.subtotals
                ],
            )
        )
    return period, out


@dataclass
class TeamOutcomes:
    period: Period
    k: int
    tables: list[ShownTable]
    pipeline_taken_at: datetime | None = None


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def team_data(session: Session, start: date, end: date, today: date, loc) -> TeamData:
    """Grouped queries over indexes and tallies; never a row per record, never a name (R3,
    R4). Won revenue comes summed by month, seller, currency and tags from the tally the
    database keeps (migration 0021): a few hundred rows however many deals were won."""
    won = session.execute(
        select(
            RevenueTally.month,
            RevenueTally.seller_id,
            RevenueTally.currency,
            RevenueTally.tags,
            RevenueTally.amount_minor,
        ).where(
            RevenueTally.month >= _month(start),
            RevenueTally.month < _month(end),
            RevenueTally.deals > 0,
        )
    )
    stages = session.exec(
        select(Stage).where(Stage.kind == "open").order_by(Stage.position, Stage.id)
    ).all()
    tallies = session.exec(
        select(
            SurveyTally.kind,
            SurveyTally.month,
            SurveyTally.seller_id,
            SurveyTally.band,
            SurveyTally.answers,
            SurveyTally.points,
        ).where(SurveyTally.month >= _month(start), SurveyTally.month < _month(end))
    ).all()
    pipeline, taken_at = pipeline_of_month(session, today)
    answers: dict[str, list] = defaultdict(list)
    for kind, *row in tallies:
        answers[kind].append(row)
    return TeamData(
        # PostgreSQL sums are Decimal.
        won=[(m, owner, cur, tags, int(amount or 0)) for m, owner, cur, tags, amount in won],
        open=pipeline,
        answers=answers,
        stages=[(s.id, s.label(loc)) for s in stages],
        pipeline_taken_at=taken_at,
    )


def team_outcomes(
    session: Session, user: User, code: str, today: date, settings, loc
) -> TeamOutcomes:
    require_manager(user)
    every = [period_for(c, today, whole_months=True) for c in PERIODS]
    start = min(p.start for p in every)
    end = max(p.end for p in every)
    data = team_data(session, start, end, today, loc)
    k = max(3, settings.min_group_size)
    # Figures change when a month ends or a past deal or answer is edited, not between two
    # page views: the same rows give the same tables, kept for the next reader.
    key = (
        code,
        today.replace(day=1),
        k,
        settings.max_share,
        tuple(data.won),
        tuple(map(tuple, data.open)),
        tuple((kind, tuple(map(tuple, rows))) for kind, rows in sorted(data.answers.items())),
        tuple(data.stages),
    )
    found = _RECENT.pop(key, None) or shown_tables(data, code, today, k, settings.max_share)
    _RECENT[key] = found
    while len(_RECENT) > 16:
        _RECENT.pop(next(iter(_RECENT)))
    period, tables = found
    return TeamOutcomes(period, k, tables, data.pipeline_taken_at)


_RECENT: dict = {}  # insertion-ordered: the oldest goes first


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
        # The pipeline is the month's snapshot, the same all month (app/reports/snapshot.py).
        "pipeline_taken_at": outcomes.pipeline_taken_at,
        "tables": tables,
    }
