"""The charts of my reports and of team outcomes, drawn from exactly what their tables show.

Team charts read the suppressed tables, never the raw figures: a suppressed cell is a gap
with its "fewer than K" note, so a chart cannot show what its table hides (R4)."""

from datetime import date

from markupsafe import Markup

from app.core.i18n import N_
from app.core.money import from_minor
from app.reports.charts import Series, bar_chart, money_text, number_text
from app.reports.mine import MyReports
from app.reports.periods import month_label
from app.reports.tables import ShownTable
from app.reports.team import row_texts

NO_WIN = N_("No deal won in this period yet.")
NO_PIPELINE = N_("No open deal yet.")
NO_ACTIVITY = N_("No activity in this period yet.")
NO_ANSWER = N_("No answer in this period yet.")
ACTIVITY_KINDS = {
    "call": N_("Call"),
    "meeting": N_("Meeting"),
    "email": N_("Email"),
    "note": N_("Note"),
}


def _money_axis(currencies: list[str], language: str):
    if len(currencies) == 1:
        return lambda v: money_text(v, currencies[0], language)
    return lambda v: number_text(v, language)


def _money_series(currency: str, minors: list[int | None], language: str) -> Series:
    values = [float(from_minor(m, currency)) if m else None for m in minors]
    texts = [money_text(v, currency, language) if v else "" for v in values]
    return Series(currency, values, texts)


def _money_chart(labels, per_currency: dict[str, list[int | None]], empty: str, loc) -> Markup:
    # A currency with nothing in this chart gets no bars and no legend entry.
    shown = {c: v for c, v in per_currency.items() if any(v)} or per_currency
    series = [_money_series(c, v, loc.language) for c, v in shown.items()]
    axis = _money_axis(list(shown), loc.language)
    return bar_chart(labels, series, empty=loc.gettext(empty), axis_text=axis)


def my_charts(r: MyReports, loc) -> dict[str, Markup]:
    pipeline = _money_chart(
        [line.label for line in r.pipeline],
        {c: [line.value.get(c, 0) for line in r.pipeline] for c in r.currencies},
        NO_PIPELINE,
        loc,
    )
    won = _money_chart(
        [month_label(m, loc.language) for m in r.won_by_month],
        {c: [v.get(c, 0) for v in r.won_by_month.values()] for c in r.currencies},
        NO_WIN,
        loc,
    )
    totals = [sum(r.activities[w].values()) for w in r.weeks]
    kinds = [
        Series(
            loc.gettext(label),
            [float(r.activities[w][kind]) for w in r.weeks],
            [str(t) if t else "" for t in totals] if i == 0 else [""] * len(r.weeks),
        )
        for i, (kind, label) in enumerate(ACTIVITY_KINDS.items())
    ]
    activities = bar_chart(
        [week_label(w, loc) for w in r.weeks],
        kinds,
        empty=loc.gettext(NO_ACTIVITY),
        axis_text=lambda v: number_text(v, loc.language),
        stacked=True,
    )
    return {"pipeline": pipeline, "won": won, "activities": activities}


def week_label(week: str, loc) -> str:
    return loc.date(date.fromisoformat(week), "d MMM y")


def row_labels(shown: ShownTable, loc) -> list[str]:
    return row_texts(shown.table, loc)


def _shown_series(shown: ShownTable, j: int, name: str, texts, scale, k: int, loc) -> Series:
    values, gaps = [], {}
    for i, row in enumerate(shown.cells):
        cell = row[j]
        if cell.suppressed:
            gaps[i] = loc.gettext("fewer than %(k)s contributors", k=k)
        elif cell.hidden:
            gaps[i] = loc.gettext("hidden")
        values.append(scale(cell.value) if cell.visible and cell.value else None)
    return Series(name, values, [texts(v) if v else "" for v in values], gaps)


def team_charts(tables: list[ShownTable], k: int, loc) -> dict[str, Markup]:
    """Revenue by month, pipeline by stage (amounts), satisfaction by quarter."""
    language = loc.language
    by_key = {t.table.key: t for t in tables}
    out = {}
    for key, empty in (("revenue", NO_WIN), ("pipeline", NO_PIPELINE)):
        shown = by_key.get(key)
        if shown is None:
            continue
        series = []
        for j, column in enumerate(shown.table.columns):
            if not column.unit:
                continue
            c = column.unit
            series.append(
                _shown_series(
                    shown,
                    j,
                    c,
                    lambda v, c=c: money_text(v, c, language),
                    lambda m, c=c: float(from_minor(int(m), c)),
                    k,
                    loc,
                )
            )
        if len(series) > 1:
            # A currency with nothing at all (no bar, no gap) stays out of the legend.
            series = [s for s in series if any(s.values) or s.gaps] or series
        out[key] = bar_chart(
            row_labels(shown, loc),
            series,
            empty=loc.gettext(empty),
            axis_text=_money_axis([s.name for s in series], language),
        )
    csat = by_key.get("csat")
    if csat is not None:
        series = _shown_series(
            csat,
            1,
            "CSAT",
            lambda v: number_text(round(v, 1), language),
            float,
            k,
            loc,
        )
        out["csat"] = bar_chart(
            row_labels(csat, loc),
            [series],
            empty=loc.gettext(NO_ANSWER),
            axis_text=lambda v: number_text(v, language),
            top=5,
        )
    return out
