"""Record scoping: which records a user may see, on top of what their role may do.

A record outside a user's scope answers 404 (``NotFound``), as if it did not
exist, so a probe cannot tell "not yours" from "not there". Each area keeps
its rules in its own section below.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from safehome.codes import Role
from safehome.errors import NotFound
from safehome.models import Household, Site, User

# Units -----------------------------------------------------------------------
# A provider user sees only its own provider's providers row, sites and units;
# every other role that may read the inventory sees all of it.


def provider_scope(user: User | None) -> int | None:
    """The one provider a user is limited to, or None when the user sees every provider.

    A provider user with no provider (which ``users`` refuses to create) is
    limited to provider id 0, which matches nothing: it fails closed.
    """
    if user is not None and user.role == Role.PROVIDER:
        return user.provider_id or 0
    return None


def scope_sites(query: Select, user: User | None) -> Select:
    """Limit a query that selects from (or joins) ``Site`` to the sites the user may see."""
    provider_id = provider_scope(user)
    return query if provider_id is None else query.where(Site.provider_id == provider_id)


def check_provider_visible(user: User | None, provider_id: int) -> None:
    """NotFound unless the user may see this provider."""
    scope = provider_scope(user)
    if scope is not None and scope != provider_id:
        raise NotFound("No such provider.")


def check_site_visible(user: User | None, site: Site) -> None:
    """NotFound unless the user may see this site (and so its units)."""
    scope = provider_scope(user)
    if scope is not None and scope != site.provider_id:
        raise NotFound("No such record.")


# Households (cases) ------------------------------------------------------------
# Housing workers and managers see every case; Housing Options officers only the cases sent to
# Housing Options; a provider only the household placed in one of its units; anyone else none
# (the perpetrator service has no CASE_READ at all, and this fails closed for it too).

MAX_ID = 2**31 - 1  # ids beyond a database integer cannot exist: answer 404 without asking


def household_scope(user: User | None) -> ColumnElement[bool]:
    """A where-clause on ``Household``: the cases this user may see."""
    if user is None:
        return false()
    if user.role in (Role.HOUSING_WORKER, Role.MANAGER):
        return true()
    if user.role == Role.HOUSING_OPTIONS:
        return _housing_options_clause(user)
    if user.role == Role.PROVIDER:
        return _provider_clause(user)
    return false()


def _housing_options_clause(user: User) -> ColumnElement[bool]:
    """Cases sent to Housing Options (any request, waiting or answered): what the team works on."""
    from safehome.services.housing_options import sent_to_housing_options

    return sent_to_housing_options()


def _provider_clause(user: User) -> ColumnElement[bool]:
    """The households with a live placement (offered, accepted, moved in) in one of the provider's units."""
    from safehome.codes import LIVE_PLACEMENT_STATES
    from safehome.models import Placement, Unit

    placed = (select(Placement.household_id).join(Unit, Unit.id == Placement.unit_id)
              .join(Site, Site.id == Unit.site_id)
              .where(Site.provider_id == (user.provider_id or 0), Placement.state.in_(LIVE_PLACEMENT_STATES)))
    return Household.id.in_(placed)


def get_household_for(session: Session, user: User | None, household_id: int) -> Household:
    """The case if the user may see it; NotFound otherwise (missing and out of scope look the same)."""
    household = None
    if isinstance(household_id, int) and 1 <= household_id <= MAX_ID:
        household = session.scalar(select(Household).where(Household.id == household_id, household_scope(user)))
    if household is None:
        raise NotFound("No such case.")
    return household
