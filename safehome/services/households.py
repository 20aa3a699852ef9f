"""Cases: the case list, the case page, a household's details, and the housing needs assessment.

A household's details are checked here, once, for every way in: the referral
form and API (``services/referrals.py`` calls ``check_details``), the edit
form and the PATCH API. Every problem is reported at once, each naming its
field as a path (``members/0/birth_date``, ``avoid/1/postcode``).

Rules (documented for workers and API clients):

- members: at least one, the lead person first; ages 0-120 from the date of
  birth; the lead must be 16 or over (a 16- or 17-year-old may lead).
- DASH score 0-24; MARAC or DASH 14+ is high risk (``models.households.risk_of``).
- home address: a UK postcode is required unless the tenure at entry is
  "no fixed abode"; the postcode places the home (sealed).
- places to avoid / stay near: a label, a UK postcode or a latitude and
  longitude inside the UK, and a distance of 0.5-200 km; places to stay near
  also carry an importance of 1-5 (default 3).
- known to the perpetrator: the home (``home_known_to_perpetrator``, default
  yes: usually the home they shared or left) and each place to stay near
  (``known_to_perpetrator``, default no: a new school, a new job). Only known
  places keep a linked perpetrator request away (``known_places``).
- equality monitoring: every characteristic optional, "prefer_not_to_say"
  always allowed; age is not asked, it comes from the lead's date of birth.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from safehome import crypto
from safehome.codes import (
    EQUALITY_ANSWERS,
    PREFER_NOT_TO_SAY,
    AssessmentAnswer,
    AuditAction,
    CaseStatus,
    Feature,
    Gender,
    HousingOption,
    Language,
    Pet,
    Risk,
    Role,
    Tenure,
    UnitType,
)
from safehome.errors import Conflict, FieldProblem, Forbidden, ValidationError
from safehome.models import Assessment, Household, Member, NamedArea, Referral
from safehome.models.households import age_on
from safehome.permissions import Permission, can
from safehome.services import Actor, access, audit, geography
from safehome.services.paging import Page, paginate
from safehome.services.timeliness import today_uk

LEAD_MIN_AGE = 16
MAX_AGE = 120
MAX_MEMBERS = 20
MAX_PLACES = 20
PLACE_KM = (0.5, 200.0)
PREFER_WEIGHT = (1, 5)
DEFAULT_WEIGHT = 3
# Roughly the United Kingdom: a point outside is a typing mistake (lat and lon swapped, a sign lost).
UK_LAT = (49.8, 60.9)
UK_LON = (-8.7, 1.8)
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
# Household units the service places victims in; perpetrator units are for perpetrator requests only.
HOUSEHOLD_UNIT_TYPES = [t.value for t in UnitType if t != UnitType.PERPETRATOR]
# Free text may hold newlines (notes) but never other control characters (PostgreSQL refuses NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DETAIL_FIELDS = ("members", "dash_score", "marac", "pets", "needs", "languages", "interpreter", "unit_types",
                 "tenure_at_entry", "consent_to_share", "equality", "excluded_area_ids", "address",
                 "home_known_to_perpetrator", "avoid", "prefer")
# A new case starts from these where the referral says nothing.
_INTAKE_DEFAULTS = {"dash_score": None, "marac": False, "pets": [], "needs": [], "languages": [],
                    "interpreter": False, "unit_types": None, "consent_to_share": False, "equality": {},
                    "excluded_area_ids": [], "address": None, "home_known_to_perpetrator": True, "avoid": [],
                    "prefer": []}

# What each role may see of a case, on the case page and in the API; a field not listed is absent.
# Sealed places (address, home, places to avoid and stay near) are never here: they are opened only
# on request, by roles with ADDRESS_VIEW, and audited (reveal_places).
CASE_FIELDS = frozenset({
    "id", "reference", "status", "opened_at", "closed_at", "close_reason", "worker_id", "risk", "dash_score",
    "marac", "is_repeat", "member_count", "members", "pets", "needs", "languages", "interpreter", "unit_types",
    "tenure_at_entry", "consent_to_share", "waiting_since", "equality", "excluded_areas", "referrals",
    "assessments", "updated_at", "home_known_to_perpetrator",
})
FIELDS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.HOUSING_WORKER: CASE_FIELDS,
    Role.MANAGER: CASE_FIELDS,
    # The council's officers work the homelessness application or transfer: no equality monitoring,
    # and no excluded areas (they hint where the perpetrator is).
    Role.HOUSING_OPTIONS: CASE_FIELDS - {"equality", "excluded_areas"},
    # A provider houses the household: who is coming (ages and genders, no names or birth dates) and
    # what they need. No reference (it follows the person into other services), no risk detail, no history.
    Role.PROVIDER: frozenset({"id", "status", "member_count", "members.age", "members.gender", "pets", "needs",
                              "languages", "interpreter"}),
}


def visible_fields(role: Role) -> frozenset[str]:
    """The case fields a role may see (nothing for a role without CASE_READ)."""
    return FIELDS_BY_ROLE.get(role, frozenset())


# Checking a household's details ---------------------------------------------------------------

@dataclass
class CheckedDetails:
    """Clean details ready to apply, with the points found for the postcodes."""

    values: dict
    home: dict | None = None  # {"lat", "lon"} of the home address, when an address was given


class Checker:
    """Collects every problem in one pass; each method returns the clean value (or None)."""

    def __init__(self, session: Session, today: date, geocoder: str):
        self.session = session
        self.today = today
        self.geocoder = geocoder
        self.problems: list[FieldProblem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(field, message))

    def text(self, field: str, value, max_len: int, *, required: bool = False) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str):
            return self.fail(field, "must be text")
        value = value.strip()
        if len(value) > max_len:
            return self.fail(field, f"must be at most {max_len} characters")
        if _CONTROL.search(value):
            return self.fail(field, "must not contain control characters")
        return value

    def boolean(self, field: str, value) -> bool:
        if not isinstance(value, bool):
            self.fail(field, "must be true or false")
            return False
        return value

    def number(self, field: str, value, low: float, high: float, *, integer: bool = False,
               required: bool = True, message: str | None = None):
        if value is None:
            if required:
                self.fail(field, "is required")
            return None
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            return self.fail(field, "must be a whole number" if integer else "must be a number")
        if not low <= value <= high:
            return self.fail(field, message or f"must be between {low:g} and {high:g}")
        return value

    def code(self, field: str, value, allowed: list[str], *, required: bool = True) -> str | None:
        if value is None or value == "":
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str) or value not in allowed:
            return self.fail(field, f"must be one of {', '.join(allowed)}")
        return value

    def codes(self, field: str, values, allowed: list[str]) -> list[str]:
        """A list of codes, duplicates dropped, order kept."""
        if values is None:
            return []
        if not isinstance(values, (list, tuple)):
            self.fail(field, "must be a list")
            return []
        clean: list[str] = []
        for i, value in enumerate(values):
            if not isinstance(value, str) or value not in allowed:
                self.fail(f"{field}/{i}", f"must be one of {', '.join(allowed)}")
            elif value not in clean:
                clean.append(value)
        return clean

    def items(self, field: str, values, limit: int, *, required: bool = False) -> list:
        """A list of objects, at most ``limit``."""
        if values is None or values == []:
            if required:
                self.fail(field, "add at least one")
            return []
        if not isinstance(values, (list, tuple)):
            self.fail(field, "must be a list")
            return []
        if len(values) > limit:
            self.fail(field, f"at most {limit}")
            return []
        good = []
        for i, value in enumerate(values):
            if isinstance(value, dict):
                good.append((i, value))
            else:
                self.fail(f"{field}/{i}", "must be an object")
        return good

    # The parts of a household ----------------------------------------------------------------

    def members(self, values) -> list[dict]:
        rows = self.items("members", values, MAX_MEMBERS)
        if not rows and not any(p.field.startswith("members") for p in self.problems):
            self.fail("members", "add at least one person, the lead person first")
        clean = []
        for i, member in rows:
            where = f"members/{i}"
            name = self.text(f"{where}/name", member.get("name"), 120)
            gender = self.code(f"{where}/gender", member.get("gender"), Gender.codes())
            birth = self.birth_date(f"{where}/birth_date", member.get("birth_date"), lead=i == 0)
            clean.append({"name": name, "gender": gender, "birth_date": birth})
        return clean

    def birth_date(self, field: str, value, *, lead: bool) -> date | None:
        if value is None:
            return self.fail(field, "is required")
        if not isinstance(value, date) or isinstance(value, datetime):
            return self.fail(field, "must be a date")
        if value > self.today:
            return self.fail(field, "is in the future")
        age = age_on(value, self.today)
        if age > MAX_AGE:
            return self.fail(field, f"gives an age over {MAX_AGE}: check the year")
        if lead and age < LEAD_MIN_AGE:
            return self.fail(field, f"the lead person is {age}: the lead must be {LEAD_MIN_AGE} or over "
                                    "(a 16- or 17-year-old may lead); put the adult first")
        return value

    def locate(self, field: str, postcode: str) -> tuple[str, geography.Location] | None:
        """(normalised postcode, point), or None with the problem recorded."""
        normal = geography.normalise_postcode(postcode)
        if normal is None:
            return self.fail(field, "is not a UK postcode")
        where = geography.locate_postcode(normal, geocoder=self.geocoder)
        if where is None:
            return self.fail(field, "could not be found: check it, or give a latitude and longitude")
        return normal, where

    def address(self, value, tenure: str | None) -> tuple[dict | None, dict | None]:
        """(address, home point) for the home the household lives in at referral."""
        needed = tenure is not None and tenure != Tenure.NO_FIXED_ABODE.value
        if value is None or (isinstance(value, dict) and not any(value.values())):
            if needed:
                self.fail("address/postcode", "is required: the household's home postcode "
                                              "(leave the address out only for no fixed abode)")
            return None, None
        if not isinstance(value, dict):
            self.fail("address", "must be an object")
            return None, None
        address = {key: self.text(f"address/{key}", value.get(key), 120) for key in ("line1", "line2", "town")}
        postcode = self.text("address/postcode", value.get("postcode"), 10, required=needed)
        home = None
        if postcode:
            found = self.locate("address/postcode", postcode)
            if found:
                address["postcode"], point = found
                home = {"lat": point.lat, "lon": point.lon}
        return address, home

    def places(self, field: str, values, *, prefer: bool) -> list[dict]:
        clean = []
        for i, place in self.items(field, values, MAX_PLACES):
            where = f"{field}/{i}"
            item = {"label": self.text(f"{where}/label", place.get("label"), 80, required=True),
                    "km": self.number(f"{where}/km", place.get("km"), *PLACE_KM)}
            if prefer:
                weight = place.get("weight")
                item["weight"] = self.number(f"{where}/weight", DEFAULT_WEIGHT if weight is None else weight,
                                             *PREFER_WEIGHT, integer=True)
                item["known_to_perpetrator"] = self.boolean(f"{where}/known_to_perpetrator",
                                                            place.get("known_to_perpetrator", False))
            item.update(self.point(where, place))
            clean.append(item)
        return clean

    def point(self, where: str, place: dict) -> dict:
        """A place's point: from its postcode if given, else from its latitude and longitude."""
        postcode = self.text(f"{where}/postcode", place.get("postcode"), 10)
        if postcode:
            found = self.locate(f"{where}/postcode", postcode)
            return {"postcode": found[0], "lat": found[1].lat, "lon": found[1].lon} if found else {}
        lat, lon = place.get("lat"), place.get("lon")
        if lat is None and lon is None:
            self.fail(f"{where}/postcode", "give a postcode, or a latitude and longitude")
            return {}
        outside = "must be inside the UK (latitude {:g} to {:g}, longitude {:g} to {:g})".format(*UK_LAT, *UK_LON)
        return {"lat": self.number(f"{where}/lat", lat, *UK_LAT, message=outside),
                "lon": self.number(f"{where}/lon", lon, *UK_LON, message=outside)}

    def equality(self, value) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail("equality", "must be an object")
            return {}
        clean = {}
        for key, answer in value.items():
            if key not in EQUALITY_ANSWERS:
                self.fail("equality", f"{str(key)[:40]!r} is not a monitored characteristic "
                                      f"({', '.join(EQUALITY_ANSWERS)})")
            elif answer not in (None, ""):
                allowed = [code for code, _ in EQUALITY_ANSWERS[key]] + [PREFER_NOT_TO_SAY]
                clean[key] = self.code(f"equality/{key}", answer, allowed)
        return {key: answer for key, answer in clean.items() if answer is not None}

    def areas(self, values) -> list[NamedArea]:
        if values is None:
            return []
        if not isinstance(values, (list, tuple)):
            self.fail("excluded_area_ids", "must be a list")
            return []
        ids = []
        for i, value in enumerate(values):
            if self.number(f"excluded_area_ids/{i}", value, 1, MAX_ID, integer=True, message="is not a named area"):
                ids.append((i, value))
        found = {area.id: area for area in self.session.scalars(
            select(NamedArea).where(NamedArea.id.in_([v for _, v in ids])))} if ids else {}
        for i, value in ids:
            if value not in found:
                self.fail(f"excluded_area_ids/{i}", "is not a named area")
        return list({value: found[value] for _, value in ids if value in found}.values())


