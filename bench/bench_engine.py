"""Engine benchmarks: `python bench/bench_engine.py` prints a table.

suggest latency over 10,000 and 50,000 units (pool prepared once), alone and with what a page shows (the
widening and 50 units' own answers), batch 600/800/30 against
HiGHS on the same instance, batch 2,000/3,000 without apart entries, and a growth table.

`python bench/bench_engine.py --quick` measures the engine alone in about a quarter of the time:
suggest over 10,000 units, batch 600/800/30 and the three smaller growth rows (no HiGHS).

`python bench/bench_engine.py --big` instead solves the national scale alone: 20,000 households
and 31,000 units (30 apart entries), printing seconds, status and peak resident memory.

Every batch row gives its objective as high-risk placed / placed / fit, so that two versions of
the engine can be compared on their answers as well as their times.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from engine.generate import Generator, generate  # noqa: E402
from solver import Settings, UnitPool, parse_instance, solve, suggest  # noqa: E402
from solver.batch import build_pairs  # noqa: E402
from solver.branch_and_bound import build_clashes  # noqa: E402
from solver.io import parse_household  # noqa: E402

ROWS: list[tuple[str, str, str]] = []


def row(name: str, value: str, target: str = "") -> None:
    ROWS.append((name, value, target))
    print(f"{name:<48} {value:<34} {target}", flush=True)


def suggest_latency(n_units: int, samples: int = 60) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median and p95 ms of suggest() for households with 2 avoid places, 1 area, 2 prefer places, then of
    suggest() followed by what a page shows: the widening and 50 units' own answers, picked at random
    (distances, and the fit, rank and parts or every rule broken)."""
    g = Generator(seed=n_units)
    pool = UnitPool(parse_instance({"households": [], "units": g.units(n_units)}).units)
    rng = np.random.default_rng(n_units)
    alone, page = [], []
    for k in range(samples):
        data = g.household(f"H{k}")
        data["avoid"] = data["avoid"][:1] + [dict(data["avoid"][0], lat=data["avoid"][0]["lat"] + 0.1)]
        data["exclude_areas"] = [g.area()]
        data["prefer"] = [{"lat": 52.7, "lon": -1.1, "km": 8, "weight": 5, "label": "children's school"},
                          {"lat": 52.9, "lon": -1.2, "km": 5, "weight": 2, "label": "support network"}]
        h = parse_household(data)
        start = time.perf_counter()
        s = suggest(pool, h, top=10)
        alone.append((time.perf_counter() - start) * 1000)
        shown = [pool.ids[j] for j in rng.choice(len(pool), 50, replace=False)]
        start = time.perf_counter()
        [str(w) for w in s.widening]
        [s.units[u] for u in shown]
        page.append(alone[-1] + (time.perf_counter() - start) * 1000)
    return tuple((statistics.median(t), float(np.percentile(t, 95))) for t in (alone, page))


def highs_seconds(instance) -> tuple[float, tuple[int, int]]:
    """The same lexicographic levels 1-2 as one weighted MILP (check_engine's `optimum`), by HiGHS."""
    pool = UnitPool(instance.units)
    pairs = build_pairs(instance, pool)
    clashes = build_clashes(instance, pool, pairs)
    n = pairs.household.size
    rows, cols, r = [], [], 0
    for key in (pairs.household, pairs.unit):  # one unit per household, one household per unit
        for value in np.unique(key):
            members = np.flatnonzero(key == value)
            rows += [r] * members.size
            cols += members.tolist()
            r += 1
    for c in clashes:  # apart: a's pair excludes every clashing pair of b
        rows += [r] * (c.pbs.size + 1)
        cols += [c.pa] + c.pbs.tolist()
        r += 1
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(r, n)).tocsr()
    high = np.array([h.risk == "high" for h in instance.households])[pairs.household]
    weight = high * (len(instance.households) + 1) + 1.0
    start = time.perf_counter()
    res = milp(-weight, constraints=[LinearConstraint(a, -np.inf, 1)], integrality=np.ones(n),
               bounds=Bounds(0, 1), options={"mip_rel_gap": 0, "time_limit": 300})
    x = res.x > 0.5
    return time.perf_counter() - start, (int(x[high].sum()), int(x.sum()))


def batch(households: int, units: int, apart: int, seed: int = 1):
    instance = parse_instance(generate(households, units, apart, seed))
    solution = solve(instance, Settings(time_limit=60))
    return instance, solution


def batch_row(name: str, sol, target: str = "") -> None:
    o = sol.objective
    row(name, f"{sol.seconds:.2f} s, {sol.status.value}, {o.high_risk_placed}/{o.placed}/{o.fit:.2f}, "
        f"fit proved={sol.fit_optimal}", target)


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def big(households: int = 20_000, units: int = 31_000, apart: int = 30, time_limit: float = 900) -> None:
    """The batch at national scale: seconds, status and peak memory (generation and parsing excluded)."""
    start = time.perf_counter()
    instance = parse_instance(generate(households, units, apart, seed=4))
    row(f"generate + parse {households:,}/{units:,}/{apart}", f"{time.perf_counter() - start:.1f} s, "
        f"peak RSS {peak_rss_gib():.2f} GiB")
    sol = solve(instance, Settings(time_limit=time_limit))
    batch_row(f"batch {households:,}/{units:,}/{apart} apart: engine", sol, "proved optimal, < 4 GiB")
    row("peak RSS (whole process)", f"{peak_rss_gib():.2f} GiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", action="store_true", help="only the 20,000 x 31,000 batch")
    parser.add_argument("--quick", action="store_true", help="the engine's rows only, smaller sizes, no HiGHS")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=31_000)
    parser.add_argument("--apart", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"{'measure':<48} {'result':<34} target")
    if args.big:
        big(args.households, args.units, args.apart)
        return 0
    for n, target in ((10_000, 20),) if args.quick else ((10_000, 20), (50_000, 60)):
        (median, p95), (page_median, page_p95) = suggest_latency(n)
        row(f"suggest over {n:,} units (median / p95)", f"{median:.1f} ms / {p95:.1f} ms", f"median <= {target} ms")
        row("  + widening and 50 units' answers (median / p95)", f"{page_median:.1f} ms / {page_p95:.1f} ms",
            f"median <= {target} ms")
    instance, sol = batch(600, 800, 30)
    batch_row("batch 600/800/30 apart: engine", sol, "<= 3 s, proved optimal")
    if not args.quick:
        highs, levels = highs_seconds(instance)
        row("batch 600/800/30 apart: HiGHS (milp)", f"{highs:.2f} s, {levels[0]}/{levels[1]}", "same levels")
        row("batch 600/800/30 apart: HiGHS / engine", f"{highs / sol.seconds:.1f}x", ">= 10x")
        _, sol = batch(2000, 3000, 0, seed=2)
        batch_row("batch 2000/3000 no apart: engine", sol, "<= 5 s, optimal")
    growth = ((100, 150, 5), (300, 400, 15), (1000, 1400, 50))
    for h, u, k in growth if args.quick else growth + ((3000, 4000, 0),):
        _, sol = batch(h, u, k, seed=3)
        batch_row(f"growth {h}/{u}/{k}", sol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
