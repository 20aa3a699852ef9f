"""Every coded list of the service, in one place.

Forms, the API, the engine adapter and the reports all read these, so the
same words appear on case pages and in the quarterly return. A code is
stored; its label is shown. Codes never change meaning once used.
"""
from __future__ import annotations

import enum


class Coded(str, enum.Enum):
    """A stored code with a human label: ``Tenure.SOCIAL_RENT.label``."""

    def __new__(cls, code: str, label: str):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]


class Role(Coded):
    HOUSING_WORKER = "housing_worker", "Housing worker"
    HOUSING_OPTIONS = "housing_options", "Housing Options officer"
    MANAGER = "manager", "Manager"
    PERPETRATOR_SERVICE = "perpetrator_service", "Perpetrator service worker"
    PROVIDER = "provider", "Accommodation provider"
    ADMIN = "admin", "Administrator"


class Gender(Coded):
    """Gender as the engine's rules use it (lead person, males' age limit)."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"


class UnitType(Coded):
    REFUGE = "refuge", "Refuge"
    EMERGENCY = "emergency", "Emergency"
    SUPPORTED = "supported", "Supported"
    DISPERSED = "dispersed", "Dispersed"
    MOVE_ON = "move_on", "Move-on"
    PERPETRATOR = "perpetrator", "Perpetrator"


TEMPORARY_UNIT_TYPES = frozenset({UnitType.REFUGE, UnitType.EMERGENCY, UnitType.SUPPORTED, UnitType.DISPERSED})


class SiteKind(Coded):
    """Whom a site houses: victims (every unit type but perpetrator) or perpetrators (perpetrator units), never both."""

    VICTIM = "victim", "Victim accommodation"
    PERPETRATOR = "perpetrator", "Perpetrator accommodation"

    @classmethod
    def of(cls, unit_type: UnitType) -> SiteKind:
        """The kind of site a unit of this type goes on."""
        return cls.PERPETRATOR if unit_type == UnitType.PERPETRATOR else cls.VICTIM


class UnitStatus(Coded):
    AVAILABLE = "available", "Available"
    OFFERED = "offered", "Offered"
    OCCUPIED = "occupied", "Occupied"
    VOID = "void", "Void (being made ready)"
    OUT_OF_USE = "out_of_use", "Out of use"


class Feature(Coded):
    """What a unit offers; a household's needs are drawn from the same list."""

    WHEELCHAIR = "wheelchair", "Wheelchair accessible"
    STEP_FREE = "step_free", "Step-free access"
    NRPF = "nrpf", "Can be funded without housing benefit (NRPF)"


class Pet(Coded):
    DOG = "dog", "Dog"
    CAT = "cat", "Cat"
    SMALL_ANIMAL = "small_animal", "Small animal"
    BIRD = "bird", "Bird"


class Language(Coded):
    ENGLISH = "english", "English"
    PUNJABI = "punjabi", "Punjabi"
    GUJARATI = "gujarati", "Gujarati"
    URDU = "urdu", "Urdu"
    HINDI = "hindi", "Hindi"
    BENGALI = "bengali", "Bengali"
    POLISH = "polish", "Polish"
    ROMANIAN = "romanian", "Romanian"
    ARABIC = "arabic", "Arabic"
    SOMALI = "somali", "Somali"
    KURDISH = "kurdish", "Kurdish"
    TIGRINYA = "tigrinya", "Tigrinya"
    PORTUGUESE = "portuguese", "Portuguese"
    BSL = "bsl", "British Sign Language"


class Risk(Coded):
    HIGH = "high", "High (DASH 14+ or MARAC)"
    MEDIUM = "medium", "Medium (DASH 10-13)"
    STANDARD = "standard", "Standard"


DASH_HIGH_RISK = 14  # CAADA DASH: 14 or more ticks is high risk
DASH_MEDIUM_RISK = 10


