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
    items: tuple[str, ...] = ()  # an alert's list: each thing that needs putting right


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


@panel(Role.MANAGER, Role.ADMIN)
def _segregation_breaches(session: Session, user: User) -> list[Panel]:
    """Perpetrator accommodation too near victim accommodation, listed until it is put right (first, when any).

    By site and provider names only: no address, point or distance.
    """
    from safehome.services import segregation

    found = segregation.breaches(session)
    if not found:
        return []
    return [Panel(f"Perpetrator sites {segregation.breach_reason()}", len(found),
                  note="Their units are never suggested or offered. Move or retire them.",
                  items=tuple(f"{b.site}: {b.units} live perpetrator unit{'s' if b.units != 1 else ''}"
                              f"{f' ({b.in_use} offered or occupied)' if b.in_use else ''}, "
                              f"too near {'; '.join(b.near)}" for b in found))]


@panel(Role.HOUSING_WORKER, Role.MANAGER)
def _caseload(session: Session, user: User) -> list[Panel]:
    open_cases = select(func.count()).select_from(Household).where(Household.status == CaseStatus.OPEN)
    high = open_cases.where(Household.risk == Risk.HIGH)
    counts = session.execute(select(open_cases.scalar_subquery(), high.scalar_subquery())).one()
    return [Panel("Open cases", counts[0] or 0, "households.index"),
            Panel("High-risk open cases", counts[1] or 0, "households.index")]


@panel(Role.HOUSING_WORKER)
def _my_cases(session: Session, user: User) -> list[Panel]:
    from safehome.services import households

    return [Panel("My open cases", households.count_cases(session, user, mine=True), "households.index")]


@panel(Role.HOUSING_WORKER, Role.MANAGER)
def _vacancies(session: Session, user: User) -> list[Panel]:
    free = select(func.count()).select_from(Unit).where(Unit.status == UnitStatus.AVAILABLE, Unit.retired_at.is_(None))
    return [Panel("Units available now", session.scalar(free) or 0, "units.vacancies")]


@panel(Role.PROVIDER)
def _own_units(session: Session, user: User) -> list[Panel]:
    query = (select(Unit.status, func.count()).join(Unit.site).where(Site.provider_id == user.provider_id,
                                                               Unit.retired_at.is_(None)).group_by(Unit.status))
    counts = {status: n for status, n in session.execute(query)}
    return [Panel(f"Your units: {status.label.lower()}", counts.get(status, 0), "units.index")
            for status in UnitStatus]


@panel(Role.ADMIN)
def _people(session: Session, user: User) -> list[Panel]:
    active = session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
    return [Panel("Active users", active, "admin.users_index")]


@panel(Role.HOUSING_WORKER)
def _placement_work(session: Session, user: User) -> list[Panel]:
    from safehome.services import Actor, worklists

    counts = worklists.work_counts(session, Actor(user))
    return [Panel("Offers about to lapse", counts["lapsing"], "placements.work"),
            Panel("Moves due", counts["moves_due"], "placements.work"),
            Panel("Households waiting for a unit", counts["waiting"], "placements.work"),
            Panel("High-risk households not placed", counts["high_risk_unplaced"], "placements.work")]


@panel(Role.HOUSING_WORKER, Role.MANAGER)
def _journey_work(session: Session, user: User) -> list[Panel]:
    """The journey's work lists: missed sanctuary reviews, Housing Options answers awaited, move-ons past target."""
    from safehome.services import housing_options, move_on, sanctuary

    return [Panel("Sanctuary reviews missed", sanctuary.missed_reviews_count(session), "sanctuary.index"),
            Panel("Waiting for Housing Options", housing_options.waiting_count(session)),
            Panel("Move-ons past their target", move_on.over_target_count(session), "move_on.index")]


@panel(Role.HOUSING_OPTIONS)
def _housing_options_queue(session: Session, user: User) -> list[Panel]:
    from safehome.services import housing_options

    return [Panel("Requests waiting for your answer", housing_options.waiting_count(session),
                  "housing_options.queue")]


@panel(Role.PERPETRATOR_SERVICE)
def _my_perpetrator_requests(session: Session, user: User) -> list[Panel]:
    """The perpetrator service's own open requests (and nothing else: no case counts)."""
    from safehome.services import perpetrator

    return [Panel("My open requests", perpetrator.count_own_open(session, user), "perpetrator.index")]


@panel(Role.MANAGER)
def _perpetrator_requests_waiting(session: Session, user: User) -> list[Panel]:
    from safehome.services import Actor, perpetrator

    return [Panel("Perpetrator requests waiting for a match", perpetrator.count_waiting(session),
                  "perpetrator.queue"),
            Panel("Perpetrator request patterns to review", len(perpetrator.pattern_flags(session, Actor(user))),
                  "perpetrator.queue")]


@panel(Role.MANAGER)
def _quarter_figures(session: Session, user: User) -> list[Panel]:
    """This quarter's referrals and placements secured so far, opening the reports dashboard."""
    from safehome.services.reports_base import Quarter
    from safehome.services.reports_return import OUTPUTS

    quarter = Quarter.current()
    # The report's own definitions, counted in one statement; only these two (not every output of the
    # return: cases opened alone reads every case opened in the quarter).
    counts = {key: select(func.count()).select_from(OUTPUTS[key](quarter).subquery()).scalar_subquery()
              for key in ("referrals", "placements_secured")}
    counts = session.execute(select(*(count.label(key) for key, count in counts.items()))).one()._mapping
    return [Panel(f"Referrals in {quarter.short}", counts["referrals"], "reports.dashboard"),
            Panel(f"Placements secured in {quarter.short}", counts["placements_secured"], "reports.dashboard")]
