"""Small helpers for tests (not fixtures)."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, *, page: str | None = None, follow: bool = False):
    """POST a form with the CSRF token taken from ``page`` (default: the same URL)."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(html)}, follow_redirects=follow)


@contextmanager
def counting(engine):
    """The SQL statements ``engine`` executes inside the block, in order."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