class ReferralSource(Coded):
    FAMILY_VICTIM_SURVIVOR = "fvs", "Family, Victim & Survivor service"
    PERPETRATOR_SERVICE = "perpetrator_service", "Perpetrator service"
    POLICE = "police", "Police"
    MARAC = "marac", "MARAC"
    HOUSING_OPTIONS = "housing_options", "Housing Options"
    HEALTH = "health", "Health"
    SOCIAL_CARE = "social_care", "Children's or adult social care"
    OTHER_AGENCY = "other_agency", "Other agency"
    SELF = "self", "Self-referral"


class Tenure(Coded):
    """Housing tenure at entry and at exit (one list for both, as the council's
    performance data set compares them).

    Entry is ``Household.tenure_at_entry`` (where the household lived when
    referred); exit is ``MoveOnPlan.tenure_at_exit`` (where they moved on to;
    for a household that stayed home with a sanctuary install, their tenure at
    entry). Case pages, forms and reports all show these labels.
    """

    OWNER_OCCUPIER = "owner", "Owner-occupier"
    SOCIAL_RENT_COUNCIL = "council_rent", "Council tenant"
    SOCIAL_RENT_HA = "ha_rent", "Housing association tenant"
    PRIVATE_RENT = "private_rent", "Private rented"
    LIVING_WITH_FAMILY = "family_friends", "Living with family or friends"
    TEMPORARY = "temporary", "Temporary accommodation"
    REFUGE = "refuge", "Refuge"
    SUPPORTED = "supported", "Supported housing"
    TIED = "tied", "Tied accommodation"
    NO_FIXED_ABODE = "nfa", "No fixed abode / rough sleeping"
    INSTITUTION = "institution", "Hospital, prison or care"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class EqualityField(Coded):
    """The Equality Act 2010 protected characteristics we monitor (all optional)."""

    AGE_BAND = "age_band", "Age"
    DISABILITY = "disability", "Disability"
    GENDER_REASSIGNMENT = "gender_reassignment", "Gender reassignment"
    MARRIAGE = "marriage", "Marriage and civil partnership"
    PREGNANCY = "pregnancy", "Pregnancy and maternity"
    ETHNICITY = "ethnicity", "Race / ethnicity"
    RELIGION = "religion", "Religion or belief"
    SEX = "sex", "Sex"
    SEXUAL_ORIENTATION = "sexual_orientation", "Sexual orientation"


PREFER_NOT_TO_SAY = "prefer_not_to_say"

# The answers offered for each characteristic; "prefer not to say" is always allowed.
EQUALITY_ANSWERS: dict[str, list[tuple[str, str]]] = {
    "disability": [("yes", "Yes"), ("no", "No")],
    "gender_reassignment": [("yes", "Yes"), ("no", "No")],
    "marriage": [("single", "Single"), ("married", "Married"), ("civil_partnership", "Civil partnership"),
                 ("separated", "Separated"), ("divorced", "Divorced or dissolved"), ("widowed", "Widowed")],
    "pregnancy": [("pregnant", "Pregnant"), ("maternity", "Within 26 weeks of birth"), ("no", "No")],
    "ethnicity": [("white_british", "White British"), ("white_other", "White other"),
                  ("asian", "Asian or Asian British"), ("black", "Black or Black British"),
                  ("mixed", "Mixed or multiple"), ("arab", "Arab"), ("gypsy_traveller", "Gypsy or Irish Traveller"),
                  ("refugee", "Refugee or asylum seeker"), ("other", "Other ethnic group")],
    "religion": [("none", "No religion"), ("christian", "Christian"), ("muslim", "Muslim"), ("hindu", "Hindu"),
                 ("sikh", "Sikh"), ("jewish", "Jewish"), ("buddhist", "Buddhist"), ("other", "Other")],
    "sex": [("female", "Female"), ("male", "Male")],
    "sexual_orientation": [("heterosexual", "Heterosexual"), ("gay_lesbian", "Gay or lesbian"),
                           ("bisexual", "Bisexual"), ("other", "Other")],
}


