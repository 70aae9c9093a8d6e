"""JSON API for my reports and for team outcomes, under the same rules as the pages."""

from dataclasses import asdict

from fastapi import APIRouter, FastAPI, Request

from app.auth.deps import ManagerUser, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX
from app.core.clock import user_today
from app.core.config import SettingsDep
from app.core.templating import localizer_for
from app.reports import mine, team
from app.reports.periods import period_for

router = APIRouter(prefix=API_PREFIX, tags=["reports"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=API_DOCS)


@router.get("/reports/mine")
def my_reports(request: Request, session: SessionDep, user: RecordUser, period: str = ""):
    """Your own figures (amounts in minor units per currency); nobody else can ask for them."""
    reports = mine.my_reports(
        session, user, period_for(period, user_today(user)), localizer_for(request)
    )
    data = asdict(reports)
    data["period"] = {
        "code": reports.period.code,
        "start": reports.period.start,
        "end": reports.period.end,
    }
    data["win_rate"] = reports.win_rate
    for line in data["conversions"]:
        line["rate"] = line["passed"] / line["reached"] if line["reached"] else None
    return data


@router.get("/reports/team")
def team_outcomes(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: ManagerUser,
    period: str = "",
):
    """Team tables over whole months. A cell of fewer than K sellers has `"value": null,
    "suppressed": true`; one where a seller dominates, or that would let a hidden figure be
    computed from this or any other period's tables, has `"value": null, "hidden": true`."""
    outcomes = team.team_outcomes(
        session, user, period, user_today(user), settings, localizer_for(request)
    )
    return team.as_json(outcomes, localizer_for(request))
