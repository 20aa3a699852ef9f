"""The engine's frozen dataclasses: what goes in, what comes out, and its errors."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

GENDERS = ("female", "male", "other")
RISKS = ("high", "medium", "standard")
KINDS = ("victim", "perpetrator")
UNIT_TYPES = ("refuge", "emergency", "supported", "dispersed", "move_on", "perpetrator")
# Stable codes of the hard rules 1-8, in the contract's order; rules 9-10 are "unit" and "apart".
RULES = ("kind", "size", "lead", "males", "pets", "needs", "distance", "areas")


@dataclass(frozen=True)
class Member:
    """One person of a household; the first member of a household is its lead.

    `label` names the person in reasons ("Sam is 14"); without it they are "the lead person"
    or "member 2" (their position, from 1).
    """

    age: int
    gender: str
    label: str | None = None


@dataclass(frozen=True)
class Place:
    """A point a unit must keep at least `least_km` (geodesic) from; `label` names it for caseworkers.

    `precision_km` is how far the true place may be from the point given (a postcode
    district's centre, say): a unit must then be `km` from every point it could be.
    """

    lat: float
    lon: float
    km: float
    label: str | None = None
    precision_km: float = 0.0

    @property
    def least_km(self) -> float:
        """Rule 7's threshold: `km` plus `precision_km`."""
        return self.km + self.precision_km


@dataclass(frozen=True)
class PreferPlace:
    """A point that makes units within `km` of it a better fit, by `weight`."""

    lat: float
    lon: float
    km: float
    weight: float
    label: str | None = None


@dataclass(frozen=True)
class Area:
    """A GeoJSON Polygon or MultiPolygon (lon, lat) a unit must not be inside or on the edge of."""

    geometry: Mapping[str, Any] = field(hash=False)
    label: str | None = None

    @cached_property
    def shape(self):
        """The prepared shapely geometry (built once per Area)."""
        import shapely
        from shapely.geometry import shape

        geom = shape(self.geometry)
        shapely.prepare(geom)
        return geom


@dataclass(frozen=True)
class Household:
    """A household asking for a unit; docs/engine-contract.md gives each field's meaning."""

    id: str
    members: tuple[Member, ...]
    risk: str = "standard"
    kind: str = "victim"
    pets: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    unit_types: tuple[str, ...] | None = None
    avoid: tuple[Place, ...] = ()
    exclude_areas: tuple[Area, ...] = ()
    prefer: tuple[PreferPlace, ...] = ()
    languages: tuple[str, ...] = ()
    waiting_since: date | None = None


@dataclass(frozen=True)
class Unit:
    """One unit (a refuge room, a flat, a bedsit); it takes at most one household."""

    id: str
    type: str
    lat: float
    lon: float
    bedspaces: int
    lead_genders: tuple[str, ...]
    site: str | None = None
    max_male_age: int | None = None
    pets: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def site_id(self) -> str:
        """The site the unit stands on: its own id where no site is given."""
        return self.id if self.site is None else self.site


@dataclass(frozen=True)
class Apart:
    """Households `a` and `b`, if both placed, must be on different sites at least `km` apart."""

    a: str
    b: str
    km: float = 0.0


@dataclass(frozen=True)
class Instance:
    """Everything one batch or suggestion needs. `as_of` dates the waiting term (default today)."""

    households: tuple[Household, ...]
    units: tuple[Unit, ...]
    apart: tuple[Apart, ...] = ()
    as_of: date | None = None


@dataclass(frozen=True)
class Settings:
    """How long `solve` may work, and how much it may model.

    `time_limit` bounds the whole solve; `fit_time_limit` bounds the extra search for the best
    fit (level 3) once levels 1 and 2 are proved. `max_pairs` bounds the (household, unit) pairs
    the flow models: above it each household keeps its best `max_pairs // households` feasible
    units and levels 1-2 are still proved over every feasible pair (see solver.candidates).
    The search is single-threaded and deterministic: no worker count, no seed.
    """

    time_limit: float = 30.0
    fit_time_limit: float = 1.0
    max_pairs: int = 2_000_000


class Status(str, enum.Enum):
    """How far `solve` got: `optimal` means levels 1 and 2 were proved optimal."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a valid assignment, no proof, the time limit was not the cause
    TIMED_OUT = "timed_out"  # the time limit stopped the proof; the best assignment found is returned
    INFEASIBLE = "infeasible"  # cannot happen (placing nobody keeps every rule); kept for honesty


@dataclass(frozen=True)
class Objective:
    """The three levels of the batch objective; `fit` is in points (two decimals)."""

    high_risk_placed: int
    placed: int
    fit: float


@dataclass(frozen=True)
class Unplaced:
    """Why a household got no unit: `no_unit_fits`, `units_taken` or `apart`."""

    reason: str
    detail: str
    counts: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Solution:
    """A batch result. `fit_optimal` says whether level 3 was proved too."""

    assignments: Mapping[str, str | None]
    status: Status
    optimal: bool
    objective: Objective
    seconds: float
    unplaced: Mapping[str, Unplaced]
    fit_optimal: bool = False


@dataclass(frozen=True)
class Reason:
    """One hard rule a unit breaks for a household: `rule` is a code from RULES, `message` for people."""

    rule: str
    message: str
    ref: str | None = None  # which avoid place or area, e.g. "avoid[0]"

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class PlaceDistance:
    """How far a unit is from one of the household's own places (an `avoid` or a `prefer` entry).

    `km` is the great-circle distance shown to people; `limit_km` the entry's threshold (avoid:
    `least_km`, km + precision_km; prefer: its radius `km`); `ok` whether the unit meets it
    (avoid: rule 7, decided on the geodesic; prefer: within the radius).
    """

    ref: str  # "avoid[0]", "prefer[1]"
    label: str  # the entry's label, else its ref
    km: float
    limit_km: float
    ok: bool


@dataclass(frozen=True)
class FitPart:
    """One named term of a unit's fit, in points (hundredths); a unit's parts sum to its fit exactly.

    `name` is one of "risk", "waiting", "prefer" (one part per prefer entry, `ref` "prefer[0]"),
    "languages", "wasted_bedspaces"; `text` says it for people ("2.1 km from the children's school").
    """

    name: str
    points: float
    text: str
    ref: str | None = None

    def __str__(self) -> str:
        return f"{self.points:+.2f} {self.text}"


@dataclass(frozen=True)
class Suggestion:
    """A feasible unit with its fit, the reasons it fits well, the fit's parts and its distances."""

    unit: str
    fit: float
    why: tuple[str, ...]
    parts: tuple[FitPart, ...] = ()
    distances: tuple[PlaceDistance, ...] = ()


