"""`make bench`: build the scaled demo data, then print a table of figures against the issue's targets.

    python bench/run.py            # full scale: ~50,000 units, 20,000 waiting households, 200,000 closed cases
    python bench/run.py --quick    # a small run (demo scale 2, short loads) to check the bench works
    python bench/run.py --db /tmp/big.db   # keep the SQLite file and reuse it next time (the build takes minutes)

The data is built with the real commands (``flask db upgrade`` then ``flask
demo-data --scale ... --open-scale ... --closed-scale ...``) on a temporary
SQLite file and, when ``TEST_DATABASE_URL`` is set, on a separate PostgreSQL
database ``<that database>_bench`` made on the same server (never the one the
tests use). The reports benchmark's journey rows (bench/bench_reports.py:
placements, installs, outcomes of closed cases) are added so the quarterly
return has something to count.

Figures: the case page, the vacancy board and the suggestion request over HTTP
(wrk against gunicorn as gunicorn.conf.py sets it up, on 127.0.0.1, median and 95th
percentile), 100 connections browsing a mix of pages, the batch match and the
quarterly return in process, the CSV import of 10,000 units, and the resident
memory of a gunicorn worker after the load. ``uptime`` is printed with each run:
on a loaded machine the figures are pessimistic.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The bench modules are loaded by file under their own names, with the repository (not bench/) on the path.
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))


def _bench_module(name: str, filename: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / filename)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench_http = _bench_module("bench_load", "load.py")

FULL = {"scale": 318, "open_scale": 400, "closed_scale": 667}  # 318 x ~157 units, 400 x 50 open, 667 x 300 closed
QUICK = {"scale": 2, "open_scale": 2, "closed_scale": 2}
PASSWORD = "safehome-demo-only"  # the demo default, so a --db kept from a plain demo-data run works
WORKER = "worker@demo.safehome.test"
MANAGER = "manager@demo.safehome.test"
ADMIN = "admin@demo.safehome.test"
IMPORT_UNITS = 10_000
ROWS: list[tuple[str, str, str, str]] = []  # (backend, figure, value, target)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()


def row(backend: str, name: str, value: str, target: str = "") -> None:
    ROWS.append((backend, name, value, target))
    print(f"  {name:<52} {value:<40} {target}", flush=True)


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                   env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def build(env: dict, mix: dict) -> float:
    """Migrate and load the demo data with the real commands; returns the seconds it took."""
    started = time.perf_counter()
    flask(env, "db", "upgrade")
    flask(env, "demo-data", "--scale", str(mix["scale"]), "--open-scale", str(mix["open_scale"]),
          "--closed-scale", str(mix["closed_scale"]))
    return time.perf_counter() - started


def app_for(env: dict):
    from safehome import create_app

    return create_app({"ENV_NAME": "development", "SECRET_KEY": env["SECRET_KEY"],
                       "SAFEHOME_DATA_KEY": env["SAFEHOME_DATA_KEY"],
                       "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})


def add_journey(app) -> bool:
    """The reports benchmark's journey rows for the closed cases (once per database)."""
    if not (BENCH / "bench_reports.py").exists():
        return False
    from safehome.extensions import db

    with app.app_context():
        try:
            _bench_module("bench_reports", "bench_reports.py").add_journey(db.session)
        except Exception as exc:  # noqa: BLE001 -- the reports engineer's script; the return is still timed on the demo's rows
            db.session.rollback()
            print(f"  bench_reports.add_journey failed, the return counts the demo's rows only: "
                  f"{str(exc).splitlines()[0][:200]}", flush=True)
            return False
        db.session.commit()
    return True


