"""All models, imported here so metadata (and Alembic) sees every table."""
from safehome.models.audit import AuditEvent
from safehome.models.base import Base
from safehome.models.households import Assessment, Household, Member, Referral, household_excluded_areas
from safehome.models.inventory import NamedArea, Provider, Site, Unit, UnitStatusChange
from safehome.models.people import ApiToken, User

__all__ = [
    "ApiToken", "Assessment", "AuditEvent", "Base", "Household", "Member", "NamedArea", "Provider",
    "Referral", "Site", "Unit", "UnitStatusChange", "User", "household_excluded_areas",
]
