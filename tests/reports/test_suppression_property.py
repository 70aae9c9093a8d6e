"""Property: whatever the team, nothing a manager can read in any period's tables — page,
CSV or API — shows a figure that singles a seller out, and nothing hidden can be computed
from everything shown across all tables and all periods together.

The checker is written apart from the app: its own test of who is singled out, exact
fractions for the algebra. The last test switches complementary suppression off and
shows that the checker then finds the issue's subtraction."""

import json
from collections import defaultdict
from datetime import date
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.i18n import Localizer
from app.reports import team
from app.reports.disclosure import Decision, concern
from app.reports.periods import PERIODS, period_for
from app.satisfaction.models import band_of, points_of

K = 3
MAX_SHARE = 0.8
TODAY = date(2026, 11, 23)
MONTHS = sorted({m for code in PERIODS for m in period_for(code, TODAY, whole_months=True).months})
LOC = Localizer(language="en", timezone="Europe/Paris")
TAG_SETS = ["", "retail", "wholesale", "retail, solo", "solo", "retail, wholesale"]

sellers = st.integers(min_value=1, max_value=6)
won = st.lists(
    st.tuples(
        st.integers(0, 5),  # owner
        st.sampled_from(MONTHS),
        st.sampled_from(["EUR", "EUR", "USD"]),
        st.sampled_from(TAG_SETS),
        st.integers(1, 10_000_00),
    ),
    max_size=40,
)
open_deals = st.lists(
    st.tuples(
        st.integers(1, 4), st.integers(0, 5), st.sampled_from(["EUR", "USD"]), st.integers(1, 10**6)
    ),
    max_size=20,
)
answers = st.lists(
    st.tuples(st.sampled_from(MONTHS), st.integers(0, 5), st.integers(0, 10), st.integers(1, 4)),
    max_size=40,
)


def _tally(kind, answers):
    """Answers counted as the app's tally counts them: by month, seller and band."""
    rows: dict = {}
    for month, seller, score, count in answers:
        key = (month, seller, band_of(kind, score))
        n, points = rows.get(key, (0, 0))
        rows[key] = (n + count, points + points_of(kind, score) * count)
    return [(*key, n, points) for key, (n, points) in rows.items()]


def _data(n, won, pipeline, responses) -> team.TeamData:
    return team.TeamData(
        won=[(m, owner % n, cur, tags, amount) for owner, m, cur, tags, amount in won],
        open=[(stage, owner % n, cur, 1, amount) for stage, owner, cur, amount in pipeline],
        answers={
            "csat": _tally("csat", [(m, s % n, 1 + score % 5, c) for m, s, score, c in responses]),
            "nps": _tally("nps", [(m, s % n, score, c) for m, s, score, c in responses]),
        },
        stages=[(i, f"Stage {i}") for i in range(1, 5)],
    )


def singles_out(atoms, parts) -> bool:
    """The checker's own rule: fewer than K sellers, or one with more than MAX_SHARE."""
    by_seller: dict = defaultdict(int)
    for atom in atoms:
        for seller, value in parts.get(atom, {}).items():
            by_seller[seller] += value
    if not by_seller:
        return False
    total = sum(by_seller.values())
    return len(by_seller) < K or (total > 0 and max(by_seller.values()) > MAX_SHARE * total)


class Span:
    """The exact row space of the published equations (reduced row echelon form)."""

    def __init__(self, atoms, equations):
        self.index = {a: i for i, a in enumerate(atoms)}
        self.rows: list[tuple[int, list[Fraction]]] = []
        for eq in equations:
            self._add(self.reduce(self.vector(eq)))

    def vector(self, weights: dict) -> list[Fraction]:
        v = [Fraction(0)] * len(self.index)
        for atom, w in weights.items():
            v[self.index[atom]] = Fraction(w)
        return v

    def reduce(self, v):
        for pivot, row in self.rows:
            if v[pivot]:
                factor = v[pivot]
                v = [a - factor * b for a, b in zip(v, row, strict=True)]
        return v

    def _add(self, v):
        pivot = next((i for i, x in enumerate(v) if x), None)
        if pivot is None:
            return
        v = [x / v[pivot] for x in v]
        self.rows = [
            (p, [a - r[pivot] * b for a, b in zip(r, v, strict=True)]) for p, r in self.rows
        ]
        self.rows.append((pivot, v))

    def contains(self, weights: dict) -> bool:
        return not any(self.reduce(self.vector(weights)))


def _cells(table):
    for row in table.cells:
        yield from row
    for _label, _rows, cells in table.subtotals:
        yield from (c for c in cells if c is not None)
    yield from (c for c in table.totals or [] if c is not None)