def in_process(backend: str, app, quick: bool, http, batch_households: int) -> dict[str, int]:
    """Counts, ``http(waiting household ids)``, the batch match, the quarterly return and the CSV import.

    The HTTP figures come first: on a slow or loaded machine they are the ones most wanted.
    """
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from safehome.codes import CaseStatus
    from safehome.extensions import db
    from safehome.models import Household, Unit, User
    from safehome.services import Actor, inventory, matching, placements, reports_return
    from safehome.services.reports_base import Quarter

    with app.app_context():
        session = db.session
        counts = {"units": session.scalar(select(func.count()).select_from(Unit)),
                  "open": session.scalar(select(func.count()).where(Household.status == CaseStatus.OPEN)),
                  "closed": session.scalar(select(func.count()).where(Household.status == CaseStatus.CLOSED))}
        waiting = list(session.scalars(placements.waiting_households().with_only_columns(Household.id)
                                       .order_by(Household.id).limit(5000)))[::25][:200]
        manager = Actor(session.scalar(select(User).where(User.email == MANAGER)), "bench")
        admin = Actor(session.scalar(select(User).where(User.email == ADMIN)), "bench")
        session.rollback()
        http(waiting)
        cpu_per_request(backend, app, waiting)
        pool_after_changes(backend, session, manager, waiting)

        quarter = Quarter.current().previous()
        times = []
        for _ in range(3 if quick else 5):
            session.expire_all()
            started = time.perf_counter()
            reports_return.quarterly_return(session, quarter)
            times.append(time.perf_counter() - started)
        row(backend, f"quarterly return ({quarter.label}, {counts['open'] + counts['closed']:,} cases)",
            f"median {statistics.median(times):.2f} s, best {min(times):.2f} s", "<= 3 s")
        session.rollback()

        text = import_csv(IMPORT_UNITS // 50 if quick else IMPORT_UNITS)
        started = time.perf_counter()
        try:
            result = inventory.import_units_csv(session, admin, text)
        except inventory.CsvImportError as exc:
            raise RuntimeError(f"the generated CSV was refused: {exc.rows[:5]}") from exc
        took = time.perf_counter() - started
        row(backend, f"CSV import ({result.units:,} units, {result.sites:,} new sites)", f"{took:.1f} s")
        session.rollback()

        # Last, the longest step: by default every waiting household, as the batch page runs it.
        limit = app.config["MATCH_TIME_LIMIT"]
        started = time.perf_counter()
        if batch_households:
            households = list(session.scalars(placements.waiting_households().options(
                selectinload(Household.members), selectinload(Household.excluded_areas))
                .order_by(Household.id).limit(batch_households)))
            answer = matching.solve_batch(session, households, limit)
            done = (answer.households, answer.units, answer.status, len(answer.proposals), answer.seconds)
        else:
            run = placements.execute_batch(session, placements.start_batch(session, manager).id, time_limit=limit)
            done = (run.households, run.units, run.solver_status, len(run.proposals or []), run.seconds)
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        row(backend, f"batch match ({done[0]:,} households, {done[1]:,} free units)",
            f"{took:.1f} s, {done[4]:.1f} s in the engine ({done[2]}, {done[3]:,} proposed); "
            f"peak RSS of the bench process {peak:,} MiB", f"engine limit {limit} s")
        session.rollback()
    return counts


def import_csv(units: int) -> str:
    """``units`` rows for new providers and sites (five units a site, located by postcode and point).

    Victims' sites, at district centres away from the demo's perpetrator sites (the import keeps the
    segregation distance).
    """
    from safehome.services.demo import PERPETRATOR_DISTRICTS

    with (ROOT / "data" / "postcode_districts.csv").open(encoding="utf-8") as f:
        districts = [r for r in csv.DictReader(f) if r["county"] in ("Leicestershire", "Rutland")
                     and r["district"] not in PERPETRATOR_DISTRICTS]
    kinds = (("refuge", "female", "4"), ("dispersed", "female;male", "3"), ("supported", "male", "1"),
             ("emergency", "female;other", "2"), ("move_on", "female;male;other", "4"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["provider", "site", "site_postcode", "site_lat", "site_lon", "unit_name", "type", "bedspaces",
                     "lead_genders", "pets", "features", "status"])
    for i in range(units):
        district = districts[(i // 5) % len(districts)]
        unit_type, genders, beds = kinds[(i // 5) % len(kinds)]
        writer.writerow([f"Bench Import Provider {i // 2000 + 1}", f"Bench site {i // 5 + 1}",
                         f"{district['district']} 1AB", district["lat"], district["lon"], f"Flat {i % 5 + 1}",
                         unit_type, beds, genders, "cat" if i % 7 == 0 else "", "step_free" if i % 3 == 0 else "",
                         "available"])
    return out.getvalue()


def over_http(backend: str, env: dict, waiting: list[int], quick: bool) -> None:
    """wrk against gunicorn: the case page, the vacancy board, suggestions, and 100 connections browsing."""
    seconds = 3 if quick else 10
    token_out = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "create-token", WORKER,
                                "--name", "benchmark", "--days", "1"], cwd=ROOT, env={**os.environ, **env},
                               check=True, capture_output=True, text=True).stdout
    bearer = {"Authorization": "Bearer " + token_out.strip().splitlines()[-1]}
    with bench_http.Server(env) as server:
        browser = bench_http.login(server.base, WORKER, PASSWORD)
        cookie = {"Cookie": bench_http.cookie_header(browser)}
        cases = [f"/households/{h}" for h in waiting]
        boards = ["/units/vacancies", "/units/vacancies?type=refuge", "/units/vacancies?lead_gender=female",
                  "/units/vacancies?type=dispersed&min_bedspaces=3", "/units/vacancies?page=3"]
        suggestions = [f"/api/v1/households/{h}/suggestions" for h in waiting]
        browsing = [p for trio in zip(cases, boards * 40, ["/dashboard", "/households/", "/units/"] * 70)
                    for p in trio]
        for path, headers in ((cases[0], cookie), (boards[0], cookie), (browsing[2], cookie),
                              (browsing[5], cookie), (suggestions[0], bearer)):
            started = time.perf_counter()
            answer = requests_get(server.base + path, headers)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} answered {answer.status_code}")
            if path == suggestions[0]:
                row(backend, "first suggestion request (builds the worker's unit pool)",
                    f"{(time.perf_counter() - started) * 1000:.0f} ms")
        row(backend, "server", f"gunicorn.conf.py: {len(server.worker_pids())} gthread workers, 1 thread each")
        # Every worker builds its unit pool and loads its templates before the timed runs, as a server
        # that has been up a while has. A connection closed after each answer lands on any worker;
        # one kept alive stays on the worker that took it.
        for paths, headers in ((suggestions, bearer), (browsing, cookie)):
            bench_http.load(server.base, paths, {**headers, "Connection": "close"}, connections=8,
                            seconds=3 if quick else 6)
        print(f"  (uptime during the load: {uptime()})", flush=True)
        for name, paths, headers, connections, think, target in (
                ("case page", cases, cookie, 4, None, "p95 <= 150 ms"),
                ("vacancy board", boards, cookie, 4, None, "p95 <= 150 ms"),
                ("suggestions (API, one household)", suggestions, bearer, 4, None, "p95 <= 250 ms"),
                ("100 users browsing (mixed pages, 1-3 s between clicks)", browsing, cookie, 100, (1000, 3000),
                 "no errors, p95 < 500 ms"),
                ("100 connections, no pause (saturation)", browsing, cookie, 100, None, "")):
            result = bench_http.load(server.base, paths, headers, connections=connections, seconds=seconds * 2 if think else seconds,
                                     think_ms=think)
            row(backend, f"{name}, {connections} conn, {seconds * 2 if think else seconds} s",
                f"p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, {result.rate:.0f}/s, "
                f"{result.errors} errors" if result.requests else "no request finished in the time", target)
        row(backend, "memory (RSS) of each gunicorn worker after the load",
            ", ".join(f"{mib} MiB" for mib in server.rss_of_workers()))


def cpu_per_request(backend: str, app, waiting: list[int]) -> None:
    """CPU time of one request in process (Flask's test client, no HTTP): what the load cannot inflate much."""
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "email": WORKER, "password": PASSWORD})
    for name, paths in (("case page", [f"/households/{h}" for h in waiting[:20]]),
                        ("vacancy board", ["/units/vacancies", "/units/vacancies?type=refuge"]),
                        ("suggestions page", [f"/households/{h}/suggestions" for h in waiting[:20]]),
                        ("case list", ["/households/"]), ("dashboard", ["/dashboard"])):
        for path in paths[:2]:
            client.get(path)  # warm: the unit pool and the templates
        times = []
        for i in range(20):
            started = time.process_time()
            answer = client.get(paths[i % len(paths)])
            times.append(time.process_time() - started)
            if answer.status_code != 200:
                raise RuntimeError(f"{paths[i % len(paths)]} answered {answer.status_code}")
        row(backend, f"CPU per request in process: {name}",
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


def pool_after_changes(backend: str, session, actor, waiting: list[int]) -> None:
    """A suggestion right after a unit changed status (the pool is patched), and one with nothing changed."""
    from sqlalchemy import select

    from safehome.codes import UnitStatus
    from safehome.models import Household, Unit
    from safehome.services import inventory, matching

    household = session.get(Household, waiting[0])
    matching.suggest(session, household)
    units = list(session.scalars(select(Unit).where(Unit.status == UnitStatus.AVAILABLE).limit(10)))
    changed, unchanged = [], []
    for unit in units:
        inventory.change_status(session, actor, unit, UnitStatus.VOID)
        started = time.perf_counter()
        matching.suggest(session, household)
        changed.append(time.perf_counter() - started)
        started = time.perf_counter()
        matching.suggest(session, household)
        unchanged.append(time.perf_counter() - started)
    session.rollback()
    matching.forget_pools()
    row(backend, "suggestion in process, right after a unit changed status",
        f"median {statistics.median(changed) * 1000:.0f} ms, max {max(changed) * 1000:.0f} ms")
    row(backend, "suggestion in process, nothing changed",
        f"median {statistics.median(unchanged) * 1000:.0f} ms, max {max(unchanged) * 1000:.0f} ms")


def requests_get(url: str, headers: dict):
    import requests

    return requests.get(url, headers=headers, timeout=120, allow_redirects=False)


def bench_backend(backend: str, env: dict, mix: dict, quick: bool, fresh: bool, journey_marker: Path,
                  plans: bool, batch_households: int) -> None:
    print(f"\n== {backend} ==  ({uptime()})", flush=True)
    app = app_for(env)
    built = fresh
    if fresh:
        row(backend, "build (db upgrade + demo-data)", f"{build(env, mix):.0f} s")
    if not journey_marker.exists():
        started = time.perf_counter()
        if add_journey(app):
            journey_marker.touch()
            built = True
            row(backend, "journey rows for the closed cases (bench_reports)",
                f"{time.perf_counter() - started:.0f} s")
    if built:
        settle(app)
    if plans:
        _bench_module("bench_plans", "plans.py").show_plans(app, WORKER)
    counts = in_process(backend, app, quick, http=lambda ids: over_http(backend, env, ids, quick),
                        batch_households=batch_households)
    row(backend, "data", f"{counts['units']:,} units, {counts['open']:,} open, {counts['closed']:,} closed cases")


def settle(app) -> None:
    """PostgreSQL: vacuum and analyze the data just built, as autovacuum does on a database that has run a
    while; otherwise the first figures would measure plans made on the empty tables' statistics."""
    from safehome.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def postgres_env(base: dict, url: str) -> dict:
    """A fresh database ``<name>_bench`` beside the tests' one (dropped and made again)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_bench"
    admin_url = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return {**base, "DATABASE_URL": parsed.set(database=name).render_as_string(hide_password=False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run: demo scale 2, 3 s loads")
    parser.add_argument("--db", type=Path, help="SQLite file to keep and reuse (built if missing)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if TEST_DATABASE_URL is set")
    parser.add_argument("--only-postgres", action="store_true", help="skip SQLite")
    parser.add_argument("--batch-households", type=int, default=0,
                        help="the batch match takes the oldest this many waiting households (0, the default: all of "
                             "them, as the batch page does)")
    parser.add_argument("--plans", action="store_true", help="also print the query plans of the board and case list")
    for name in ("scale", "open_scale", "closed_scale"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, help=f"the demo's --{name.replace('_', '-')} "
                            f"instead of the full mix's {FULL[name]}")
    args = parser.parse_args()
    mix = {name: getattr(args, name) or value for name, value in (QUICK if args.quick else FULL).items()}
    print(f"SafeHome benchmark: {os.cpu_count()} CPUs, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB memory; {uptime()}")
    if args.db and args.db.exists():
        print(f"reusing {args.db} as built (the 'data' row says what it holds)")
    else:
        print(f"demo mix: --scale {mix['scale']} --open-scale {mix['open_scale']} --closed-scale {mix['closed_scale']}")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "bench.db"
        key_file = db_path.with_suffix(".key")
        from safehome.config import new_data_key

        fresh = not db_path.exists()
        if fresh or not key_file.exists():
            key_file.write_text(new_data_key())
        env = {"SAFEHOME_ENV": "development", "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
               "SAFEHOME_DATA_KEY": key_file.read_text().strip(), "SAFEHOME_DEMO_PASSWORD": PASSWORD,
               "DATABASE_URL": f"sqlite:///{db_path}"}
        if not args.only_postgres:
            journey = db_path.with_suffix(".journey")
            if fresh:
                journey.unlink(missing_ok=True)
            bench_backend("SQLite", env, mix, args.quick, fresh, journey, args.plans, args.batch_households)
        url = os.environ.get("TEST_DATABASE_URL")
        if url and not args.no_postgres:
            bench_backend("PostgreSQL", postgres_env(env, url), mix, args.quick, True, Path(tmp) / "pg.journey",
                          args.plans, args.batch_households)
    print("\n| database | figure | measured | target |\n|---|---|---|---|")
    for backend, name, value, target in ROWS:
        print(f"| {backend} | {name} | {value} | {target} |")
    print(f"\nfinished: {uptime()}")


if __name__ == "__main__":
    main()