class AuditAction(Coded):
    VIEW_ADDRESS = "view_address", "Viewed a confidential address"
    VIEW_CASE = "view_case", "Viewed a case"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logged out"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    USER_CHANGED = "user_changed", "User changed"
    EXPORT = "export", "Exported"
    MATCH_RUN = "match_run", "Ran the matching engine"
    OVERRIDE = "override", "Overrode a soft preference"


class CaseStatus(Coded):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CloseReason(Coded):
    MOVED_ON = "moved_on", "Moved on to settled accommodation"
    OWN_HOME_SECURED = "own_home_secured", "Own home made safe"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needs the service"
    LOST_CONTACT = "lost_contact", "Lost contact"
    OUT_OF_AREA = "out_of_area", "Moved out of the area"
    DECLINED = "declined", "Declined the service"
    OTHER = "other", "Other"


class AssessmentAnswer(Coded):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"


class HousingOption(Coded):
    """Options considered in the housing needs assessment."""

    SANCTUARY = "sanctuary", "Stay at home with a sanctuary install"
    PERPETRATOR_LEAVES = "perpetrator_leaves", "Perpetrator found other accommodation"
    REFUGE = "refuge", "Refuge"
    EMERGENCY = "emergency", "Emergency accommodation"
    SUPPORTED = "supported", "Supported accommodation"
    DISPERSED = "dispersed", "Dispersed accommodation"
    HOMELESSNESS_APPLICATION = "homelessness_application", "Homelessness application"
    HOUSING_TRANSFER = "housing_transfer", "Housing transfer"
    PRIVATE_RENTAL = "private_rental", "Private rental"
    FAMILY_FRIENDS = "family_friends", "Stay with family or friends"


# The rest of the housing journey: sanctuary installs, Housing Options, move-on, outcomes ----------

class SanctuaryState(Coded):
    """A sanctuary install's life; the allowed moves are in services/sanctuary.py (TRANSITIONS)."""

    REQUESTED = "requested", "Requested"
    RISK_CHECKED = "risk_checked", "Risk checked (DASH on file)"
    CONSENT = "consent", "Owner or landlord consent given"
    SURVEYED = "surveyed", "Surveyed"
    WORKS_ORDERED = "works_ordered", "Works ordered"
    INSTALLED = "installed", "Installed"
    FIRE_SAFETY_CHECKED = "fire_safety_checked", "Fire-safety checked"
    REVIEWED_3M = "reviewed_3m", "Reviewed at 3 months"
    REVIEWED_6M = "reviewed_6m", "Reviewed at 6 months"
    ENDED = "ended", "Ended (equipment removed)"
    WITHDRAWN = "withdrawn", "Withdrawn before installation"


class SanctuaryWorkKind(Coded):
    LOCKS = "locks", "Lock changes"
    DOORS_WINDOWS = "doors_windows", "Door and window reinforcement"
    SAFE_ROOM = "safe_room", "Safe room"
    ALARM = "alarm", "Alarm"
    CCTV = "cctv", "CCTV or video doorbell"
    FIRE_SAFETY_KIT = "fire_safety_kit", "Fire-safety kit"


class ConsentFrom(Coded):
    """Who agreed to security works on the home (the owner, or the landlord of a rented home)."""

    OWNER = "owner", "Owner-occupier (the household)"
    COUNCIL = "council", "Council landlord"
    HOUSING_ASSOCIATION = "housing_association", "Housing association landlord"
    PRIVATE_LANDLORD = "private_landlord", "Private landlord"


class Surveyor(Coded):
    POLICE = "police", "Police"
    CRIME_PREVENTION = "crime_prevention", "Crime-prevention officer"


class SanctuaryReviewStage(Coded):
    THREE_MONTHS = "3m", "3-month review"
    SIX_MONTHS = "6m", "6-month review"


