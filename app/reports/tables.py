"""The shape of a team table: rows × columns of cells, each cell a sum (or an average)
over disclosure atoms, and what may be shown of it once `disclosure.decide` has spoken."""

from dataclasses import dataclass, field

from app.reports.disclosure import Parts


@dataclass(frozen=True)
class Cell:
    atoms: frozenset = frozenset()
    # Points per atom when the cell is an average (satisfaction), () for a plain sum.
    weights: tuple = ()
    scale: int = 1  # 100 for NPS, which is a percentage of points per answer

    def value(self, parts: Parts) -> float | int | None:
        counts = [(a, v) for a in self.atoms for v in parts.get(a, {}).values()]
        if not counts:
            return None
        total = sum(v for _a, v in counts)
        if not self.weights:
            return total
        if not total:
            return None
        weights = dict(self.weights)
        points = sum(weights.get(a, 0) * v for a, v in counts)
        return round(points / total, 2) if self.scale == 1 else round(100 * points / total)


@dataclass
class Column:
    key: str
    label: str  # message id
    unit: str = ""  # a currency code for amounts


@dataclass
class Table:
    key: str
    title: str
    row_label: str  # "Month", "Quarter", "Tag", "Stage": how rows read
    rows: list[str]
    columns: list[Column]
    cells: list[list[Cell]]
    totals: list[Cell | None] | None = None
    # (label, row indexes, one cell per column): whole quarters over months.
    subtotals: list[tuple[str, list[int], list[Cell | None]]] = field(default_factory=list)
    importance: int = 0  # which figures stay when some must go (see disclosure.decide)


@dataclass
class Shown:
    """What may be shown: the value, or None with `suppressed` (fewer than K sellers) or
    `hidden` (one seller dominates, or it would let a hidden figure be computed)."""

    value: float | int | None
    suppressed: bool = False
    hidden: bool = False

    @property
    def visible(self) -> bool:
        return not (self.suppressed or self.hidden)


@dataclass
class ShownTable:
    table: Table
    cells: list[list[Shown]]
    totals: list[Shown | None] | None
    subtotals: list[tuple[str, list[Shown | None]]]

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for row in self.cells for c in row)
