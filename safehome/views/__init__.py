"""The pages, one blueprint per area of the service, registered from this list."""
from __future__ import annotations

from dataclasses import dataclass

from safehome.permissions import Permission
from safehome.views.account import bp as account
from safehome.views.admin import bp as admin
from safehome.views.auth import bp as auth
from safehome.views.dashboard import bp as dashboard

BLUEPRINTS = [auth, dashboard, account, admin]


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    permission: Permission


# The main menu; each entry shows only to roles with its permission.
NAVIGATION = [
    NavItem("admin.users_index", "Users", Permission.ADMIN_USERS),
    NavItem("admin.audit_log", "Audit log", Permission.AUDIT_READ),
]