def check_details(session: Session, data: dict, *, today: date, geocoder: str = "",
                  current: Household | None = None) -> tuple[CheckedDetails, list[FieldProblem]]:
    """Check a household's details; every problem is returned, each naming its field.

    With ``current`` None the details are a new case's (members and tenure at
    entry are required, the rest default); otherwise only the fields present
    are checked, against the case's other values where two fields depend on
    each other (the address on the tenure, an interpreter on the languages).
    """
    check = Checker(session, today, geocoder)
    unknown = sorted(str(key)[:40] for key in data if key not in DETAIL_FIELDS)
    for key in unknown:
        check.fail(key, "is not a field of a household")
    if current is None:
        data = {**_INTAKE_DEFAULTS, **data}
        data.setdefault("members", None)
        data.setdefault("tenure_at_entry", None)
    values: dict = {}
    home = None
    for key in DETAIL_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key == "members":
            values[key] = check.members(value)
        elif key == "dash_score":
            values[key] = check.number(key, value, 0, 24, integer=True, required=False)
        elif key in ("marac", "interpreter", "consent_to_share", "home_known_to_perpetrator"):
            values[key] = check.boolean(key, value)
        elif key in ("pets", "needs", "languages"):
            allowed = {"pets": Pet, "needs": Feature, "languages": Language}[key].codes()
            values[key] = check.codes(key, value, allowed)
        elif key == "unit_types":
            values[key] = check.codes(key, value, HOUSEHOLD_UNIT_TYPES) or None  # none chosen: any type
        elif key == "tenure_at_entry":
            values[key] = check.code(key, value, Tenure.codes())
        elif key == "equality":
            values[key] = check.equality(value)
        elif key == "excluded_area_ids":
            values["excluded_areas"] = check.areas(value)
        elif key == "address":
            tenure = data.get("tenure_at_entry", current.tenure_at_entry.value if current is not None else None)
            values[key], home = check.address(value, tenure)
        else:
            values[key] = check.places(key, value, prefer=key == "prefer")
    if current is not None and "tenure_at_entry" in data and "address" not in data \
            and current.address is None and values.get("tenure_at_entry") not in (None, Tenure.NO_FIXED_ABODE.value):
        check.fail("address/postcode", "is required: the household's home postcode "
                                       "(leave the address out only for no fixed abode)")
    interpreter = values.get("interpreter", current.interpreter if current is not None else False)
    languages = values.get("languages", current.languages if current is not None else [])
    if interpreter and not [code for code in languages if code != Language.ENGLISH.value]:
        check.fail("languages", "say which language the interpreter is for")
    return CheckedDetails(values, home), check.problems


