"""The pages, one blueprint per area of the service, registered from this list."""
from __future__ import annotations

from dataclasses import dataclass

from safehome.permissions import Permission
from safehome.views.account import bp as account
from safehome.views.admin import bp as admin
from safehome.views.auth import bp as auth
from safehome.views.dashboard import bp as dashboard
from safehome.views.households import bp as households
from safehome.views.housing_options import bp as housing_options
from safehome.views.journey import bp as cases
from safehome.views.move_on import bp as move_on
from safehome.views.perpetrator import bp as perpetrator
from safehome.views.placements import bp as placements
from safehome.views.reports import bp as reports
from safehome.views.sanctuary import bp as sanctuary
from safehome.views.units import bp as units

BLUEPRINTS = [auth, dashboard, account, admin, households, units, placements, cases, sanctuary, housing_options,
              move_on, perpetrator, reports]


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    permission: Permission


# The main menu; each entry shows only to roles with its permission.
NAVIGATION = [
    NavItem("households.index", "Cases", Permission.CASE_READ),
    NavItem("units.vacancies", "Vacancies", Permission.UNIT_READ),
    NavItem("units.index", "Units", Permission.UNIT_READ),
    NavItem("placements.work", "Work list", Permission.PLACEMENT_WRITE),
    NavItem("placements.batch_index", "Batch match", Permission.MATCH_BATCH),
    NavItem("sanctuary.index", "Sanctuary", Permission.SANCTUARY_WRITE),
    NavItem("housing_options.queue", "Housing Options queue", Permission.HO_DECIDE),
    NavItem("move_on.index", "Move-on", Permission.MOVE_ON_WRITE),
    NavItem("move_on.timeliness", "Move-on timeliness", Permission.REPORTS),
    NavItem("reports.dashboard", "Reports", Permission.REPORTS),
    NavItem("perpetrator.index", "My requests", Permission.PERP_REQUEST),
    NavItem("perpetrator.queue", "Perpetrator requests", Permission.MATCH_BATCH),
    NavItem("admin.users_index", "Users", Permission.ADMIN_USERS),
    NavItem("admin.audit_log", "Audit log", Permission.AUDIT_READ),
]
