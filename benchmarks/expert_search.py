"""Expert search on a registry of 10,000 experts: latency per query kind, SQLite and PostgreSQL.

    python -m benchmarks.expert_search [--experts 10000] [--queries 200]
                                       [--databases sqlite,postgresql] [--explain] [--gc-freeze]

For each database: migrate a fresh schema (flask_migrate.upgrade), load the reference data and
the deterministic demo registry, get an admin bearer token, then time GET /api/v1/experts through
the Flask test client (routing, auth, argument parsing, SQL, serialisation, JSON) for a mix of
realistic searches, and the service alone (`search` + `page_of`, no HTTP, no serialisation).
Each kind is warmed up first; the tables are markdown, ready for docs/benchmarks.md.

The target (from the issue) is p95 < 30 ms per query. This is a measurement, not a test: it
asserts nothing and exits 0.
"""

import argparse
import gc
import math
import os
import platform
import sys
import time
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import event, text

from benchmarks.databases import each_database

PG_DATABASE = "bench_registry"
TARGET_P95_MS = 30.0


@dataclass
class Kind:
    """One kind of search: a name and the query strings it cycles through."""

    name: str
    params: list[dict]


@dataclass
class Result:
    kind: str
    example: str
    times_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    rows: int = 0
    statements: int = 0
    full_gcs: int = 0

    def stats(self) -> dict:
        ordered = sorted(self.times_ms)
        return {"n": len(ordered), "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
                "p99": percentile(ordered, 99), "max": ordered[-1] if ordered else math.nan,
                "sql_p50": percentile(sorted(self.sql_ms), 50)}


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def query_kinds(today: date) -> list[Kind]:
    """Searches a coordinator or admin makes, each kind cycling through a few realistic values."""
    days = [today + timedelta(days=d) for d in (0, 3, 7, 14, 30, 45)]
    return [
        Kind("field H04", [{"field": "H04"}]),
        Kind("field G06F", [{"field": "G06F"}]),
        Kind("field A61K", [{"field": "A61K"}]),
        Kind("city", [{"city": c} for c in ("shanghai", "shenzhen", "guangzhou", "hangzhou",
                                             "hongkong", "nanjing", "hefei", "zhuhai")]),
        Kind("jurisdiction", [{"jurisdiction": j} for j in ("SH", "JS", "ZJ", "AH", "GD",
                                                             "HK", "MO")]),
        Kind("role+language", [{"role": "arbitrator", "language": "en"},
                               {"role": "investigator", "language": "zh"},
                               {"role": "arbitrator", "language": "yue"},
                               {"role": "consultant", "language": "en"},
                               {"role": "investigator", "language": "ja"}]),
        Kind("available_on", [{"available_on": d.isoformat()} for d in days]),
        Kind("combined", [
            {"field": "G06F", "jurisdiction": "SH", "role": "investigator",
             "available_on": days[2].isoformat()},
            {"field": "H04", "jurisdiction": "GD", "role": "arbitrator", "language": "yue",
             "available_on": days[3].isoformat()},
            {"field": "A61K", "city": "shanghai", "available_on": days[1].isoformat()},
            {"field": "B", "jurisdiction": "JS", "role": "investigator", "language": "en"},
            {"field": "H04L", "role": "arbitrator", "language": "en",
             "available_on": days[4].isoformat()},
        ]),
        Kind("pages 2-5", [{"field": f, "page": p} for f in ("G06F", "H04") for p in range(2, 6)]
             + [{"page": p} for p in range(2, 6)]),
        Kind("per_page 100", [{"jurisdiction": "SH", "per_page": 100},
                              {"field": "G06F", "per_page": 100},
                              {"available_on": days[2].isoformat(), "per_page": 100},
                              {"per_page": 100, "page": 3}]),
        Kind("no filter", [{}]),
    ]


def query_string(params: dict) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items())


# -- setup -----------------------------------------------------------------------------------

def build_app(url: str):
    from registry import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": url})


