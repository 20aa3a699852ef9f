"""SafeHome's matching engine: which units each household may take, and the best placements.

A pure package: standard library, numpy, ortools, geopy and shapely only (never flask,
sqlalchemy, marshmallow or safehome). `docs/engine-contract.md` is its contract: the command
line and JSON form, the hard rules, the objective, the fit score (objective level 3 and the
ranking of suggestions, computed in solver.fit) and what this engine adds to the form. This
docstring lists the in-process API, kept stable for `safehome/services/matching.py`, and
where each part lives.

Modules
-------
    domain      the frozen dataclasses in and out, and the errors
    io          the JSON form (parse, write); validate: every problem with its JSON pointer
    rules       hard rules 1-8, each stated once, over a UnitPool of units prepared as arrays
    geo         distances (sphere, then the WGS84 ellipsoid near a threshold) and areas
    fit         the fit score (objective level 3, the ranking of suggestions)
    suggest     one household: the feasible units ranked; reasons: why each other unit is not
    batch       every household at once: the filter, the search loop, the fill (overview there)
    candidates  the feasible pairs as bits, and the pairs the flow models
    flow        the relaxation without apart: a min-cost flow, lexicographic by weights
    branch_and_bound  rule 10 (apart) over the flow, with the repairs that give incumbents
    certify     levels 1-2 proved over every feasible pair by augmenting paths
    explain     why a household was left without a unit
    check       an assignment against rules 1-10
    cli         `python -m solver solve|suggest|check`

In-process API
--------------
Dataclasses in (all frozen, tuples for lists):
    Member(age, gender, label=None)                      label: how reasons name the person ("Sam is 14");
                                                         else "the lead person" / "member 2"
    Place(lat, lon, km, label=None, precision_km=0.0)    an `avoid` entry; rule 7 keeps units least_km
                                                         (km + precision_km) from it
    PreferPlace(lat, lon, km, weight, label=None)        a `prefer` entry
    Area(geometry: dict, label=None)                     an `exclude_areas` entry (GeoJSON)
    Household(id, members, risk='standard', kind='victim', pets=(), needs=(), unit_types=None,
              avoid=(), exclude_areas=(), prefer=(), languages=(), waiting_since=None)
    Unit(id, type, lat, lon, bedspaces, lead_genders, site=None, max_male_age=None,
         pets=(), features=(), languages=())
    Apart(a, b, km=0.0)
    Instance(households, units, apart=(), as_of=None)   as_of dates the waiting term (None: today)
    Settings(time_limit=30.0, fit_time_limit=1.0, max_pairs=2_000_000)
        fit_time_limit: extra seconds for proving level 3 once levels 1-2 are proved
        max_pairs: the most (household, unit) pairs the batch models; beyond it each household
            keeps its best-fitting units, levels 1-2 are still proved over every feasible pair
            (solver.candidates, solver.certify) and fit_optimal is not claimed

Functions:
    validate(instance_or_json) -> list[Problem]            every problem, JSON pointers
    parse_instance(json_obj) -> Instance                   raises InstanceError(problems)
    UnitPool(units)                                        units prepared once as numpy arrays
    suggest(pool_or_instance, household, top=10, as_of=None) -> Suggestions
    feasible_pairs(instance) -> dict[household id, tuple[unit id, ...]]
    check(instance, assignments) -> list[Breach]           rules 1-10 (+ missing/unknown ids)
    solve(instance, settings=Settings()) -> Solution
    solver.io: instance_to_dict, solution_to_dict, suggestions_to_dict, parse_household, read_json

Dataclasses out:
    Problem(pointer, message); InstanceError(problems)     str(problem) == "pointer: message"
    Solution(assignments: {household id: unit id | None}, status: Status, optimal: bool,
             objective: Objective(high_risk_placed, placed, fit), seconds,
             unplaced: {household id: Unplaced(reason, detail, counts)}, fit_optimal: bool)
        status: Status.OPTIMAL (levels 1 and 2 proved), TIMED_OUT (the time limit stopped the
        proof; the best valid assignment found), FEASIBLE, INFEASIBLE (never produced: placing
        nobody is always valid). Unplaced.reason: "no_unit_fits" | "units_taken" | "apart".
    Suggestions(household, feasible, suggestions: tuple[Suggestion(unit, fit, why, distances)],
                ruled_out: {unit id: tuple[Reason]}, counts: {rule: n}, seconds,
                distances: {unit id: tuple[PlaceDistance]})
        ruled_out builds its Reasons lazily, in bulk, on first use; summary() gives lines such
        as "14 units too close to places to avoid". distances covers every unit of the pool
        (fitting or not) and makes a unit's tuple only when asked.
    PlaceDistance(ref, label, km, limit_km, ok)   ref "avoid[0]" / "prefer[1]", avoid entries first;
        km great-circle (as shown to people); limit_km: avoid least_km, prefer its radius km;
        ok: avoid: far enough (rule 7, decided on the geodesic); prefer: within the radius
    Reason(rule, message, ref)   rule in kind, size, lead, males, pets, needs, distance, areas;
                                 str(reason) == "distance: 6.2 km from the perpetrator's home,
                                 needs at least 10 km" (the form of `ruled_out` in JSON)
    Breach(rule, household, unit, message)   rule: a hard-rule code, "unit" (9), "apart" (10), "ids"
"""
from .batch import feasible_pairs, solve
from .check import check
from .domain import (Apart, Area, Breach, Household, Instance, InstanceError, Member, Objective, Place,
                     PlaceDistance, PreferPlace, Problem, Reason, Settings, Solution, Status, Suggestion,
                     Suggestions, Unit, Unplaced)
from .io import parse_instance, validate
from .rules import UnitPool
from .suggest import suggest

__all__ = [
    "Apart", "Area", "Breach", "Household", "Instance", "InstanceError", "Member", "Objective",
    "Place", "PlaceDistance", "PreferPlace", "Problem", "Reason", "Settings", "Solution", "Status", "Suggestion",
    "Suggestions", "Unit", "UnitPool", "Unplaced", "check", "feasible_pairs", "parse_instance",
    "solve", "suggest", "validate",
]