def apply_details(household: Household, checked: CheckedDetails) -> list[str]:
    """Write checked details to a household; returns the names of the fields set (for the audit)."""
    values = dict(checked.values)
    changed = sorted(values)
    if "members" in values:
        _set_members(household, values.pop("members"))
    if "dash_score" in values or "marac" in values:
        household.set_risk(values.pop("dash_score", household.dash_score), values.pop("marac", household.marac))
    if "tenure_at_entry" in values:
        household.tenure_at_entry = Tenure(values.pop("tenure_at_entry"))
    if "address" in values:
        household.address = values.pop("address")
        household.home_location = checked.home
    for key, value in values.items():
        setattr(household, key, value)
    return changed


def _set_members(household: Household, members: list[dict]) -> None:
    """Update members in place by position, so the (household, position) key is never taken twice."""
    for position, values in enumerate(members):
        if position < len(household.members):
            member = household.members[position]
        else:
            member = Member(position=position)
            household.members.append(member)
        member.name = values["name"]
        member.birth_date = values["birth_date"]
        member.gender = Gender(values["gender"])
    del household.members[len(members):]


# Reading cases --------------------------------------------------------------------------------

def list_cases(session: Session, user, *, reference: str | None = None, risk: str | None = None,
               status: str | None = None, repeat: bool | None = None, mine: bool = False, page: int = 1,
               per_page: int = 25) -> Page:
    """The cases a user may see, newest first, filtered; raises ValidationError on a bad filter."""
    check = Checker(session, today_uk(), "")
    check.code("risk", risk, Risk.codes(), required=False)
    check.code("status", status, CaseStatus.codes(), required=False)
    check.number("page", page, 1, MAX_PAGE, integer=True)
    check.number("per_page", per_page, 1, MAX_PER_PAGE, integer=True)
    reference = check.text("reference", reference, 40)
    if check.problems:
        raise ValidationError("The case list could not be filtered.", check.problems)
    query = select(Household).where(access.household_scope(user))
    if reference:
        query = query.where(Household.reference.startswith(reference.upper(), autoescape=True))
    if risk:
        query = query.where(Household.risk == Risk(risk))
    if status:
        query = query.where(Household.status == CaseStatus(status))
    if repeat is not None:
        has_repeat = Household.referrals.any(Referral.is_repeat.is_(True))
        query = query.where(has_repeat if repeat else ~has_repeat)
    if mine:
        query = query.where(Household.worker_id == user.id)
    query = query.options(selectinload(Household.members), selectinload(Household.referrals)).order_by(
        Household.opened_at.desc(), Household.id.desc())
    return paginate(session, query, page, per_page)