class HousingOptionsKind(Coded):
    """What a case is sent to Housing Options for (each is a count in the quarterly return)."""

    HOMELESSNESS_APPLICATION = "homelessness_application", "Homelessness application"
    HOUSING_TRANSFER = "housing_transfer", "Housing transfer"
    PRIVATE_RENTAL = "private_rental", "Help into a private rental"
    OTHER = "other", "Other housing solution"


class OtherHousingSolution(Coded):
    """Which "other housing solution" a Housing Options request of kind "other" is for (chosen when the case
    is sent; Housing Options may correct it when confirming). The quarterly return counts these codes; the
    worker's free-text detail stays on the case and never becomes a row of a return."""

    FAMILY_FRIENDS = "family_friends", "Living with family or friends"
    SUPPORTED_HOUSING = "supported_housing", "Supported housing elsewhere"
    HOME_WITH_SANCTUARY = "home_with_sanctuary", "Returned home with a sanctuary install"
    OUT_OF_AREA_REFUGE = "out_of_area_refuge", "Refuge out of the area"
    OTHER = "other", "Other"


class HousingOptionsState(Coded):
    REQUESTED = "requested", "Waiting for Housing Options"
    CONFIRMED = "confirmed", "Confirmed"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class HousingDuty(Coded):
    """Decisions Housing Options records on a request (Housing Act 1996 Part 7, and transfers)."""

    PREVENTION_DUTY = "prevention_duty", "Prevention duty owed"
    RELIEF_DUTY = "relief_duty", "Relief duty owed"
    MAIN_DUTY = "main_duty", "Main housing duty accepted"
    INTERIM_ACCOMMODATION = "interim_accommodation", "Interim accommodation provided"
    NOT_HOMELESS = "not_homeless", "Not homeless"
    NOT_ELIGIBLE = "not_eligible", "Not eligible for assistance"
    NO_PRIORITY_NEED = "no_priority_need", "No priority need"
    INTENTIONALLY_HOMELESS = "intentionally_homeless", "Intentionally homeless"
    TRANSFER_APPROVED = "transfer_approved", "Management transfer approved"
    TRANSFER_DECLINED = "transfer_declined", "Management transfer declined"
    OFFER_MADE = "offer_made", "Offer of accommodation made"
    OTHER = "other", "Other decision"


class MoveOnBlocker(Coded):
    NO_SOCIAL_OFFER = "no_social_offer", "No social housing offer yet"
    NRPF = "nrpf", "No recourse to public funds"
    RENT_ARREARS = "rent_arrears", "Rent arrears"
    SCHOOL_PLACE = "school_place", "Waiting for a school place"
    OTHER = "other", "Other"


class OutcomeMeasureKind(Coded):
    """The outcomes the council asks for; the first three are scored 1-5, the last two yes or no."""

    FEELS_SAFE = "feels_safe", "Feels safe at home"
    CONFIDENCE = "confidence", "Confidence in living independently"
    SATISFACTION = "satisfaction", "Satisfaction with the accommodation options offered"
    MAINTAINED_INDEPENDENT = "maintained_independent", "Maintained independent living"
    MOVED_ON_INDEPENDENT = "moved_on_independent", "Moved on to independent living"


SCORED_OUTCOMES = frozenset({OutcomeMeasureKind.FEELS_SAFE, OutcomeMeasureKind.CONFIDENCE,
                             OutcomeMeasureKind.SATISFACTION})
OUTCOME_SCALE = [(1, "1 - Not at all"), (2, "2 - A little"), (3, "3 - Somewhat"), (4, "4 - Mostly"),
                 (5, "5 - Completely")]


class OutcomeStage(Coded):
    INTAKE = "intake", "Intake"
    REVIEW = "review", "Review"
    EXIT = "exit", "Exit"


# Placements: getting a household into a unit --------------------------------------------------

