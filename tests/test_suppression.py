"""Small-number suppression on hand-built tables: primary (1-4 as "<5") and secondary (no recovery from totals)."""
from __future__ import annotations

from itertools import product

from safehome.services.reports_base import COUNT, PERCENT, TARGET, Cell, Row, Table, suppressed
from safehome.services.suppression import Mark, suppress_grid

P, S, _ = Mark.PRIMARY, Mark.SECONDARY, Mark.SHOWN


def test_primary_only_without_totals():
    assert suppress_grid([[0, 1, 4, 5, 120]]) == [[_, P, P, _, _]]


def test_a_lone_small_cell_in_a_row_with_its_total_takes_the_next_smallest_with_it():
    # 3 + 7 + 12 = 22: with only 3 hidden, 22 - 7 - 12 gives it back; 7 goes too.
    assert suppress_grid([[3, 7, 12, 22]], row_totals=True) == [[P, S, _, _]]


def test_zeros_are_not_chosen_and_the_total_goes_when_nothing_else_can():
    grid = [[3, 10, 13],
            [6, 0, 6],
            [9, 10, 19]]
    marks = suppress_grid(grid, row_totals=True, col_totals=True)
    # 3 is hidden; 6 goes with it (column 0), and in row 1 the only other part is 0, so its total 6 goes.
    assert marks[0][0] == P and marks[1][0] == S and marks[1][1] == _ and marks[1][2] == S
    assert not _recoverable(grid, marks)


def test_two_small_cells_in_a_line_protect_each_other():
    assert suppress_grid([[2, 3, 9, 14]], row_totals=True) == [[P, P, _, _]]


def test_a_small_total_and_its_small_part_protect_each_other():
    assert suppress_grid([[1], [1], [2]], col_totals=True) == [[P], [P], [P]]
    assert suppress_grid([[4], [0], [4]], col_totals=True) == [[P], [_], [P]]


def test_a_two_way_table_leaves_no_line_with_a_single_hidden_cell():
    grid = [[3, 10, 20, 33],
            [8, 15, 6, 29],
            [11, 25, 26, 62]]
    marks = suppress_grid(grid, row_totals=True, col_totals=True)
    assert marks[0][0] == P
    lines = [[(r, c) for c in range(4)] for r in range(3)] + [[(r, c) for r in range(3)] for c in range(4)]
    for line in lines:
        assert sum(marks[r][c] != _ for r, c in line) != 1
    # Secondary cells are the smallest available: 10 in row 0, 8 in column 0, then 15 to close the square.
    assert marks[0][1] == S and marks[1][0] == S and marks[1][1] == S


def _recoverable(grid, marks) -> set[tuple[int, int]]:
    """Cells an attacker can pin down exactly by subtracting shown cells along any single line."""
    found = set()
    n_rows, n_cols = len(grid), len(grid[0])
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + \
            [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    for line in lines:
        hidden = [cell for cell in line if marks[cell[0]][cell[1]] != _]
        if len(hidden) == 1:
            found.add(hidden[0])
    return found


def test_no_small_count_is_recoverable_in_any_small_table():
    # Every 2x2 table of counts 0-6, with row and column totals.
    for a, b, c, d in product(range(7), repeat=4):
        grid = [[a, b, a + b], [c, d, c + d], [a + c, b + d, a + b + c + d]]
        marks = suppress_grid(grid, row_totals=True, col_totals=True)
        assert not _recoverable(grid, marks), grid
        for r, c_ in product(range(3), range(3)):
            if 0 < grid[r][c_] < 5:
                assert marks[r][c_] == P


def test_a_table_leaving_the_system():
    table = Table("t", "Outcomes", "Outcome", ["Measured", "Achieved", "Percent", "Target"], [
        Row("Small", [Cell(10), Cell(3), Cell(30, PERCENT), Cell(75, TARGET)]),
        Row("Large", [Cell(40), Cell(30), Cell(75, PERCENT), Cell(None, TARGET)]),
    ])
    out = suppressed(table)
    assert [c.value for c in out.rows[0].cells] == [10, "<5", "*", 75]  # the percent would give 3 back
    assert [c.value for c in out.rows[1].cells] == [40, 30, 75, None]
    assert "<5" in out.note
    assert all(c.drill is None for row in out.rows for c in row.cells)


def test_totals_rows_in_report_tables_are_protected():
    table = Table("t", "Detail", "Detail", ["Count"],
                  [Row("a", [Cell(2, COUNT)]), Row("b", [Cell(9, COUNT)]), Row("Total", [Cell(11, COUNT)])],
                  col_totals=True)
    assert [row.cells[0].value for row in suppressed(table).rows] == ["<5", "*", 11]