def build_registry(app, experts: int) -> dict:
    """Migrate, seed the reference data and the demo registry; return counts and timings."""
    from flask_migrate import upgrade

    from registry.extensions import db
    from registry.models import Expert, ExpertField, ExpertLanguage
    from registry.services import seeding

    timings = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        timings["migrate"] = time.perf_counter() - started
        started = time.perf_counter()
        seeding.load_reference_data()
        counts = seeding.load_demo_registry(experts=experts)
        db.session.commit()
        timings["seed"] = time.perf_counter() - started
        seeding.refresh_statistics()  # as `flask seed` does after loading
        counts["expert_fields"] = db.session.query(ExpertField).count()
        counts["expert_languages"] = db.session.query(ExpertLanguage).count()
        counts["experts_in_db"] = db.session.query(Expert).count()
        db.session.remove()
    return {"counts": counts, "timings": timings}


def admin_token(client) -> str:
    from registry.services.seeding import DEMO_PASSWORD, DEMO_USERS

    basic = b64encode(f"{DEMO_USERS[0][0]}:{DEMO_PASSWORD}".encode()).decode()
    response = client.post("/api/v1/tokens", headers={"Authorization": f"Basic {basic}"})
    if response.status_code != 201:
        raise SystemExit(f"could not get a token: {response.status_code} {response.get_data()}")
    return response.get_json()["token"]


class Probe:
    """Counts SQL statements (to spot N+1 loads) and the time the driver spends executing them,
    and counts full (generation 2) garbage collections of the Python process."""

    def __init__(self, engine):
        self.count = 0
        self.sql_ms = 0.0
        self.full_gcs = 0
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        gc.callbacks.append(self._gc)

    def reset(self) -> None:
        self.count, self.sql_ms, self.full_gcs = 0, 0.0, 0

    def _before(self, *_args):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args):
        self.sql_ms += (time.perf_counter() - self._started) * 1000

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            self.full_gcs += 1


# -- measuring -------------------------------------------------------------------------------

def measure_http(app, kinds: list[Kind], queries: int, warmup: int, probe) -> list[Result]:
    """Time GET /api/v1/experts end to end; no app context is held, so each request gets its
    own, as under a server."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token(client)}"}
    results = []
    for kind in kinds:
        urls = [f"/api/v1/experts?{query_string(p)}" for p in kind.params]
        for i in range(warmup):
            check(client.get(urls[i % len(urls)], headers=headers), urls[i % len(urls)])
        result = Result(kind.name, query_string(kind.params[0]) or "(none)")
        probe.reset()
        for i in range(queries):
            url = urls[i % len(urls)]
            sql_before = probe.sql_ms
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            result.times_ms.append((time.perf_counter() - started) * 1000)
            result.sql_ms.append(probe.sql_ms - sql_before)
            result.rows += len(check(response, url)["items"])
        result.statements, result.full_gcs = probe.count, probe.full_gcs
        results.append(result)
    return results


def check(response, url: str) -> dict:
    if response.status_code != 200:
        raise SystemExit(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_json()


def service_args(params: dict) -> dict:
    """What ExpertSearchArgs would load from the query string."""
    args = {"page": 1, "per_page": 20, **params}
    if "available_on" in args:
        args["available_on"] = date.fromisoformat(args["available_on"])
    return args


def measure_service(app, kinds: list[Kind], queries: int, warmup: int, probe) -> list[Result]:
    """Time `search` + `page_of` alone (count, page, selectin loads), with a fresh session."""
    from registry.extensions import db
    from registry.services import experts as service
    from registry.services.listing import page_of

    results = []
    with app.app_context():
        for kind in kinds:
            argses = [service_args(p) for p in kind.params]
            for i in range(warmup):
                page_of(service.search(argses[i % len(argses)]), argses[i % len(argses)])
                db.session.remove()
            result = Result(kind.name, query_string(kind.params[0]) or "(none)")
            probe.reset()
            for i in range(queries):
                args = argses[i % len(argses)]
                sql_before = probe.sql_ms
                started = time.perf_counter()
                page = page_of(service.search(args), args)
                result.times_ms.append((time.perf_counter() - started) * 1000)
                result.sql_ms.append(probe.sql_ms - sql_before)
                result.rows += len(page["items"])
                db.session.remove()
            result.statements, result.full_gcs = probe.count, probe.full_gcs
            results.append(result)
    return results


def explain(app, kinds: list[Kind]) -> None:
    """Print the plan of each kind's count and page queries (first parameter set)."""
    from sqlalchemy import func, select

    from registry.extensions import db
    from registry.services import experts as service

    with app.app_context():
        dialect = db.engine.dialect
        prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN ANALYZE "
        for kind in kinds:
            args = service_args(kind.params[0])
            query = service.search(args)
            count = select(func.count()).select_from(query.order_by(None).subquery())
            page = query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])
            for label, statement in (("count", count), ("page", page)):
                sql = str(statement.compile(dialect=dialect,
                                            compile_kwargs={"literal_binds": True}))
                print(f"\n-- {kind.name} ({label}): {query_string(kind.params[0])}")
                for row in db.session.execute(text(prefix + sql)):
                    print("   ", " | ".join(str(v) for v in row))
        db.session.remove()


