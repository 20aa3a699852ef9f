"""SafeHome's matching engine: which units each household may take, and the best placements.

A pure package: standard library, numpy, ortools, geopy and shapely only (never flask,
sqlalchemy, marshmallow or safehome). `docs/engine-contract.md` is its contract: the command
line and JSON form, the hard rules, the objective, and what this engine adds to the form. This
docstring defines the fit score (objective level 3 and the ranking of suggestions, computed in
solver.fit; the contract points here) and lists the in-process API, kept stable for
`safehome/services/matching.py`, and where each part lives.

Fit score
---------
The fit of household h in unit u, in points, is the sum of its parts (FitPart.name in brackets):

    fit(h, u) = R(h) + 0.1 * days(h) + M(h) * (P_1(h, u) + ... + P_k(h, u)) + M(h) * 3 * L(h, u) - E(h, u)

    R(h)        [risk] risk bonus: high 10, medium 5, standard 0
    days(h)     [waiting] whole days from waiting_since to the instance's as_of (today where None);
                0 without waiting_since or when it is later
    P_i(h, u)   [prefer, ref "prefer[i]", one part per prefer entry] weight_i * (1 - d / (2 * km_i))
                when d <= km_i, else 0: full weight at the place, half at the edge of its radius.
                d is the great-circle distance from u to the entry on a sphere of radius
                6371.0088 km (haversine); an entry with km 0 gives its weight only at d = 0
    L(h, u)     [languages] how many of h's languages (each counted once) the unit's staff speak
    E(h, u)     [wasted_bedspaces] bedspaces(u) - members(h), the bedspaces left empty (>= 0 in
                any unit h may take, by rule 2), 1 point each
    M(h)        risk factor: high 1.5, medium 1.25, standard 1.0, so better-fitting units go to
                higher risk

Each part (R, 0.1 * days, each M * P_i, M * 3 * L, -E) is rounded to hundredths of a point
(half to even) and the fit is their sum, so the parts shown always add up to the fit exactly
and the batch adds whole hundredths. The fit may be negative.

Why 1 point per empty bedspace, the same at every risk: a unit much larger than the household
needs costs another family a place, whoever leaves it empty. Three empty bedspaces weigh as
much as one staff language (3 points) or a place to stay near of the default importance (3)
at its centre, so the term chooses between otherwise similar units without overriding what the
household asked for; and in the batch the wasted bedspaces of all placements add up to the
bedspaces of the units used less the people placed, so maximising the total fit keeps large
units for large families.

Ranking (suggestions, UnitAnswer.rank): higher fit first; among equal fits, fewer wasted
bedspaces, then nearer the nearest prefer entry (great circle; no key without prefer entries),
then the unit id in code-point order. Every key is a number or a string's order, never a hash,
so the ranking is the same on every run and in every process.

Widening
--------
What would widen the choice (Suggestions.widening, solver.widen): for each hard rule a
caseworker may change, how many more units would fit with that one change. She may change what
the household asks: accept one more unit type (rule 1's `unit_types`; never the victim /
perpetrator split), place one pet elsewhere (every entry of that pet), lower one avoid entry's
`km` (its `precision_km` stays: it is what is known of the place), drop one excluded area. She
cannot change size, lead, males (facts about the people) nor needs (the access and funding the
people need). A unit counts under a change only when that change's item is the only one it
breaks (a unit too close to two avoid places, or of a type not accepted and not taking the dog,
fits only with both changed and counts under neither), so every count is exactly how many more
units `suggest` finds with that change made; all are counted in one pass over the rule results
suggest already has. A lowered distance is given in steps: each whole km k (below the entry's km,
>= 0) that admits more units than k + 1 does, largest first, with how many more units fit at k
in all (the largest k that admits a unit is floor(geodesic - precision_km), decided exactly as
rule 7 decides). Options come in the order of the rules (kind, pets, distance, areas), then of
the household's entries; a change that lets nothing more in is listed with 0.

Modules
-------
    domain      the frozen dataclasses in and out, and the errors
    io          the JSON form (parse, write); validate: every problem with its JSON pointer
    rules       hard rules 1-8, each stated once, over a UnitPool of units prepared as arrays
    geo         distances (sphere, then the WGS84 ellipsoid near a threshold) and areas
    fit         the fit score, part by part (objective level 3, the ranking of suggestions)
    suggest     one household: the feasible units ranked; reasons: why each other unit is not
    answers     one household: every unit's own answer (fit and parts, or reasons) and distances
    widen       one household: how many more units each change a caseworker may make lets fit
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
    Suggestions(household, feasible, suggestions: tuple[Suggestion], ruled_out: {unit id: tuple[Reason]},
                counts: {rule: n}, seconds, units: {unit id: UnitAnswer},
                distances: {unit id: tuple[PlaceDistance]}, widening: tuple[Widening])
        suggestions: the best `top` fitting units in ranking order. ruled_out builds its Reasons
        lazily, in bulk, on first use; summary() gives lines such as "14 units too close to
        places to avoid". units and distances cover every unit of the pool (fitting or not)
        and make a unit's answer only when asked, so a page of 50 units words 50 answers.
    Suggestion(unit, fit, why, parts: tuple[FitPart], distances: tuple[PlaceDistance])
        why: what earns the fit, for people ("2.1 km from the children's school", "staff speak
        Punjabi", "waiting 12 days", "high risk"); parts: the fit term by term
    UnitAnswer(unit, fits, fit, rank, parts, reasons, distances)   one unit's own answer: where it
        fits, its fit, its rank among the fitting units (from 1) and its parts; where not, every
        rule it breaks (reasons, as in ruled_out)
    FitPart(name, points, text, ref=None)   name risk | waiting | prefer (ref "prefer[i]") |
        languages (only when the household asks for any) | wasted_bedspaces; points in hundredths;
        text e.g. "2.1 km from the children's school, within 5 km", "2 bedspaces empty (4 for
        2 people)"; a unit's parts sum to its fit exactly
    Widening(rule, item, label, more, steps: tuple[DistanceStep(km, more)])   one change (see
        "Widening" above): rule "kind" with item the unit type to accept, "pets" with the pet,
        "distance" with the avoid entry's ref ("avoid[0]"), "areas" with the area's ref
        ("exclude_areas[1]"); label for people; more: units that fit with it (distance: at the
        lowest step); str(w) == "at 47 km from the perpetrator's home, 3 more units fit; at 30
        km, 8 more" / "accepting dispersed units: 2 more units fit"
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
from .domain import (Apart, Area, Breach, DistanceStep, FitPart, Household, Instance, InstanceError, Member,
                     Objective, Place, PlaceDistance, PreferPlace, Problem, Reason, Settings, Solution, Status,
                     Suggestion, Suggestions, Unit, UnitAnswer, Unplaced, Widening)
from .io import parse_instance, validate
from .rules import UnitPool
from .suggest import suggest

__all__ = [
    "Apart", "Area", "Breach", "DistanceStep", "FitPart", "Household", "Instance", "InstanceError", "Member",
    "Objective", "Place", "PlaceDistance", "PreferPlace", "Problem", "Reason", "Settings", "Solution", "Status",
    "Suggestion", "Suggestions", "Unit", "UnitAnswer", "UnitPool", "Unplaced", "Widening", "check",
    "feasible_pairs", "parse_instance", "solve", "suggest", "validate",
]
