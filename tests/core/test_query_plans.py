"""Every query behind the pages a seller opens all day, and behind team outcomes, is read by
the engine's own planner: none may read a large table from end to end (issue 14).

SQLite: EXPLAIN QUERY PLAN must not say `SCAN <table>` without an index, nor sort (temp
b-tree) rows it found by walking a whole index. PostgreSQL: with sequential scans priced out
(`enable_seqscan = off`), a plan that still holds a Seq Scan on a large table has no index
to use — with a few test rows the planner would otherwise rightly prefer scanning, and the
test could not tell; and a Sort above a large table's scan that no `column = value`
narrows (only `archived_at IS NULL`, say) sorts every live row to show a page."""

import json
import re

import pytest
from sqlalchemy import event

LARGE = {
    "contact",
    "organization",
    "activity",
    "follow_up",
    "deal",
    "deal_contact",
    "document",
    "audit_entry",
    "survey_response",
}


@pytest.fixture
def statements(engine):
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def _large(name: str) -> bool:
    return re.sub(r"_\d+$", "", name) in LARGE


# A walk that reads at most a window of rows in name order (quick entry) costs its LIMIT.
BOUNDED_WALK = re.compile(
    r"ORDER BY [\w.]+sort_key, [\w.]+id\s+LIMIT \?(?: OFFSET \?)?\) AS window"
)


def _sqlite_scans(connection, sql, params) -> list[str]:
    details = [r[-1] for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    found = []
    for detail in details:
        plain = re.fullmatch(r"SCAN (\w+)(?: AS \w+)?", detail)
        if plain and _large(plain.group(1)):
            found.append(detail)
    # Walking every live row through an index led by archived_at, to filter them by
    # something else (an organization, a search word), is a scan too.
    filtered = " LIKE " in sql.upper() or re.search(r"\w+\.organization_id = ", sql)
    for detail in details:
        live = re.fullmatch(
            r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(archived_at=\?\)", detail
        )
        if live and _large(live.group(1)) and filtered and not BOUNDED_WALK.search(sql):
            found.append(f"walks every live row: {detail}")
    walked = [d for d in details if (m := re.match(r"SCAN (\w+)", d)) and _large(m.group(1))]
    if walked and any(d.startswith("USE TEMP B-TREE FOR ORDER BY") for d in details):
        found.append(f"sorts every row of: {walked}")
    return found


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _narrowed(node) -> bool:
    """An index condition that picks few rows: `column = value`, a pattern (trigrams) or
    words (full text: a whole phone number)."""
    if "@@" in node.get("Filter", ""):
        # Full-text words: with a few test rows the planner filters a walk instead of asking
        # the GIN index (ix_contact_words, migration 0010) its real statistics would choose.
        return True
    return bool(re.search(r"\w+\)? = |~~|@@", node.get("Index Cond", "")))


def _postgres_plan(connection, sql, params, *off: str):
    for setting in off:
        connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    try:
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).scalar()
    finally:
        for setting in off:
            connection.exec_driver_sql(f"SET LOCAL {setting} = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]


def _postgres_scans(connection, sql, params) -> list[str]:
    plan = _postgres_plan(connection, sql, params, "enable_seqscan")
    found = [
        f"Seq Scan on {n['Relation Name']}"
        for n in _nodes(plan)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in LARGE
    ]
    patterned = [
        n["Relation Name"]
        for n in _nodes(plan)
        if n.get("Relation Name") in LARGE and "~~" in n.get("Filter", "") and not _narrowed(n)
    ]
    for relation in patterned:
        # A few test rows make walking and filtering look cheapest to the planner; what
        # matters is that a trigram index exists for its real statistics to choose.
        trigrams = connection.exec_driver_sql(
            "SELECT 1 FROM pg_indexes WHERE tablename = %(t)s AND indexdef LIKE %(d)s",
            {"t": relation, "d": "%gin_trgm_ops%"},
        ).first()
        if trigrams is None:
            found.append(f"filters every row of {relation} by a pattern")
    for sort in (n for n in _nodes(plan) if n["Node Type"] == "Sort"):
        scans = list(_nodes(sort))
        if any(_narrowed(n) for n in scans):
            continue  # sorting what an index found for one owner, one record, one pattern
        for scan in scans:
            if scan.get("Relation Name") in LARGE:
                found.append(f"sorts every row of {scan['Relation Name']}")
    return found


def full_scans(connection, statements) -> dict[str, list[str]]:
    scans = _sqlite_scans if connection.dialect.name == "sqlite" else _postgres_scans
    found = {}
    for sql, params in statements:
        hits = scans(connection, sql, params)
        if hits:
            found[" ".join(sql.split())[:160]] = hits
    return found


@pytest.fixture
def busy_seller(session, seller, other_seller, make_org, make_contact, make_activity, make_deal):
    org = make_org("Boulangerie Dupont", tags="retail")
    for n in range(12):
        contact = make_contact(f"Hélène Durand {n}", organization_id=org.id, email=f"h{n}@d.test")
        make_activity(
            seller, contact, text=f"Called {n}", next_step="Call back", next_step_due="+1d"
        )
        make_deal(f"Ovens {n}", owner=seller, contact_id=contact.id)
    return org


SEARCHES = ["/contacts?q=hel", "/contacts?q=h3%40d.test", "/contacts?q=%2B33%206%2012"]
# Quick entry as typed: a common word, two words, digits, inner letters, a word no one has.
LOOKUPS = [f"/quick/contacts?contact_query={q}" for q in ("hel", "hel du", "0612", "ura", "zzq")]


@pytest.mark.parametrize(
    "page",
    [
        "/today",
        "/contacts",
        *SEARCHES,
        *LOOKUPS,
        "/organizations",
        "/organizations/{org}",
        "/deals/board",
        "/reports",
    ],
)
def test_a_sellers_page_reads_no_large_table_end_to_end(
    page, client_for, seller, busy_seller, connection, statements, request
):
    client = client_for(seller)
    statements.clear()
    r = client.get(page.format(org=busy_seller.id))
    assert r.status_code == 200
    assert statements
    assert full_scans(connection, list(statements)) == {}


def test_team_outcomes_read_no_large_table_end_to_end(
    client_for, manager, busy_seller, connection, statements
):
    client = client_for(manager)
    statements.clear()
    assert client.get("/reports/team").status_code == 200
    assert full_scans(connection, list(statements)) == {}
