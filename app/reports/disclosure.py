"""Which team figures a manager may see (DESIGN.md R4), decided once over every figure
that any view (page, CSV, API; every selectable period) can publish.

Every figure is a sum over fixed atoms — one whole calendar month × one team-level value
(a stage, a tag combination, an answer band) — so the published figures are linear
equations over the atoms. A set of atoms is *unsafe* when it combines fewer than K
distinct sellers, or when one seller makes up more than `max_share` of it (dominance: a
colleague's few cents added to a one-seller cell must not uncover it).

Figures are offered in order of importance (totals first, detail last). An unsafe figure
is never published; a safe one is published unless, together with those already
published, it would let someone compute an unsafe atom, an unsafe figure of any view,
or the difference of two nested figures (another period, another table) — that is
complementary suppression, checked by linear algebra rather than by table-local rules.

The algebra runs modulo the prime 2**61 - 1 instead of over the rationals, which keeps it
fast in pure Python. It can only err by finding a combination mod p that does not exist
over the rationals (p dividing a determinant of small 0/±1 matrices), which hides more,
never less; the property tests check every decision again with exact fractions.
"""

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache

P = (1 << 61) - 1
FEW = "few"  # fewer than K sellers: said so
HIDDEN = "hidden"  # dominance or complementary suppression: no reason given
SHOWN = "shown"

Atom = Hashable
# Who contributed how much to each non-empty atom (an amount, or a number of answers).
Parts = dict[Atom, dict[int, int]]


@dataclass(frozen=True)
class Figure:
    key: Hashable
    atoms: frozenset
    # A weight per atom when the figure is not a plain sum (the points behind an average).
    weights: tuple = ()
    importance: int = 0  # published first when higher

    def vector(self, parts: Parts) -> dict[Atom, int]:
        weights = dict(self.weights)
        return {a: weights.get(a, 1) % P for a in self.atoms if a in parts and weights.get(a, 1)}


@dataclass
class Decision:
    verdicts: dict = field(default_factory=dict)

    def of(self, key) -> str:
        return self.verdicts.get(key, SHOWN)


def concern(atoms, parts: Parts, k: int, max_share: float) -> str | None:
    """FEW or HIDDEN when these atoms together would single someone out, else None."""
    sellers: dict[int, int] = defaultdict(int)
    for atom in atoms:
        for seller, value in parts.get(atom, {}).items():
            sellers[seller] += abs(value)
    if not sellers:
        return None
    if len(sellers) < k:
        return FEW
    total = sum(sellers.values())
    if total and max(sellers.values()) > max_share * total:
        return HIDDEN
    return None


def _sensitive(figures: list[Figure], parts: Parts, k: int, max_share: float) -> list[dict]:
    """Every combination that must stay out of reach, as vectors over the atoms: each
    unsafe atom, each unsafe figure (as a sum and with its weights), and each unsafe
    difference of two nested figures (a longer period less a shorter one, a total less
    a row)."""
    sets = {frozenset(a for a in f.atoms if a in parts) for f in figures} - {frozenset()}
    unions = set(sets) | {frozenset([a]) for a in parts}
    for big in sets:
        unions.update(big - small for small in sets if small < big)
    schemes = {frozenset(a for a in f.atoms if a in parts): f.weights for f in figures}
    vectors = []
    for atoms in unions:
        if concern(atoms, parts, k, max_share):
            for weights in {(), schemes.get(atoms, ())}:
                vector = Figure(None, atoms, weights).vector(parts)
                if vector:
                    vectors.append(vector)
    return vectors


def _minus(a: dict, factor: int, b: dict) -> dict:
    out = dict(a)
    for j, v in b.items():
        x = (out.get(j, 0) - factor * v) % P
        if x:
            out[j] = x
        else:
            out.pop(j, None)
    return out


def _components(figures: list[Figure]) -> list[list[Figure]]:
    """Figures that share no atom, directly or through others, are decided apart (the
    pipeline changes all day; the months that are over do not)."""
    owner: dict[Atom, int] = {}
    groups: dict[int, list[Figure]] = {}
    for figure in figures:
        joined = {owner[a] for a in figure.atoms if a in owner}
        target = min(joined) if joined else len(groups) + 1 + max(groups, default=0)
        group = groups.setdefault(target, [])
        for other in joined - {target}:
            moved = groups.pop(other)
            group.extend(moved)
            for f in moved:
                owner.update(dict.fromkeys(f.atoms, target))
        group.append(figure)
        owner.update(dict.fromkeys(figure.atoms, target))
    return list(groups.values())


def decide(figures: list[Figure], parts: Parts, k: int, max_share: float) -> Decision:
    decision = Decision()
    # Atoms with nothing in them are known zeros: they neither link figures nor need
    # hiding, and a figure made only of them is shown as "nothing".
    live = [
        Figure(f.key, frozenset(a for a in f.atoms if a in parts), f.weights, f.importance)
        for f in figures
    ]
    for group in _components([f for f in live if f.atoms]):
        atoms = {a for f in group for a in f.atoms if a in parts}
        local = tuple(sorted(((a, tuple(sorted(parts[a].items()))) for a in atoms), key=repr))
        decision.verdicts.update(_decide(tuple(group), local, k, max_share))
    return decision


@lru_cache(maxsize=256)
def _decide(figures: tuple[Figure, ...], parts_items: tuple, k: int, max_share: float) -> dict:
    """One group's verdicts, kept for as long as neither its figures nor its atoms change."""
    parts = {atom: dict(sellers) for atom, sellers in parts_items}
    verdicts = {}
    basis: list[tuple[Atom, dict]] = []  # (pivot atom, row reduced and scaled to 1 there)
    residuals = _sensitive(list(figures), parts, k, max_share)
    for figure in sorted(figures, key=lambda f: -f.importance):
        reason = concern(figure.atoms, parts, k, max_share)
        if reason:
            verdicts[figure.key] = reason
            continue
        # An average shown beside its count gives its points away: assume both are known.
        rows = [figure.vector(parts)]
        if figure.weights:
            rows.append(Figure(None, figure.atoms).vector(parts))
        added, reduced = [], residuals
        for row in rows:
            for pivot, base in basis + added:
                if row.get(pivot):
                    row = _minus(row, row[pivot], base)
            if not row:
                continue  # already known from what is published: it adds nothing
            pivot = min(row, key=repr)
            inverse = pow(row[pivot], P - 2, P)
            row = {j: v * inverse % P for j, v in row.items()}
            added.append((pivot, row))
            reduced = [_minus(r, r[pivot], row) if r.get(pivot) else r for r in reduced]
        if any(not r for r in reduced):
            verdicts[figure.key] = HIDDEN
            continue
        basis.extend(added)
        residuals = reduced
    return verdicts
