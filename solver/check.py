"""Checking an assignment against every hard rule, 1-10."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import geo
from .domain import Breach, Instance, InstanceError
from .io import validate
from .rules import UnitPool
from .reasons import reasons_for


def check(instance: Instance, assignments: Mapping[str, str | None]) -> list[Breach]:
    """Every breach of rules 1-10 in `assignments` (household id -> unit id or None).

    Also reports households missing from the assignments and unknown ids (rule "ids").
    """
    found = validate(instance)
    if found:
        raise InstanceError(found)
    pool = UnitPool(instance.units)
    households = {h.id: h for h in instance.households}
    breaches = [Breach("ids", hid, None, "missing from assignments") for hid in households if hid not in assignments]
    placed: dict[str, int] = {}
    holder: dict[str, str] = {}
    for hid, uid in assignments.items():
        if uid is None:
            continue
        if hid not in households or uid not in pool.index:
            breaches.append(Breach("ids", hid, uid, "unknown household or unit"))
            continue
        j = pool.index[uid]
        screen = pool.screen(households[hid])
        if not screen.feasible[j]:
            for reason in reasons_for(pool, households[hid], screen, np.array([j]))[j]:
                breaches.append(Breach(reason.rule, hid, uid, reason.message))
        # Rule 9: one household per unit.
        if uid in holder:
            breaches.append(Breach("unit", hid, uid, f"unit already given to {holder[uid]}"))
        holder.setdefault(uid, hid)
        placed[hid] = j
    # Rule 10: both ends of an apart entry placed must be on different sites and far enough apart.
    for e, entry in enumerate(instance.apart):
        if entry.a in placed and entry.b in placed:
            ja, jb = placed[entry.a], placed[entry.b]
            clash = geo.same_site_or_near(pool.site[[ja]], pool.points[[ja]], pool.site[[jb]], pool.points[[jb]],
                                          entry.km)[0, 0]
            if clash:
                breaches.append(Breach("apart", entry.a, None,
                                       f"apart entry {e}: {entry.a} and {entry.b} are on one site or under "
                                       f"{entry.km:g} km apart"))
    return breaches
