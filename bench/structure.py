"""The code's shape in a few figures, for before/after notes: `python -m bench.structure`.

- upward imports: a domain's rules (not its routes, api, pages or deps) importing a domain on
  a higher floor (floors as in tests/core/test_layers.py);
- the largest modules, in lines;
- route handlers over 15 lines, and handlers that call more than one app module (a service,
  a query module…): both should be rare once pages are assembled in pages.py;
- `except FormErrors` blocks in routes."""

import ast
import sys
from pathlib import Path

from tests.core.test_layers import FLOORS, _arrows, _domain, _is_front

APP = Path(__file__).parents[1] / "app"
VERBS = {"get", "post", "put", "patch", "delete"}


def upward() -> list[tuple[str, str]]:
    return sorted(
        (s, t)
        for s, t in _arrows()
        if _domain(s) in FLOORS
        and _domain(t) in FLOORS
        and not _is_front(s)
        and FLOORS.index(_domain(t)) > FLOORS.index(_domain(s))
    )


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names bound to app modules that hold rules (not core helpers, not templates)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if ".core" not in full and a.name not in ("deps",) and a.name[:1].islower():
                    names.add(a.asname or a.name)
    return names


def _reached(fn, modules: set[str], local: dict, seen: set[str]) -> set[str]:
    """App modules a function calls, itself or through this file's helpers."""
    out = set()
    for n in ast.walk(fn):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id in modules:
                out.add(f.value.id)
        elif isinstance(f, ast.Name) and f.id in local and f.id not in seen:
            seen.add(f.id)
            out |= _reached(local[f.id], modules, local, seen)
    return out


def handlers():
    for path in sorted(APP.rglob("*.py")):
        if not (path.stem.endswith("routes") or path.stem == "api"):
            continue
        tree = ast.parse(path.read_text())
        modules = _module_aliases(tree)
        local = {
            n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }

        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            routed = any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in VERBS
                for d in node.decorator_list
            )
            if not routed:
                continue
            called = _reached(node, modules, local, {node.name})
            lines = node.end_lineno - node.lineno + 1
            yield f"{path.relative_to(APP.parent)}:{node.name}", lines, called


def main() -> None:
    sizes = sorted(
        (
            (len(p.read_text().splitlines()), str(p.relative_to(APP.parent)))
            for p in APP.rglob("*.py")
        ),
        reverse=True,
    )
    found = list(handlers())
    catches = sum(p.read_text().count("except FormErrors") for p in APP.rglob("routes.py"))
    arrows = upward()
    print(f"upward imports (rules):          {len(arrows)}")
    for s, t in arrows:
        print(f"    {s} -> {t}")
    print(f"largest modules:                 {', '.join(f'{p} {n}' for n, p in sizes[:3])}")
    print(f"route handlers:                  {len(found)}")
    print(f"  over 15 lines:                 {sum(1 for _, n, _ in found if n > 15)}")
    print(f"  calling more than one module:  {sum(1 for _, _, c in found if len(c) > 1)}")
    print(f"'except FormErrors' in routes:   {catches}")
    if "-v" in sys.argv:
        for name, n, called in found:
            if n > 15 or len(called) > 1:
                print(f"    {name}: {n} lines, calls {', '.join(sorted(called))}")


if __name__ == "__main__":
    main()
