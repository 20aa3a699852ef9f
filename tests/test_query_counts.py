"""No page runs more SQL statements as the data grows (no N+1), and none runs many.

The demo world at scale 1 is loaded and every main page is fetched as the role
that uses it, counting the statements the engine executes for the request.
Then a second demo world three times the size (its own users, providers and
references) is loaded on top and the same pages are fetched again: each count
must be the same. A list that is a full page at both sizes would hide an N+1
from that comparison, so each count must also stay under ``MAX_STATEMENTS``.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from safehome.codes import CaseStatus
from safehome.extensions import db as _db
from safehome.models import Household, Unit, User
from safehome.services import SYSTEM, demo, placements
from safehome.services.reports import REPORTS
from safehome.services.reports_base import Quarter
from tests.conftest import PASSWORD
from tests.helpers import counting

# A page needs its user, its records, a count or two and the navigation's badges; 60 rows each
# loading a relation would pass this many.
MAX_STATEMENTS = 40

# (role's demo login, page). {case}, {unit}, {year}, {quarter} and {report} are filled from the first world.
PAGES = [
    ("worker", "/dashboard"),
    ("options", "/dashboard"),
    ("manager", "/dashboard"),
    ("perpetrator", "/dashboard"),
    ("provider", "/dashboard"),
    ("admin", "/dashboard"),
    ("worker", "/households/"),
    ("worker", "/households/history"),
    ("worker", "/households/{case}"),
    ("worker", "/units/vacancies"),
    ("worker", "/units/vacancies?type=refuge&lead_gender=female"),
    ("worker", "/units/"),
    ("provider", "/units/"),
    ("worker", "/units/{unit}"),
    ("worker", "/households/{case}/suggestions"),
    ("worker", "/households/{case}/placements"),
    ("worker", "/placements/work"),
    ("manager", "/matching/batch"),
    ("manager", "/reports/"),
    ("manager", "/reports/{report}/{year}/{quarter}"),
    ("options", "/housing-options/"),
    ("perpetrator", "/perpetrator/requests"),
    ("manager", "/perpetrator/queue"),
    ("worker", "/move-on/"),
    ("worker", "/sanctuary/"),
]


def page_counts(app, client, login, urls: dict[str, str], domain: str) -> dict[tuple[str, str], int]:
    """Sign in as each demo role in turn and count the statements of its pages."""
    counts = {}
    for role in dict.fromkeys(role for role, _page in PAGES):
        client.delete_cookie("session")  # signed out: the next sign-in starts a fresh session
        with app.app_context():
            user = _db.session.scalar(select(User).where(User.email == f"{role}@{domain}"))
        answer = login(user, PASSWORD)
        assert answer.status_code == 302, role
        for page_role, page in PAGES:
            if page_role != role:
                continue
            url = page.format(**urls)
            client.get(url)  # warm: first-use caches (the unit pool, templates) are not what is counted
            with counting(_db.engine) as statements:
                answer = client.get(url)
            assert answer.status_code == 200, (role, url, answer.status_code)
            counts[(role, page)] = len(statements)
    return counts


def test_no_page_runs_more_statements_as_the_data_grows(app, client, login, monkeypatch):
    with app.app_context():
        demo.load_demo(_db.session, SYSTEM, password=PASSWORD, scale=1)
        _db.session.commit()
        waiting = _db.session.scalars(placements.waiting_households().order_by(Household.id)).first()
        unit = _db.session.scalars(select(Unit).order_by(Unit.id)).first()
        assert waiting.status == CaseStatus.OPEN
    quarter = Quarter.current().previous()
    urls = {"case": waiting.id, "unit": unit.id, "year": quarter.year, "quarter": quarter.number,
            "report": next(iter(REPORTS))}
    domain = demo.DEMO_DOMAIN  # the same users sign in at both sizes
    small = page_counts(app, client, login, urls, domain)

    # A second, larger world beside the first: its own users, provider names and case references.
    monkeypatch.setattr(demo, "DEMO_DOMAIN", "more.safehome.test")
    monkeypatch.setattr(demo, "PROVIDERS", {key: (f"{name} (more)", domain)
                                            for key, (name, domain) in demo.PROVIDERS.items()})
    monkeypatch.setattr(demo.DemoWorld, "reference",
                        lambda world, year: f"MORE-{year}-{next(world.sequence):06d}")
    with app.app_context():
        result = demo.load_demo(_db.session, SYSTEM, password=PASSWORD, scale=3)
        assert result.loaded
        _db.session.commit()
    large = page_counts(app, client, login, urls, domain)

    grew = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert not grew, f"statements grew with the data (small, large): {grew}"
    many = {page: n for page, n in large.items() if n > MAX_STATEMENTS}
    assert not many, f"pages running more than {MAX_STATEMENTS} statements: {many}"


def test_the_counter_sees_an_n_plus_one(app):
    """The listener counts one statement per lazy load, so a loop over units would show."""
    with app.app_context():
        demo.load_demo(_db.session, SYSTEM, password=PASSWORD, scale=1)
        _db.session.commit()
        _db.session.expire_all()
        with counting(_db.engine) as statements:
            units = _db.session.scalars(select(Unit).limit(5)).all()
            sites = [unit.site.name for unit in units]
        assert len(sites) == 5
        assert len(statements) == 1 + len({unit.site_id for unit in units})
        assert all(re.match(r"\s*SELECT", s) for s in statements)
