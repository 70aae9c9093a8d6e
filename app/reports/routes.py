"""Report pages: my reports (sellers), team outcomes (managers), and the team CSV."""

import csv
import io

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from app.auth.deps import MANAGERS, RECORDS, ManagerUser, RecordUser, SessionDep
from app.core.clock import user_today
from app.core.templating import localizer_for, render
from app.core.text import spreadsheet_safe
from app.reports import figures, mine, team
from app.reports.periods import PERIODS, month_label, period_for, quarter_label

router = APIRouter(include_in_schema=False)
managers = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(managers, dependencies=MANAGERS)


@router.get("/reports")
def my_reports(request: Request, session: SessionDep, user: RecordUser, period: str = ""):
    loc = localizer_for(request)
    reports = mine.my_reports(session, user, period_for(period, user_today(user)), loc)
    context = {
        "r": reports,
        "periods": PERIODS,
        "charts": figures.my_charts(reports, loc),
        "kinds": figures.ACTIVITY_KINDS,
        "month_label": lambda m: month_label(m, loc.language),
        "week_label": lambda w: figures.week_label(w, loc),
    }
    return render(request, "reports/mine.html", context)


def _outcomes(request, session, user, period):
    loc = localizer_for(request)
    settings = request.app.state.settings
    return team.team_outcomes(session, user, period, user_today(user), settings, loc)


@managers.get("/reports/team")
def team_outcomes(request: Request, session: SessionDep, user: ManagerUser, period: str = ""):
    outcomes = _outcomes(request, session, user, period)
    loc = localizer_for(request)
    context = {
        "o": outcomes,
        "periods": PERIODS,
        "charts": figures.team_charts(outcomes.tables, outcomes.k, loc),
        "row_labels": lambda shown: figures.row_labels(shown, loc),
        "quarter_label": lambda q: quarter_label(q, loc.language),
        "cell_text": lambda shown, column: team.shown_text(shown, column, loc, outcomes.k),
    }
    return render(request, "reports/team.html", context)


@managers.get("/reports/team.csv")
def team_outcomes_csv(request: Request, session: SessionDep, user: ManagerUser, period: str = ""):
    """The same tables, the same suppression: a suppressed cell is words, never a number."""
    outcomes = _outcomes(request, session, user, period)
    loc = localizer_for(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            loc.gettext("Table"),
            loc.gettext("Row"),
            loc.gettext("Column"),
            loc.gettext("Value"),
            loc.gettext("Key"),
        ]
    )
    for row in team.csv_rows(outcomes, loc):
        # Tag names are typed by sellers: never a formula in the manager's spreadsheet.
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    filename = f"carnet-team-{outcomes.period.code}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
