"""Query plans of the lists and filters that grow with the data (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN).

``show_plans(app, worker_email)`` calls the services behind the vacancy board
(unfiltered and with each kind of filter), the case list (unfiltered, open
cases, a reference search, "mine") and the waiting households, records every
statement they run, and prints each statement's plan. A line with ``SCAN``
(SQLite) or ``Seq Scan`` (PostgreSQL) on a large table is what an index should
have avoided; ``SEARCH ... USING INDEX`` is the good case.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select


@contextmanager
def recording(engine):
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def show_plans(app, worker_email: str) -> None:
    from safehome.extensions import db
    from safehome.models import User
    from safehome.services import Actor, households, inventory, placements

    with app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == worker_email))
        actor = Actor(user, "bench")
        area = next(iter(inventory.board_areas(session, actor)), None)
        calls = {
            "vacancy board": lambda: inventory.vacancy_board(session, actor, inventory.BoardFilters()),
            "vacancy board, refuges": lambda: inventory.vacancy_board(
                session, actor, inventory.BoardFilters(types=("refuge",))),
            "vacancy board, women": lambda: inventory.vacancy_board(
                session, actor, inventory.BoardFilters(lead_gender="female")),
            "vacancy board, one area, women": lambda: inventory.vacancy_board(
                session, actor, inventory.BoardFilters(area=area, lead_gender="female")),
            "vacancy board, page 20": lambda: inventory.vacancy_board(
                session, actor, inventory.BoardFilters(), page=20),
            "case list": lambda: households.list_cases(session, user),
            "case list, open cases": lambda: households.list_cases(session, user, status="open"),
            "case list, reference search": lambda: households.list_cases(session, user, reference="FVS-2026-00"),
            "case list, mine": lambda: households.list_cases(session, user, mine=True),
            "waiting households": lambda: session.scalars(
                placements.waiting_households().order_by(placements.Household.id).limit(50)).all(),
        }
        postgres = db.engine.dialect.name == "postgresql"
        for name, call in calls.items():
            with recording(db.engine) as statements:
                call()
            print(f"\n-- {name}: {len(statements)} statement(s)")
            connection = session.connection()
            for statement, parameters in statements:
                print("   " + " ".join(statement.split())[:160] + ("..." if len(statement) > 160 else ""))
                prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
                rows = connection.exec_driver_sql(prefix + statement, parameters).all()
                for plan in rows:
                    print("      " + (plan[0] if postgres else plan[-1]))
            session.rollback()