def _shown_cells(shown):
    for row in shown.cells:
        yield from row
    for _label, cells in shown.subtotals:
        yield from (c for c in cells if c is not None)
    yield from (c for c in shown.totals or [] if c is not None)


def leaks(data: team.TeamData, app_share: float = MAX_SHARE) -> list:
    """Everything that singles someone out and is shown, or can be computed from all the
    views. `app_share` is the dominance share the app is run with (1: rule off)."""
    tags = team.shown_tags(data.won, K)
    parts = team.team_parts(data, tags)
    published, every_cell, found = [], [], []
    for code in PERIODS:
        _period, tables = team.shown_tables(data, code, TODAY, K, app_share)
        for shown in tables:
            cells = list(_cells(shown.table))
            for cell, out in zip(cells, _shown_cells(shown), strict=True):
                live = frozenset(a for a in cell.atoms if a in parts)
                every_cell.append((live, cell.weights))
                if out.visible and out.value is not None:
                    if singles_out(live, parts):
                        found.append(("shown", code, shown.table.key))
                    published.append({a: dict(cell.weights).get(a, 1) for a in live})
                    if cell.weights:
                        published.append(dict.fromkeys(live, 1))
                elif out.visible:
                    assert not live  # "nothing" only where there is nothing
    span = Span(list(parts), published)
    wanted = {frozenset([a]) for a in parts} | {atoms for atoms, _w in every_cell if atoms}
    sets = {atoms for atoms, _w in every_cell if atoms}
    wanted |= {big - small for big in sets for small in sets if small < big}
    for atoms in wanted:
        if singles_out(atoms, parts) and span.contains(dict.fromkeys(atoms, 1)):
            found.append(sorted(atoms, key=repr))
    for atoms, weights in every_cell:
        points = {a: w for a, w in weights if w}  # passives weigh nothing: no equation
        if points and singles_out(atoms, parts) and span.contains(points):
            found.append(("points", sorted(atoms, key=repr)))
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sellers, won, open_deals, answers)
def test_nothing_shown_singles_a_seller_out_and_nothing_hidden_can_be_computed(
    n, won, pipeline, responses
):
    data = _data(n, won, pipeline, responses)
    assert leaks(data) == []
    # Page, CSV and API all read the same shown tables: words where a cell is hidden.
    _period, tables = team.shown_tables(data, "12m", TODAY, K, MAX_SHARE)
    outcomes = team.TeamOutcomes(period_for("12m", TODAY, whole_months=True), K, tables)
    payload = json.dumps(team.as_json(outcomes, LOC), default=str)
    csv_text = json.dumps(list(team.csv_rows(outcomes, LOC)))
    few = any(s.any_suppressed for s in tables)
    assert ("fewer than 3 contributors" in csv_text) == few
    assert ('"suppressed": true' in payload) == few


# The first replay: every month has three sellers, so the revenue total shows;
# tag rows `retail` and `wholesale` too; `solo` is one seller's: total − retail −
# wholesale would give it.
CROSS_TABLE = team.TeamData(
    won=[
        (m, seller, "EUR", tag, 1000_00 + 10 * seller)
        for m in ("2026-08", "2026-09", "2026-10")
        for seller, tag in ((0, "retail"), (1, "retail"), (2, "retail"), (3, "wholesale"))
    ]
    + [("2026-08", s, "EUR", "wholesale", 1500_00) for s in (1, 2)]
    + [("2026-09", 4, "EUR", "solo", 777_00)],
    open=[],
    answers={},
    stages=[],
)


def test_complementary_suppression_is_what_stops_the_subtraction(monkeypatch):
    assert leaks(CROSS_TABLE) == []

    def primary_only(figures, parts, k, max_share):
        return Decision({f.key: r for f in figures if (r := concern(f.atoms, parts, k, max_share))})

    monkeypatch.setattr(team, "decide", primary_only)
    assert leaks(CROSS_TABLE), "the checker should see the lone seller's 777.00"


# The issue's padding: one seller's 98 765.43 in a month, and two colleagues' cents.
PADDED = team.TeamData(
    won=[("2026-09", 0, "EUR", "", 98_765_43), ("2026-09", 1, "EUR", "", 1)]
    + [("2026-09", 2, "EUR", "", 1)]
    + [(m, s, "EUR", "", 1000_00) for m in ("2026-08", "2026-10") for s in (0, 1, 2)],
    open=[],
    answers={},
    stages=[],
)


def test_the_dominance_rule_is_what_stops_the_padding():
    assert leaks(PADDED) == []
    assert leaks(PADDED, app_share=1.0), "the checker should see the padded month shown"