@dataclass(frozen=True)
class UnitAnswer:
    """One unit's own answer for a household: it fits (fit, rank, parts) or it does not (every rule it breaks).

    `rank` is the unit's place among the units that fit, from 1, in the order suggestions use.
    """

    unit: str
    fits: bool
    fit: float | None
    rank: int | None
    parts: tuple[FitPart, ...]
    reasons: tuple[Reason, ...]
    distances: tuple[PlaceDistance, ...]


@dataclass(frozen=True)
class DistanceStep:
    """With an avoid entry's `km` lowered to `km` (whole kilometres), `more` more units fit."""

    km: float
    more: int


@dataclass(frozen=True)
class Widening:
    """One change a caseworker may make to the household's hard rules, and how many more units it lets fit.

    `rule` and `item`: "kind" and a unit type to accept as well; "pets" and a pet to place
    elsewhere; "distance" and an avoid entry's ref ("avoid[0]") whose km is lowered; "areas" and
    an exclude_areas entry's ref dropped. `label` names the item for people. `more` counts the
    units that break that item and nothing else (for "distance": at its lowest step); `steps`
    (distance only) give each whole km that admits more units, the least change first.
    """

    rule: str
    item: str
    label: str
    more: int
    steps: tuple[DistanceStep, ...] = ()

    def __str__(self) -> str:
        from .widen import widening_text

        return widening_text(self)


@dataclass(frozen=True)
class Suggestions:
    """The units for one household: how many fit, the best few, and why every other one is ruled out.

    `ruled_out` maps each infeasible unit's id to its reasons; it builds them lazily, on access.
    `counts` gives how many units break each rule (a unit breaking two rules counts in both).
    `units` maps every unit's id to its own answer (UnitAnswer), `distances` to its distances from
    the household's places; both make a unit's answer only when asked. `widening` lists the
    changes a caseworker may make to the household's rules, each with how many more units fit.
    """

    household: str
    feasible: int
    suggestions: tuple[Suggestion, ...]
    ruled_out: Mapping[str, tuple[Reason, ...]] = field(hash=False)
    counts: Mapping[str, int] = field(hash=False)
    seconds: float
    units: Mapping[str, UnitAnswer] = field(default_factory=dict, hash=False)
    distances: Mapping[str, tuple[PlaceDistance, ...]] = field(default_factory=dict, hash=False)
    widening: tuple[Widening, ...] = ()

    def summary(self) -> list[str]:
        """Caseworker lines grouping the ruled-out units by rule, most first."""
        from .reasons import summary_line

        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], RULES.index(kv[0])))
        return [summary_line(rule, n) for rule, n in ranked if n]


@dataclass(frozen=True)
class Breach:
    """A hard rule an assignment breaks (rules 1-8 by their codes, `unit` for 9, `apart` for 10)."""

    rule: str
    household: str | None
    unit: str | None
    message: str

    def __str__(self) -> str:
        who = " -> ".join(x for x in (self.household, self.unit) if x)
        return f"{who}: {self.rule}: {self.message}" if who else f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class Problem:
    """One problem in an instance, named by its JSON pointer."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}"


class InstanceError(ValueError):
    """An instance is invalid; `problems` lists every problem found, each with its JSON pointer."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
