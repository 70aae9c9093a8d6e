"""The API as a stranger's tool sees it: Schemathesis generates requests from the published
description and sends them to a real `carnet serve` with a seller's token and a manager's.
No 5xx, no status code or body the description does not list, methods announced right.

Bounded (20 examples per operation for the seller, a fixed seed) so it fits the suite;
the counts go to test-artifacts/schemathesis-<role>.txt."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from app.activities.models import ActivityCreate
from app.activities.service import log_activity
from app.auth.service import create_api_token, create_user
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization
from app.deals.models import DealCreate
from app.deals.service import create_deal
from tests.trials.conftest import PASSWORD, ROOT, engine_of, serving

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "allow_header_conformance",
        "unsupported_method",
        "ignored_auth",
    ]
)
ARTIFACTS = ROOT / "test-artifacts"


def _tokens(env) -> dict[str, str]:
    """A seller with a few records (so ids in paths lead somewhere), and a manager."""
    engine = engine_of(env)
    with Session(engine, expire_on_commit=False) as session:
        seller = create_user(session, email="s@example.test", name="S", password=PASSWORD)
        manager = create_user(
            session,
            email="m@example.test",
            name="M",
            password=PASSWORD,
            is_seller=False,
            is_manager=True,
        )
        org = create_organization(session, seller, OrganizationCreate(name="Boulangerie"))
        contact = create_contact(
            session, seller, ContactCreate(name="Hélène Durand", organization_id=org.id)
        )
        create_deal(session, seller, DealCreate(title="Ovens", contact_id=contact.id), "EUR")
        log_activity(
            session,
            seller,
            ActivityCreate(
                contact_id=contact.id, text="Called", next_step="Call back", next_step_due="+3d"
            ),
        )
        tokens = {
            "seller": create_api_token(session, seller, "fuzz")[1],
            "manager": create_api_token(session, manager, "fuzz")[1],
        }
    engine.dispose()
    return tokens


# The seller reaches every operation; the manager mostly meets 403s, so fewer examples.
@pytest.mark.parametrize(("role", "examples"), [("seller", 20), ("manager", 5)])
def test_generated_requests_get_no_server_error_and_only_documented_answers(
    sqlite_env, tmp_path, role, examples
):
    token = _tokens(sqlite_env)[role]
    report = tmp_path / "report.json"
    with serving(sqlite_env, tmp_path) as (server,):
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.url}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                str(examples),
                "--seed",
                "1",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    found = json.loads(report.read_text())
    cases = found["test_cases"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"schemathesis-{role}.txt").write_text(
        f"{found['operations']['tested']} operations, {cases['generated']} requests, "
        f"{cases['with_failures']} with failures, {len(found['errors'])} errors\n\n"
        + run.stdout[-20000:]
    )
    assert found["operations"]["tested"] >= 25, found["operations"]
    assert cases["generated"] >= 500, cases
    assert cases["with_failures"] == 0 and found["errors"] == [], run.stdout[-6000:]