def count_cases(session: Session, user, *, mine: bool = False, risk: Risk | None = None) -> int:
    """How many open cases the user may see (their own with ``mine``; of one risk level with ``risk``)."""
    query = select(func.count()).select_from(Household).where(
        access.household_scope(user), Household.status == CaseStatus.OPEN)
    if mine:
        query = query.where(Household.worker_id == user.id)
    if risk is not None:
        query = query.where(Household.risk == risk)
    return session.scalar(query) or 0


def get_case(session: Session, actor: Actor, household_id: int) -> Household:
    """A case the actor may see, its view audited (AuditAction.VIEW_CASE); NotFound outside their scope."""
    household = access.get_household_for(session, actor.user, household_id)
    audit.record(session, actor, AuditAction.VIEW_CASE, "household", household.id)
    return household


@dataclass(frozen=True)
class CaseView:
    """What the case page shows: the case, what the viewer may see of it, and its reference's other cases."""

    household: Household
    fields: frozenset[str]
    history: list[Household]
    known_to_perpetrator: list[str]  # "home", "prefer" for each place the perpetrator knows (no place itself)


def case_page(session: Session, actor: Actor, household_id: int) -> CaseView:
    """The case page: the case (audited view), the fields the viewer may see, and the reference's history."""
    household = get_case(session, actor, household_id)
    fields = visible_fields(actor.user.role)
    history = []
    if "referrals" in fields:
        history = [h for h in cases_of_reference(session, actor.user, household.reference) if h.id != household.id]
    known = [p["kind"] for p in known_places(household)] if "home_known_to_perpetrator" in fields else []
    return CaseView(household, fields, history, known)


