"""Property: whatever the team, no manager output shows a number for a cell of fewer than
K sellers, and no suppressed cell can be derived from what the same table shows."""

import json
from datetime import date
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.i18n import Localizer
from app.reports import team
from app.reports.periods import period_for
from app.reports.suppression import suppress
from app.satisfaction.models import band_of, points_of

K = 3
PERIOD = period_for("12m", date(2026, 11, 23))
MONTHS = PERIOD.months
LOC = Localizer(language="en", timezone="Europe/Paris")

sellers = st.integers(min_value=1, max_value=7)
deals = st.lists(
    st.tuples(
        st.integers(0, 6),  # owner
        st.sampled_from(MONTHS),
        st.sampled_from(["EUR", "USD"]),
        st.integers(1, 10_000_00),
    ),
    max_size=40,
)
open_deals = st.lists(
    st.tuples(
        st.integers(1, 5), st.integers(0, 6), st.sampled_from(["EUR", "USD"]), st.integers(1, 10**6)
    ),
    max_size=30,
)
answers = st.lists(
    st.tuples(st.sampled_from(MONTHS), st.integers(0, 6), st.integers(0, 10), st.integers(1, 4)),
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


def _tables(n, won, pipeline, responses):
    won_rows = [
        (date.fromisoformat(m + "-15"), owner % n, cur, amount) for owner, m, cur, amount in won
    ]
    pipe_rows = [(stage, owner % n, cur, 1, amount) for stage, owner, cur, amount in pipeline]
    csat = _tally("csat", [(m, s % n, 1 + score % 5, c) for m, s, score, c in responses])
    nps = _tally("nps", [(m, s % n, score, c) for m, s, score, c in responses])
    tag_rows = [
        ("vip, bakery" if owner % 2 else "bakery", owner % n, cur, amount)
        for owner, _m, cur, amount in won
    ]
    return [
        team.revenue_table(won_rows, PERIOD),
        team.tag_table(tag_rows, PERIOD),
        team.pipeline_table(pipe_rows, [(i, f"Stage {i}") for i in range(1, 6)]),
        team.satisfaction_table("csat", csat, PERIOD),
        team.distribution_table("csat", csat, PERIOD),
        team.satisfaction_table("nps", nps, PERIOD),
        team.distribution_table("nps", nps, PERIOD),
    ]


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [r[:] for r in rows]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def _visible_equations(shown):
    """Every visible quantity as a linear form over the table's plain cells."""
    table = shown.table
    plain = [j for j, c in enumerate(table.columns) if not c.row_derived]
    index = {
        (i, j): n for n, (i, j) in enumerate((i, j) for i in range(len(table.rows)) for j in plain)
    }

    def form(cells):
        v = [Fraction(0)] * len(index)
        for cell in cells:
            v[index[cell]] = Fraction(1)
        return v

    equations = []
    for i, row in enumerate(shown.cells):
        for j, cell in enumerate(row):
            if not cell.visible or cell.value is None:
                continue
            if table.columns[j].row_derived:
                # An average or a row total: it may pin down any cell of its row.
                equations += [form([(i, p)]) for p in plain]
            else:
                equations.append(form([(i, j)]))
    every = range(len(table.rows))
    margins = [(list(every), shown.totals)] if shown.totals else []
    margins += [
        (rows, cells)
        for (_l, rows, _c), (_l2, cells) in zip(table.subtotals, shown.subtotals, strict=True)
    ]
    for rows, cells in margins:
        for j, cell in enumerate(cells):
            if cell is None or not cell.visible:
                continue
            if table.columns[j].row_derived:
                equations += [form([(i, p)]) for i in rows for p in plain]
            else:
                equations.append(form([(i, j) for i in rows]))
    return index, equations


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sellers, deals, open_deals, answers)
def test_no_output_shows_or_lets_anyone_derive_a_small_cell(n, won, pipeline, responses):
    outcomes = team.TeamOutcomes(
        PERIOD, K, [suppress(t, K) for t in _tables(n, won, pipeline, responses)]
    )
    payload = team.as_json(outcomes, LOC)
    csv_text = list(team.csv_rows(outcomes, LOC))
    for shown, out in zip(outcomes.tables, payload["tables"], strict=True):
        table = shown.table
        for i, row in enumerate(table.cells):
            for j, cell in enumerate(row):
                small = 0 < cell.contributors < K
                if small:
                    # Page, CSV and API come from these shown values: none carries a number.
                    assert shown.cells[i][j].value is None
                    assert out["rows"][i]["cells"][j]["value"] is None
                    assert (
                        out["rows"][i]["cells"][j]["suppressed"]
                        or out["rows"][i]["cells"][j]["hidden"]
                    )
        index, equations = _visible_equations(shown)
        base = _rank(equations) if equations else 0
        for (i, j), n_var in index.items():
            if shown.cells[i][j].suppressed:
                unit = [Fraction(0)] * len(index)
                unit[n_var] = Fraction(1)
                assert _rank(equations + [unit]) > base, (table.key, table.rows[i], j)
    words = "fewer than 3 contributors"
    any_small = any(s.any_suppressed for s in outcomes.tables)
    assert (words in json.dumps(csv_text)) == any_small