# -- reporting -------------------------------------------------------------------------------

def table(results: list[Result]) -> str:
    lines = ["| kind | example query | n | p50 ms | p95 ms | p99 ms | max ms | rows returned "
             "| SQL stmts/query | SQL p50 ms | full GCs | p95 < 30 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    overall = Result("**overall**", "all of the above",
                     times_ms=[t for r in results for t in r.times_ms],
                     sql_ms=[t for r in results for t in r.sql_ms],
                     rows=sum(r.rows for r in results),
                     statements=sum(r.statements for r in results),
                     full_gcs=sum(r.full_gcs for r in results))
    for result in [*results, overall]:
        s = result.stats()
        per_query = result.statements / s["n"] if s["n"] else 0
        example = f"`{result.example}`" if result is not overall else result.example
        lines.append(
            f"| {result.kind} | {example} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} "
            f"| {s['p99']:.1f} | {s['max']:.1f} | {result.rows} | {per_query:.1f} "
            f"| {s['sql_p50']:.1f} | {result.full_gcs} "
            f"| {'yes' if s['p95'] < TARGET_P95_MS else '**no**'} |")
    return "\n".join(lines)


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def run(name: str, url: str, args) -> None:
    from registry.extensions import db

    print(f"\n## {name}\n")
    app = build_app(url)
    built = build_registry(app, args.experts)
    with app.app_context():
        engine = db.engine
        server = engine.dialect.name
        with engine.connect() as connection:
            version = connection.execute(text(
                "SELECT sqlite_version()" if server == "sqlite" else "SHOW server_version"
            )).scalar()
        probe = Probe(engine)
    gc.collect()
    tracked = len(gc.get_objects())
    if args.gc_freeze:
        gc.freeze()  # what a pre-forking server can do once the app is loaded
    counts, timings = built["counts"], built["timings"]
    print(f"{server} {version}; {counts['experts_in_db']} experts, {counts['expert_fields']} "
          f"expert fields, {counts['expert_languages']} expert languages, {counts['cases']} "
          f"cases; migrate {timings['migrate']:.1f} s, seed {timings['seed']:.1f} s; "
          f"{args.queries} timed queries per kind after {args.warmup} warm-up; "
          f"gc.freeze() {'after start-up' if args.gc_freeze else 'not called'}; "
          f"{tracked} objects tracked by the GC; load average {load()}.\n")
    kinds = query_kinds(date.today())
    print("### GET /api/v1/experts (Flask test client, admin bearer token, end to end)\n")
    print(table(measure_http(app, kinds, args.queries, args.warmup, probe)))
    print("\n### Service only: `search(args)` + `page_of` (SQL and ORM loading, no HTTP/JSON)\n")
    print(table(measure_service(app, kinds, args.queries, args.warmup, probe)))
    print(f"\nLoad average after {name}: {load()}.")
    if args.explain:
        explain(app, kinds)
    gc.callbacks.remove(probe._gc)
    if args.gc_freeze:
        gc.unfreeze()
    with app.app_context():
        db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed queries per kind")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once the registry is built, as a tuned server would")
    args = parser.parse_args(argv)
    os.environ.setdefault("REGISTRY_ENV", "testing")

    print(f"# Expert search benchmark: {args.experts} experts\n")
    print(f"Python {platform.python_version()} on {platform.platform()}, "
          f"{os.cpu_count()} CPUs; target p95 < {TARGET_P95_MS:.0f} ms.")
    for name, url in each_database(args.databases, PG_DATABASE):
        run(name, url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
