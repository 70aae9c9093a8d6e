"""The house plan, checked on every run: who may import whom (README, "Code map").

Floors, from the ground up: core, then the domains in FLOORS order. A domain's rules (models,
service, queries…) import only core and the domains below it; its front (routes, api, pages,
deps) may gather any domain's rules, never another domain's front. The few arrows that run
back up are listed in UPWARD with the reason each is there."""

import ast
from pathlib import Path

APP = Path(__file__).parents[2] / "app"
FLOORS = [
    "core",
    "auth",
    "audit",
    "customers",
    "documents",
    "deals",
    "activities",
    "records",
    "satisfaction",
    "reports",
    "interop",
]
# The app's shell: it assembles everything, nothing imports it but itself.
SHELL = {"main", "background", "cli", "demo", "models"}
FRONT = {"routes", "api", "pages", "deps"}
UPWARD = {
    # A document hangs on any record: it checks the parent's visibility (R2) on the parent's
    # own table. Models only, no behaviour.
    ("app.documents.service", "app.activities.models"),
    ("app.documents.service", "app.deals.models"),
    # A deal that is won prepares a survey when the admin turned that on.
    ("app.deals.service", "app.satisfaction.service"),
    # A timeline page shows, under each email activity, the mail behind it (sent or not,
    # which document versions it carried): one read of the mail table per page.
    ("app.records.feeds", "app.interop.mail.on_records"),
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """Every app module a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("app."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not (node.module + ".").startswith("app."):
                continue
            if node.module == "app" or node.module.count(".") == 1:
                yield from (f"{node.module}.{a.name}" for a in node.names)
            else:
                yield node.module


def _arrows():
    for path in sorted(APP.rglob("*.py")):
        source = _module(path)
        for target in _imports(path):
            yield source, target


def _domain(module: str) -> str:
    return module.split(".")[1]


def _is_front(module: str) -> bool:
    return any(part in FRONT for part in module.split(".")[2:])


def test_every_module_is_on_a_known_floor():
    unknown = {_domain(s) for s, _ in _arrows()} - set(FLOORS) - SHELL
    assert not unknown, f"add these folders to FLOORS or SHELL: {sorted(unknown)}"


def test_the_ground_floor_imports_no_domain():
    wrong = [(s, t) for s, t in _arrows() if _domain(s) == "core" and _domain(t) != "core"]
    assert not wrong


def test_nothing_imports_the_shell_but_the_shell():
    wrong = [
        (s, t)
        for s, t in _arrows()
        if _domain(t) in SHELL and _domain(s) not in SHELL and t != "app.models"
    ]
    assert not wrong


def test_no_domain_reaches_into_another_domains_front():
    wrong = [
        (s, t)
        for s, t in _arrows()
        if _domain(s) in FLOORS
        and _domain(t) in FLOORS
        and _domain(s) != _domain(t) != "core"
        and _is_front(t)
        and not t.endswith(".deps")
    ]
    assert not wrong


def test_rules_import_only_downward_but_for_the_listed_arrows():
    upward = {
        (s, t)
        for s, t in _arrows()
        if _domain(s) in FLOORS
        and _domain(t) in FLOORS
        and not _is_front(s)
        and FLOORS.index(_domain(t)) > FLOORS.index(_domain(s))
    }
    assert upward == UPWARD, "explain a new upward arrow in UPWARD and the README's Code map"
