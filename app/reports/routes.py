"""Report pages: my reports (sellers), team outcomes (managers), and the team CSV."""

import csv
import io

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from app.auth.deps import MANAGERS, RECORDS, ManagerUser, RecordUser, SessionDep
from app.core.clock import user_today
from app.core.money import from_minor
from app.core.templating import localizer_for, render
from app.reports import charts, mine, team
from app.reports.periods import PERIODS, period_for

router = APIRouter(include_in_schema=False)
managers = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(managers, dependencies=MANAGERS)


@router.get("/reports")
def my_reports(request: Request, session: SessionDep, user: RecordUser, period: str = ""):
    loc = localizer_for(request)
    reports = mine.my_reports(session, user, period_for(period, user_today(user)), loc)
    main = reports.currencies[0]
    kinds = {"call": "Call", "meeting": "Meeting", "email": "Email", "note": "Note"}
    context = {
        "r": reports,
        "periods": PERIODS,
        "charts": charts,
        "kinds": list(kinds),
        # Charts in the main currency; the tables below them hold every currency.
        "pipeline_series": [
            (main, [float(from_minor(line.value.get(main, 0), main)) for line in reports.pipeline])
        ],
        "won_series": [
            (main, [float(from_minor(m.get(main, 0), main)) for m in reports.won_by_month.values()])
        ],
        "activity_series": [
            (loc.gettext(label), [reports.activities[w][kind] for w in reports.weeks])
            for kind, label in kinds.items()
        ],
    }
    return render(request, "reports/mine.html", context)


def _outcomes(request, session, user, period):
    loc = localizer_for(request)
    k = request.app.state.settings.min_group_size
    return team.team_outcomes(session, user, period_for(period, user_today(user)), k, loc)


@managers.get("/reports/team")
def team_outcomes(request: Request, session: SessionDep, user: ManagerUser, period: str = ""):
    outcomes = _outcomes(request, session, user, period)
    loc = localizer_for(request)
    context = {
        "o": outcomes,
        "periods": PERIODS,
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
        [loc.gettext("Table"), loc.gettext("Row"), loc.gettext("Column"), loc.gettext("Value")]
    )
    for row in team.csv_rows(outcomes, loc):
        writer.writerow(row)
    filename = f"carnet-team-{outcomes.period.code}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
