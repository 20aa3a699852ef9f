"""The vacancy board's filtered page reads its index in order on both databases.

A filter on lead gender, pets or features is a text match on a JSON list.
PostgreSQL needs statistics on those expressions (migration 0007) to know
how many units match; without them it guesses a handful, sorts every match
for the page and, at 50,000 units, a "women" page took 120 ms instead of 1.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select, text

from safehome.models import Unit
from safehome.services import SYSTEM, inventory
from tests.inventory_fixtures import *  # noqa: F401,F403

UNITS = 4000
# A realistic spread: most units take women, some men, a few anyone.
GENDERS = (["female"], ["female"], ["male"], ["female", "male", "other"])


@pytest.fixture
def many_units(db, add_site):
    site = add_site(area="Leicester")
    db.session.execute(insert(Unit), [
        {"site_id": site.id, "name": f"Flat {i:05d}", "type": "refuge", "bedspaces": 2,
         "lead_genders": GENDERS[i % len(GENDERS)], "pets": ["cat"] if i % 5 == 0 else [],
         "features": ["step_free"] if i % 3 == 0 else [], "status": "available",
         "site_area": site.area, "site_name": site.name, "provider_name": site.provider.name}
        for i in range(UNITS)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return UNITS * 3 // 4  # units that take women


def _page_statement(db, filters):
    """The statement that reads the board's page (the one with a LIMIT), with its parameters."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        board = inventory.vacancy_board(db.session, SYSTEM, filters)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    pages = [(s, p) for s, p in seen if "LIMIT" in s]
    assert len(pages) == 1, seen
    return board, pages[0]


@pytest.mark.parametrize("filters", [inventory.BoardFilters(lead_gender="female"),
                                     inventory.BoardFilters(pets=("cat",)),
                                     inventory.BoardFilters(features=("step_free",))],
                         ids=["women", "cats", "step-free"])
def test_a_filtered_board_page_walks_the_board_index(db, many_units, filters):
    board, (statement, parameters) = _page_statement(db, filters)
    assert len(board.units.items) == 50
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
        assert "ix_units_board_now" in plan, plan
        assert "Sort" not in plan, plan
    else:
        plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                       parameters))
        assert "ix_units_board_now" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_postgresql_knows_how_many_units_a_list_filter_matches(db, many_units):
    """The estimate the planner makes for the board's text match is close to the truth (on SQLite there is
    no such estimate: its plan is by index, checked above)."""
    match = inventory._json_list_has(Unit.lead_genders, "female")
    actual = db.session.scalar(select(text("count(*)")).select_from(Unit).where(match))
    assert actual == many_units
    if db.engine.dialect.name != "postgresql":
        return
    query = select(Unit.id).where(match).compile(db.engine)
    plan = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(query), query.params).scalar()
    estimated = plan[0]["Plan"]["Plan Rows"]
    assert actual / 2 <= estimated <= actual * 2, (estimated, actual)