class PlacementState(Coded):
    """A placement's life; the allowed moves are in services/placements.py (TRANSITIONS)."""

    SUGGESTED = "suggested", "Suggested"
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    LAPSED = "lapsed", "Lapsed (not answered in time)"
    WITHDRAWN = "withdrawn", "Withdrawn"
    MOVED_IN = "moved_in", "Moved in"
    MOVED_OUT = "moved_out", "Moved out"


# A live placement holds its unit; the database allows one per unit (placements' partial unique index).
LIVE_PLACEMENT_STATES = (PlacementState.OFFERED, PlacementState.ACCEPTED, PlacementState.MOVED_IN)


class PlacementSource(Coded):
    SUGGESTION = "suggestion", "From the engine's suggestions"
    BATCH = "batch", "From an approved batch match"
    HAND = "hand", "Chosen by hand"


class DeclineReason(Coded):
    """Why an offer was declined (reported: store the code)."""

    TOO_CLOSE = "too_close_to_perpetrator", "Too close to the perpetrator"
    AREA_UNSAFE = "area_unsafe", "Area unsafe"
    CHILDREN_AGES = "children_ages", "Unsuitable for the children's ages"
    PETS = "no_room_for_pets", "No room for pets"
    WHEELCHAIR = "no_wheelchair_access", "No access for a wheelchair"
    COST_NRPF = "cost_or_nrpf", "Cost or no recourse to public funds"
    NO_LONGER_NEEDED = "no_longer_needed", "Household no longer needs it"
    PROVIDER_REFUSED = "provider_refused", "Provider refused"
    OTHER = "other", "Other (say what)"


class DecisionBy(Coded):
    """Whose decision a decline was."""

    HOUSEHOLD = "household", "The household's decision"
    PROVIDER = "provider", "The provider's decision"


class MatchRunStatus(Coded):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# Perpetrator accommodation: requests from the perpetrator service ----------------------------------

class PerpetratorState(Coded):
    """A perpetrator-accommodation request's life; the allowed moves are in services/perpetrator.py (TRANSITIONS)."""

    FILED = "filed", "Filed, waiting for a match"
    MATCHED = "matched", "Matched: a unit is offered"
    ACCEPTED = "accepted", "Offer accepted"
    MOVED_IN = "moved_in", "Moved in"
    MOVED_OUT = "moved_out", "Moved out"
    # One state for every stop, whoever stopped it and why: the perpetrator service sees only this label.
    STOPPED = "stopped", "Closed by the Safe Home service"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A live request holds its unit; the database allows one per unit (perpetrator requests' partial unique index).
LIVE_PERPETRATOR_STATES = (PerpetratorState.MATCHED, PerpetratorState.ACCEPTED, PerpetratorState.MOVED_IN)


class PerpetratorStopReason(Coded):
    """Why the Safe Home service closed a perpetrator request: the housing side's, never shown to the perpetrator side."""

    UNSAFE_FOR_VICTIM = "unsafe_for_victim", "Unsafe for a victim"
    NO_SUITABLE_UNIT = "no_suitable_unit", "No suitable accommodation"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    DUPLICATE_OR_PATTERN = "duplicate_or_pattern", "A duplicate, or part of a pattern of requests"
    CIRCUMSTANCES_CHANGED = "circumstances_changed", "The client's circumstances changed"
    OTHER = "other", "Other (say what)"


class PerpetratorPattern(Coded):
    """A pattern of perpetrator requests that managers should look at (probing for a victim's case or places)."""

    SAME_CLIENT = "same_client", "The same client filed under different victim references"
    REFILED = "refiled", "The same victim reference withdrawn and filed again many times"


class MappaLevel(Coded):
    """Multi-Agency Public Protection Arrangements: the level of management, if any."""

    NONE = "none", "Not managed under MAPPA"
    LEVEL_1 = "1", "Level 1 (ordinary agency management)"
    LEVEL_2 = "2", "Level 2 (active multi-agency management)"
    LEVEL_3 = "3", "Level 3 (senior multi-agency management)"
