"""Who may do what: one table from role to permissions, denied by default.

Every view and API operation declares the permission it needs with
``@requires(Permission.X)`` (or ``@public`` for the few pages anyone may
open). ``enforce`` runs before every request and refuses any endpoint that
declares nothing, so a forgotten decorator fails closed. Record-level
scoping (a provider's own units, the cases sent to Housing Options, the
perpetrator service's own requests) is done by the services on top of this.
"""
from __future__ import annotations

import enum
from collections.abc import Callable

from flask import abort, current_app, request
from flask_login import current_user

from safehome.codes import Role


class Permission(str, enum.Enum):
    DASHBOARD = "dashboard"                  # a landing page for one's role
    OWN_ACCOUNT = "own_account"              # one's own account: password and API tokens
    CASE_READ = "case.read"                  # household and referral detail (scoped by service)
    CASE_WRITE = "case.write"                # take referrals, assess, record outcomes, close
    ADDRESS_VIEW = "address.view"            # open a confidential address (always audited)
    UNIT_READ = "unit.read"                  # inventory and vacancy board (providers: own units only)
    UNIT_WRITE = "unit.write"                # create, edit, retire providers, sites and units; import
    UNIT_STATUS = "unit.status"              # keep a unit's status true (providers: own units only)
    AREA_READ = "area.read"                  # named areas offered as exclusions
    MATCH_SUGGEST = "match.suggest"          # ask the engine for suggestions for one household
    MATCH_BATCH = "match.batch"              # run and approve the batch match
    PLACEMENT_WRITE = "placement.write"      # offer, record decisions, move in and out
    PLACEMENT_OVERRIDE = "placement.override"  # override a soft preference, allow a second live offer
    SANCTUARY_WRITE = "sanctuary.write"      # sanctuary installs
    HO_REQUEST = "ho.request"                # send a case to Housing Options
    HO_DECIDE = "ho.decide"                  # the Housing Options queue: confirm, refuse, record decisions
    MOVE_ON_WRITE = "move_on.write"          # move-on plans
    PERP_REQUEST = "perp.request"            # file and follow one's own perpetrator-accommodation requests
    PERP_LINKED = "perp.linked"              # see and stop requests linked to a victim's case
    REPORTS = "reports"                      # quarterly returns, dashboards, exports
    ADMIN_USERS = "admin.users"              # users, roles, passwords, tokens
    AUDIT_READ = "audit.read"                # the audit log
    REFERENCE_WRITE = "reference.write"      # reference lists (named areas)


P = Permission
_ALL_SIGNED_IN = {P.DASHBOARD, P.OWN_ACCOUNT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.HOUSING_WORKER: frozenset(_ALL_SIGNED_IN | {
        P.CASE_READ, P.CASE_WRITE, P.ADDRESS_VIEW, P.UNIT_READ, P.UNIT_WRITE, P.UNIT_STATUS, P.AREA_READ,
        P.MATCH_SUGGEST, P.PLACEMENT_WRITE, P.SANCTUARY_WRITE, P.HO_REQUEST, P.MOVE_ON_WRITE, P.PERP_LINKED,
    }),
    Role.HOUSING_OPTIONS: frozenset(_ALL_SIGNED_IN | {P.CASE_READ, P.HO_DECIDE}),
    Role.MANAGER: frozenset(_ALL_SIGNED_IN | {
        P.CASE_READ, P.UNIT_READ, P.AREA_READ, P.MATCH_SUGGEST, P.MATCH_BATCH, P.PLACEMENT_OVERRIDE,
        P.REPORTS, P.AUDIT_READ, P.PERP_LINKED,
    }),
    Role.PERPETRATOR_SERVICE: frozenset(_ALL_SIGNED_IN | {P.PERP_REQUEST}),
    Role.PROVIDER: frozenset(_ALL_SIGNED_IN | {P.UNIT_READ, P.UNIT_STATUS, P.CASE_READ}),
    Role.ADMIN: frozenset(_ALL_SIGNED_IN | {P.ADMIN_USERS, P.AUDIT_READ, P.REFERENCE_WRITE, P.AREA_READ}),
}

PUBLIC = "public"
_ATTR = "safehome_permission"


def requires(permission: Permission) -> Callable:
    """Declare the permission a view or API method needs."""

    def mark(func):
        setattr(func, _ATTR, permission)
        return func

    return mark


def public(func):
    """Declare a view open to anyone (the login page, static files)."""
    setattr(func, _ATTR, PUBLIC)
    return func


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def user_can(user, permission: Permission) -> bool:
    """For templates and services: may this (possibly anonymous) user do it?"""
    return bool(getattr(user, "is_authenticated", False)) and can(user.role, permission)


# Endpoints registered by libraries, declared here because their views are not ours.
LIBRARY_ENDPOINTS = {"static": PUBLIC, "api-docs.openapi_json": PUBLIC}


def permission_of(endpoint: str, method: str):
    """The permission declared for an endpoint and HTTP method, or None."""
    if endpoint in LIBRARY_ENDPOINTS:
        return LIBRARY_ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        return getattr(handler, _ATTR, None) if handler is not None else PUBLIC_IF_NO_METHOD
    return getattr(view, _ATTR, None)


# A MethodView without the method answers 405 itself; nothing to guard.
PUBLIC_IF_NO_METHOD = "no-such-method"


def enforce():
    """``before_request``: deny anything undeclared, then check the role."""
    if request.endpoint is None or request.method == "OPTIONS":
        return None  # routing answers 404/405; OPTIONS reveals only the allowed methods
    needed = permission_of(request.endpoint, request.method)
    if needed in (PUBLIC, PUBLIC_IF_NO_METHOD):
        return None
    if needed is None:
        current_app.logger.error("endpoint %s declares no permission: denied", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        abort(401)
    if not can(current_user.role, needed):
        abort(403)
    return None