def cases_of_reference(session: Session, user, reference: str) -> list[Household]:
    """Every case of one reference the user may see, newest first: the person's history with the service."""
    return list(session.scalars(
        select(Household).where(Household.reference == reference, access.household_scope(user))
        .options(selectinload(Household.referrals)).order_by(Household.opened_at.desc(), Household.id.desc())))


def area_choices(session: Session) -> list[tuple[int, str]]:
    """The named areas a household may exclude, for forms: (id, name)."""
    return [(area.id, area.name) for area in session.scalars(select(NamedArea).order_by(NamedArea.name))]


# Confidential places ---------------------------------------------------------------------------

def household_places(household: Household) -> dict:
    """The household's sealed places, opened, for service use (the engine adapter, the edit form).

    Returns ``{"address": {...} | None, "home": {"lat", "lon"} | None,
    "avoid": [{"label", "lat", "lon", "km", "postcode"?}],
    "prefer": [{"label", "lat", "lon", "km", "weight", "postcode"?}]}``.
    Not audited: a machine use. A person's view goes through ``reveal_places``.
    """
    return {"address": crypto.unseal(household.address), "home": crypto.unseal(household.home_location),
            "avoid": crypto.unseal(household.avoid) or [], "prefer": crypto.unseal(household.prefer) or []}


