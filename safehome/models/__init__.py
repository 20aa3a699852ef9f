"""All models, imported here so metadata (and Alembic) sees every table."""
from safehome.models.audit import AuditEvent
from safehome.models.base import Base
from safehome.models.households import Assessment, Household, Member, Referral, household_excluded_areas
from safehome.models.journey import (
    CaseStatusChange,
    HousingOptionsDecision,
    HousingOptionsRequest,
    MoveOnBlock,
    MoveOnPlan,
    OutcomeMeasure,
    SanctuaryInstall,
    SanctuaryReview,
    SanctuaryWork,
)
from safehome.models.inventory import NamedArea, Provider, Site, Unit, UnitStatusChange
from safehome.models.people import ApiToken, User
from safehome.models.perpetrator import (
    PerpetratorRequest,
    PerpetratorRequestEvent,
    perpetrator_request_excluded_areas,
)
from safehome.models.placements import MatchRun, Placement, PlacementEvent
from safehome.models.security import LoginFailure, WebSession

__all__ = [
    "CaseStatusChange", "HousingOptionsDecision", "HousingOptionsRequest", "MoveOnBlock", "MoveOnPlan",
    "OutcomeMeasure", "SanctuaryInstall", "SanctuaryReview", "SanctuaryWork",
    "ApiToken", "Assessment", "AuditEvent", "Base", "Household", "MatchRun", "Member", "NamedArea",
    "Placement", "PlacementEvent", "Provider", "Referral", "Site", "Unit", "UnitStatusChange", "User",
    "household_excluded_areas", "LoginFailure", "WebSession",
    "PerpetratorRequest", "PerpetratorRequestEvent", "perpetrator_request_excluded_areas",
]
