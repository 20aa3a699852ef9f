"""Random East-Midlands-shaped `safehome-instance/1` instances, for benchmarks, CI and checks.

    python bench/engine/generate.py --households N --units M --apart K --seed S [--approximate] -o FILE

Units cluster around towns (lat 52.3-53.0, lon -1.6 to -0.6); refuges are several rooms on
one site; a few units and households are perpetrator accommodation; households avoid places
5-30 km away, some exclude an area (a polygon, one with a hole, or a multipolygon) and prefer
a place or two. With --approximate, half the avoid places are known only to within 0.5-5 km
(`precision_km`), drawn from a second stream so that everything else is as without it. The same
arguments always give the same instance.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

import numpy as np

TOWNS = [  # (name, lat, lon, weight)
    ("Nottingham", 52.954, -1.158, 5), ("Leicester", 52.636, -1.133, 5), ("Derby", 52.922, -1.476, 4),
    ("Loughborough", 52.772, -1.206, 2), ("Corby", 52.488, -0.701, 1), ("Kettering", 52.398, -0.726, 1),
    ("Melton Mowbray", 52.766, -0.887, 1), ("Grantham", 52.912, -0.642, 1), ("Hinckley", 52.541, -1.373, 1),
    ("Market Harborough", 52.477, -0.921, 1), ("Coalville", 52.723, -1.370, 1), ("Newark", 52.97, -0.81, 1),
]
LANGUAGES = ["Punjabi", "Polish", "Urdu", "Gujarati", "Arabic", "Romanian"]
FEATURES = ["wheelchair", "step_free", "nrpf"]
PETS = ["dog", "cat"]
VICTIM_TYPES = ["refuge", "emergency", "supported", "dispersed", "move_on"]
AS_OF = date(2025, 11, 1)


class Generator:
    """One instance's worth of random choices, drawn in a fixed order from one seed."""

    def __init__(self, seed: int, approximate: bool = False):
        self.rng = np.random.default_rng(seed)
        self.precision = np.random.default_rng([seed, 1]) if approximate else None
        weights = np.array([t[3] for t in TOWNS], dtype=float)
        self.town_p = weights / weights.sum()

    def point(self, spread: float = 0.04) -> tuple[float, float]:
        name, lat, lon, _ = TOWNS[self.rng.choice(len(TOWNS), p=self.town_p)]
        lat = float(np.clip(lat + self.rng.normal(0, spread), 52.3, 53.0))
        lon = float(np.clip(lon + self.rng.normal(0, spread * 1.6), -1.6, -0.6))
        return round(lat, 6), round(lon, 6)

    def some(self, items: list[str], p: float) -> list[str]:
        return [x for x in items if self.rng.random() < p]

    def units(self, n: int) -> list[dict]:
        units: list[dict] = []
        site = 0
        while len(units) < n:
            site += 1
            roll = self.rng.random()
            lat, lon = self.point()
            languages = self.some(LANGUAGES, 0.12)
            if roll < 0.06:
                kind, rooms = "perpetrator", int(self.rng.integers(1, 4))
            elif roll < 0.36:
                kind, rooms = "refuge", int(self.rng.integers(3, 9))
            else:
                kind, rooms = str(self.rng.choice(VICTIM_TYPES[1:])), int(self.rng.integers(1, 3))
            for r in range(min(rooms, n - len(units))):
                units.append(self.unit(f"U{len(units) + 1}", f"S{site}", kind, lat, lon, languages, rooms))
        return units

    def unit(self, uid: str, site: str, kind: str, lat: float, lon: float, languages: list[str],
             rooms: int) -> dict:
        unit = {"id": uid, "type": kind, "lat": lat, "lon": lon, "bedspaces": int(self.rng.integers(1, 6)),
                "pets": self.some(PETS, 0.2), "features": self.some(FEATURES, 0.25), "languages": languages}
        if rooms > 1:
            unit["site"] = site
        if kind == "refuge":
            unit.update(lead_genders=["female"], max_male_age=int(self.rng.choice([12, 14, 16])))
        elif kind == "perpetrator":
            unit.update(lead_genders=["male"] if self.rng.random() < 0.8 else ["male", "female", "other"],
                        max_male_age=None, bedspaces=int(self.rng.integers(1, 3)))
        else:
            unit.update(lead_genders=["female", "male", "other"],
                        max_male_age=None if self.rng.random() < 0.8 else 16)
        return unit

    def area(self) -> dict:
        lat, lon = self.point(0.02)
        r = float(self.rng.uniform(0.03, 0.12))
        ring = [[round(lon + dx * r * 1.6, 6), round(lat + dy * r, 6)] for dx, dy in
                [(-1, -1), (1, -1), (1.2, 0.3), (1, 1), (-1, 1), (-1, -1)]]
        roll = self.rng.random()
        if roll < 0.3:  # with a hole
            hole = [[round(lon + dx * r * 0.5, 6), round(lat + dy * r * 0.3, 6)] for dx, dy in
                    [(-1, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)]]
            return {"type": "Polygon", "coordinates": [ring, hole], "label": "area with a park"}
        if roll < 0.5:
            other = [[x + 0.5, y] for x, y in ring]
            return {"type": "MultiPolygon", "coordinates": [[ring], [other]], "label": "two districts"}
        return {"type": "Polygon", "coordinates": [ring]}

    def household(self, hid: str) -> dict:
        rng = self.rng
        perpetrator = rng.random() < 0.08
        if perpetrator:
            members = [{"age": int(rng.integers(18, 60)), "gender": "male"}]
        else:
            lead = str(rng.choice(["female", "male", "other"], p=[0.86, 0.11, 0.03]))
            members = [{"age": int(rng.integers(17, 65)), "gender": lead}]
            members += [{"age": int(rng.integers(0, 18)), "gender": str(rng.choice(["female", "male"]))}
                        for _ in range(int(rng.choice([0, 0, 1, 1, 2, 3])))]
        h = {"id": hid, "kind": "perpetrator" if perpetrator else "victim",
             "risk": str(rng.choice(["high", "medium", "standard"], p=[0.25, 0.35, 0.4])),
             "members": members, "pets": self.some(PETS, 0.06), "needs": self.some(FEATURES, 0.05),
             "languages": self.some(LANGUAGES, 0.05),
             "waiting_since": (AS_OF - timedelta(days=int(rng.integers(0, 120)))).isoformat()}
        if not perpetrator and rng.random() < 0.2:
            h["unit_types"] = self.some(VICTIM_TYPES, 0.6) or ["refuge"]
        labels = ["perpetrator's home", "perpetrator's work", "perpetrator's family"]
        h["avoid"] = []
        for k in range(int(rng.integers(1, 3))):
            lat, lon = self.point()
            place = {"lat": lat, "lon": lon, "km": round(float(rng.uniform(5, 30)), 1)}
            if rng.random() < 0.7:
                place["label"] = labels[k]
            if self.precision is not None and self.precision.random() < 0.5:
                place["precision_km"] = round(float(self.precision.uniform(0.5, 5)), 1)
            h["avoid"].append(place)
        h["exclude_areas"] = [self.area()] if rng.random() < 0.15 else []
        h["prefer"] = []
        for label in ["children's school", "support network"][: int(rng.integers(0, 3))]:
            lat, lon = self.point()
            h["prefer"].append({"lat": lat, "lon": lon, "km": round(float(rng.uniform(3, 15)), 1),
                                "weight": int(rng.integers(1, 11)), "label": label})
        return h

    def apart(self, households: list[dict], k: int) -> list[dict]:
        if len(households) < 2:
            return []
        entries, seen = [], set()
        for _ in range(k * 3):
            if len(entries) == k:
                break
            a, b = (int(x) for x in self.rng.choice(len(households), 2, replace=False))
            if (a, b) in seen or (b, a) in seen:
                continue
            seen.add((a, b))
            entries.append({"a": households[a]["id"], "b": households[b]["id"],
                            "km": float(self.rng.choice([0, 5, 10, 15, 20]))})
        return entries


def generate(households: int, units: int, apart: int = 0, seed: int = 0, approximate: bool = False) -> dict:
    """A `safehome-instance/1` object."""
    g = Generator(seed, approximate)
    unit_list = g.units(units)
    household_list = [g.household(f"H{i + 1}") for i in range(households)]
    return {"format": "safehome-instance/1", "as_of": AS_OF.isoformat(), "households": household_list,
            "units": unit_list, "apart": g.apart(household_list, apart)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--apart", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--approximate", action="store_true", help="some avoid places carry a precision_km")
    parser.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    text = json.dumps(generate(args.households, args.units, args.apart, args.seed, args.approximate))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
