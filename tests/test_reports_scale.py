"""The reports stay a fixed, small number of statements however many cases there are (200,000 at national scale)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from safehome.services import Actor, reports, reports_equality, reports_return
from safehome.services.reports_base import Quarter
from tests.reports_data import build_world

Q1 = Quarter(2026, 1)


@pytest.fixture
def statements(db):
    seen: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_each_report_is_a_few_statements(db, statements):
    build_world(db.session)
    statements.clear()
    report = reports_return.quarterly_return(db.session, Q1)
    assert len(statements) == 3  # the outputs, the other solutions by code, the outcomes
    assert report.table("outputs").rows[0].cells[0].value == 3
    statements.clear()
    equality = reports_equality.equality_report(db.session, Q1)
    assert len(statements) == 1  # every characteristic and group over the clients, found once
    assert equality.table("ethnicity").rows[-1].cells[0].value == 8


def test_the_dashboard_counts_five_quarters_a_statement_each(db, statements, make_user):
    build_world(db.session)
    manager = Actor(make_user("manager"))
    assert manager.user.role.value == "manager"  # loaded before counting
    statements.clear()
    board = reports.dashboard(db.session, manager, Q1)
    assert len(statements) == 8  # the return's three, and one for each of the trend's five quarters
    assert [row.cells[0].value for row in board.trend.rows][-2:] == [3, 3]
