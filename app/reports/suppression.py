"""K-anonymous tables for managers (DESIGN.md R4).

A cell that combines fewer than K distinct sellers is suppressed: it is shown as
"fewer than K contributors", never as a number. A margin (a column total, a subtotal,
a value derived from a whole row) is hidden whenever it covers a suppressed cell, so
no suppressed value can be recovered by subtraction: every quantity left visible is
made of visible cells only.
"""

from dataclasses import dataclass, field


@dataclass
class Cell:
    value: float | int | None = None  # None: nothing to show (no data)
    contributors: int = 0  # distinct sellers whose records make up the value


@dataclass
class Column:
    key: str
    label: str  # message id
    unit: str = ""  # a currency code, "%", "days"… for formatting
    # Derived from the whole row (an average, a row total): hidden when any of the row's
    # plain cells is suppressed, since it would give that cell away.
    row_derived: bool = False


@dataclass
class Table:
    key: str
    title: str
    row_label: str
    rows: list[str]
    columns: list[Column]
    cells: list[list[Cell]]
    # One cell per column combining every row (None where a total means nothing).
    totals: list[Cell | None] | None = None
    # (label, row indexes, one cell per column): e.g. quarters over months.
    subtotals: list[tuple[str, list[int], list[Cell | None]]] = field(default_factory=list)
    # A row whose parts add up to a figure shown elsewhere (a distribution of answers whose
    # count is shown in another table): one small part hides the whole row, so the
    # others cannot be subtracted from that figure.
    whole_rows: bool = False


@dataclass
class Shown:
    """What may be shown: the value, or None with `suppressed` (fewer than K) or `hidden`
    (a margin that would reveal a suppressed cell)."""

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


def _too_few(cell: Cell, k: int) -> bool:
    return 0 < cell.contributors < k


def suppress(table: Table, k: int) -> ShownTable:
    k = max(3, k)
    plain = [j for j, c in enumerate(table.columns) if not c.row_derived]
    suppressed = [[_too_few(cell, k) for cell in row] for row in table.cells]
    row_has = [any(s[j] for j in plain) for s in suppressed]
    cells = []
    for i, row in enumerate(table.cells):
        shown_row = []
        for j, cell in enumerate(row):
            if table.columns[j].row_derived and (row_has[i] or _too_few(cell, k)):
                shown_row.append(Shown(None, suppressed=suppressed[i][j], hidden=True))
            elif suppressed[i][j]:
                shown_row.append(Shown(None, suppressed=True))
            elif table.whole_rows and row_has[i]:
                shown_row.append(Shown(None, hidden=True))
            else:
                shown_row.append(Shown(cell.value))
        cells.append(shown_row)

    def margin(cell: Cell | None, rows: list[int], j: int) -> Shown | None:
        if cell is None:
            return None
        columns = plain if table.columns[j].row_derived else [j]
        # Hidden cells count too: subtracting the visible ones from a margin would give
        # them back, and with them what they were hidden to protect.
        covers = any(not cells[i][c].visible for i in rows for c in columns)
        if covers or _too_few(cell, k):
            return Shown(None, hidden=True)
        return Shown(cell.value)

    every = list(range(len(table.rows)))
    totals = (
        [margin(cell, every, j) for j, cell in enumerate(table.totals)]
        if table.totals is not None
        else None
    )
    subtotals = [
        (label, [margin(cell, rows, j) for j, cell in enumerate(group)])
        for label, rows, group in table.subtotals
    ]
    return ShownTable(table, cells, totals, subtotals)
