"""Small-number suppression for every aggregate that leaves the system (CSV, XLSX, printouts, the CLI).

The rule
--------
- **Primary**: a count from 1 to 4 is shown as ``"<5"``. Zero is shown: it
  identifies nobody.
- **Secondary**: a hidden count must not be recoverable by subtraction. A
  table declares which of its lines add up (a row ending in its row total, a
  column ending in its column total, the totals row and column themselves).
  In any such line (its parts and its total) where exactly one member is
  hidden, the arithmetic ``total - shown parts`` would give it away, so a
  second member of the line is hidden too: the smallest shown part that is
  not zero (a zero reveals nothing new), or, when every other part is zero
  or hidden, the line's total. A cell hidden for this reason is shown as
  ``"*"``: it may be any size. Hiding a cell can leave another line with one
  hidden member, so the pass repeats until no line has exactly one; it ends
  because each pass only hides more cells, and a table is finite.
- **Derived figures** (a percentage, a median) in a row are hidden (``"*"``)
  when any count in that row is hidden: a percentage of a shown base reveals
  its hidden numerator. Fixed figures (a target) are never hidden.

Ties between equally small candidates go to the first in reading order, so the
same table always hides the same cells. On screen a manager may see the
numbers unsuppressed; this module is applied only on the way out.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence

THRESHOLD = 5  # counts below this (and above zero) are hidden
PRIMARY_MARK = "<5"
SECONDARY_MARK = "*"
NOTE = ('Counts from 1 to 4 are shown as "<5"; "*" marks a figure hidden so that a count under 5 '
        "cannot be worked out from the totals.")


class Mark(str, enum.Enum):
    SHOWN = "shown"
    PRIMARY = "primary"      # 1 to 4
    SECONDARY = "secondary"  # hidden to protect a primary cell


def is_small(value: int | None) -> bool:
    return value is not None and 0 < value < THRESHOLD


def lines_of(n_rows: int, n_cols: int, *, row_totals: bool, col_totals: bool) -> list[list[tuple[int, int]]]:
    """The additive lines of a grid, each as its cells with the total last.

    With ``row_totals`` the last column holds each row's total; with
    ``col_totals`` the last row holds each column's total.
    """
    lines: list[list[tuple[int, int]]] = []
    if row_totals and n_cols >= 2:
        lines += [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    if col_totals and n_rows >= 2:
        lines += [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    return lines


def suppress_grid(values: Sequence[Sequence[int | None]], *, row_totals: bool = False,
                  col_totals: bool = False) -> list[list[Mark]]:
    """Primary and secondary suppression marks for a grid of counts (``None``: no count, never hidden)."""
    marks = [[Mark.PRIMARY if is_small(v) else Mark.SHOWN for v in row] for row in values]
    lines = lines_of(len(values), len(values[0]) if values else 0, row_totals=row_totals, col_totals=col_totals)
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if marks[cell[0]][cell[1]] != Mark.SHOWN]
            if len(hidden) != 1:
                continue
            parts, total = line[:-1], line[-1]
            candidates = [cell for cell in parts if marks[cell[0]][cell[1]] == Mark.SHOWN
                          and (values[cell[0]][cell[1]] or 0) > 0]
            if candidates:
                # min() keeps the first of equal values: reading order breaks ties.
                chosen = min(candidates, key=lambda cell: values[cell[0]][cell[1]])
            elif marks[total[0]][total[1]] == Mark.SHOWN:
                chosen = total
            else:
                continue  # only zeros left beside the hidden total: nothing to subtract
            marks[chosen[0]][chosen[1]] = Mark.SECONDARY
            changed = True
    return marks


def shown(value, mark: Mark):
    """What leaves the system for one cell: the value, ``"<5"`` or ``"*"``."""
    if mark == Mark.PRIMARY:
        return PRIMARY_MARK
    if mark == Mark.SECONDARY:
        return SECONDARY_MARK
    return value