def known_places(household: Household) -> list[dict]:
    """The household's places the perpetrator knows, opened: ``[{"kind": "home" | "prefer", "lat", "lon"}]``.

    The home when ``home_known_to_perpetrator``, and each place to stay near marked
    ``known_to_perpetrator`` (entries saved before the flag existed count as secret). A machine use.
    """
    home = crypto.unseal(household.home_location) if household.home_known_to_perpetrator else None
    places = [{"kind": "home", "lat": home["lat"], "lon": home["lon"]}] if home else []
    places += [{"kind": "prefer", "lat": p["lat"], "lon": p["lon"]} for p in crypto.unseal(household.prefer) or []
               if p.get("known_to_perpetrator") is True]
    return places


def reveal_places(session: Session, actor: Actor, household_id: int) -> tuple[Household, dict]:
    """A case and its address and places, for a person to see; audited (AuditAction.VIEW_ADDRESS)."""
    if actor.user is None or not can(actor.user.role, Permission.ADDRESS_VIEW):
        raise Forbidden("You may not see this household's address.")
    household = access.get_household_for(session, actor.user, household_id)
    audit.record(session, actor, AuditAction.VIEW_ADDRESS, "household", household.id)
    return household, household_places(household)


def details_for_edit(session: Session, actor: Actor, household_id: int) -> tuple[Household, dict]:
    """A case and its details in the shape ``update_household`` takes, to fill the edit form.

    The form shows the address and places, so this is an audited view of them (``reveal_places``).
    """
    household, places = reveal_places(session, actor, household_id)
    details = {
        "members": [{"name": m.name, "birth_date": m.birth_date, "gender": m.gender.value} for m in household.members],
        "dash_score": household.dash_score, "marac": household.marac, "pets": list(household.pets),
        "needs": list(household.needs), "languages": list(household.languages), "interpreter": household.interpreter,
        "unit_types": list(household.unit_types or []), "tenure_at_entry": household.tenure_at_entry.value,
        "consent_to_share": household.consent_to_share, "equality": dict(household.equality),
        "excluded_area_ids": [area.id for area in household.excluded_areas],
        "address": places["address"], "home_known_to_perpetrator": household.home_known_to_perpetrator,
        "avoid": places["avoid"], "prefer": places["prefer"],
    }
    return household, details


# Changing a case --------------------------------------------------------------------------------

def _check_open(household: Household) -> None:
    if household.status != CaseStatus.OPEN:
        raise Conflict("The case is closed: reopen it before changing it.")


def update_household(session: Session, actor: Actor, household_id: int, changes: dict, *,
                     geocoder: str = "", now: datetime | None = None) -> Household:
    """Change a household's details (only the fields given); every problem named at once, nothing written."""
    household = access.get_household_for(session, actor.user, household_id)
    _check_open(household)
    checked, problems = check_details(session, changes, today=today_uk(now), geocoder=geocoder, current=household)
    if problems:
        raise ValidationError("The case was not changed.", problems)
    fields = apply_details(household, checked)
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "household", household.id, f"fields={','.join(fields)}")
    return household


ASSESSMENT_QUESTIONS = ("safe_to_stay", "perpetrator_lives_there", "sanctuary_suitable", "perpetrator_would_leave")


def record_assessment(session: Session, actor: Actor, household_id: int, data: dict) -> Assessment:
    """Record a housing needs assessment on an open case; every problem named at once."""
    household = access.get_household_for(session, actor.user, household_id)
    _check_open(household)
    check = Checker(session, today_uk(), "")
    for key in sorted(set(data) - {*ASSESSMENT_QUESTIONS, "options_considered", "notes"}):
        check.fail(str(key)[:40], "is not a field of an assessment")
    answers = {key: check.code(key, data.get(key), AssessmentAnswer.codes()) for key in ASSESSMENT_QUESTIONS}
    options = check.codes("options_considered", data.get("options_considered"), HousingOption.codes())
    if not options and not any(p.field.startswith("options_considered") for p in check.problems):
        check.fail("options_considered", "choose at least one option considered")
    notes = check.text("notes", data.get("notes"), 4000)
    if check.problems:
        raise ValidationError("The assessment was not saved.", check.problems)
    assessment = Assessment(household=household, options_considered=options, notes=notes,
                            assessed_by_id=actor.user_id,
                            **{key: AssessmentAnswer(value) for key, value in answers.items()})
    session.add(assessment)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "assessment", assessment.id, f"household={household.id}")
    return assessment
