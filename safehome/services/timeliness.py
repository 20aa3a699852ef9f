"""Counting days in people's lives: due dates, days between dates, UK calendar days.

Every count here is ``date`` arithmetic. A day is a calendar day in
Europe/London, so a stay that crosses a clock change (a 23- or 25-hour day)
or 29 February counts each calendar day once, whatever the hours. A UTC
timestamp is turned into its London calendar day first (``uk_day``); naive
datetimes are refused rather than guessed at.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime

from safehome import UK_TIME


def uk_day(moment: datetime | date) -> date:
    """The calendar day in Europe/London of a timestamp (a ``date`` is returned as it is).

    23:30 UTC on 24 October 2026 is 00:30 on 25 October in London (still BST),
    so it is the 25th.
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: store timestamps in UTC")
        return moment.astimezone(UK_TIME).date()
    return moment


def today_uk(now: datetime | None = None) -> date:
    """Today's date in Europe/London (of ``now`` when given): the day people mean."""
    from safehome.models.base import utcnow

    return uk_day(now or utcnow())


def days_between(start: datetime | date, end: datetime | date) -> int:
    """Whole calendar days from ``start`` to ``end`` (London days; negative if ``end`` is earlier)."""
    return (uk_day(end) - uk_day(start)).days


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` calendar months later, kept inside the month.

    Rule: when the later month is shorter, the due date is that month's last
    day, never a day spilling into the month after: 31 January + 1 month is
    28 February (29 February in a leap year), 31 August + 3 months is
    30 November, 30 November 2027 + 3 months is 29 February 2028.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
