"""What each role sees first: a few counts and links, scoped to what the role may see."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safehome.codes import CaseStatus, Risk, Role, UnitStatus
from safehome.models import Household, Site, Unit, User


@dataclass(frozen=True)
class Panel:
    title: str
    value: int | str
    endpoint: str | None = None  # where the figure opens, if the role may go there
    note: str = ""


# Each role's panels are built by one function; new areas add theirs here.
PANEL_BUILDERS: dict[Role, list] = {}


def panel(*roles: Role):
    def register(builder):
        for role in roles:
            PANEL_BUILDERS.setdefault(role, []).append(builder)
        return builder
    return register


def panels_for(session: Session, user: User) -> list[Panel]:
    """The dashboard panels for this user's role."""
    result: list[Panel] = []
    for builder in PANEL_BUILDERS.get(user.role, []):
        result.extend(builder(session, user))
    return result


@panel(Role.HOUSING_WORKER, Role.MANAGER)
def _caseload(session: Session, user: User) -> list[Panel]:
    open_cases = select(func.count()).select_from(Household).where(Household.status == CaseStatus.OPEN)
    high = open_cases.where(Household.risk == Risk.HIGH)
    return [Panel("Open cases", session.scalar(open_cases) or 0, "households.index"),
            Panel("High-risk open cases", session.scalar(high) or 0, "households.index")]


@panel(Role.HOUSING_WORKER, Role.MANAGER)
def _vacancies(session: Session, user: User) -> list[Panel]:
    free = select(func.count()).select_from(Unit).where(Unit.status == UnitStatus.AVAILABLE, Unit.retired_at.is_(None))
    return [Panel("Units available now", session.scalar(free) or 0, "units.vacancies")]


@panel(Role.PROVIDER)
def _own_units(session: Session, user: User) -> list[Panel]:
    query = (select(Unit.status, func.count()).join(Site).where(Site.provider_id == user.provider_id,
                                                               Unit.retired_at.is_(None)).group_by(Unit.status))
    counts = {status: n for status, n in session.execute(query)}
    return [Panel(f"Your units: {status.label.lower()}", counts.get(status, 0), "units.index")
            for status in UnitStatus]


@panel(Role.ADMIN)
def _people(session: Session, user: User) -> list[Panel]:
    active = session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
    return [Panel("Active users", active, "admin.users_index")]
