"""Bulk import of 2,000 experts through the admin's pages: upload, preview, commit; SQLite and
PostgreSQL.

    python -m benchmarks.expert_import [--rows 2000] [--existing 400] [--formats csv,xlsx]
                                       [--databases sqlite,postgresql]

For each database: migrate a fresh schema, load the reference data and a demo registry of
`--existing` experts (the import checks every row against them), sign in as the demo admin
through /sign-in, and for each format generate `--rows` new experts (deterministic: names,
cities, appointing bodies, IPC fields from the seeds, one affiliation in four to a company not
yet in the registry), then time through the Flask test client, as a browser would drive it:

- upload: POST /admin/experts/import (read the file, store it);
- preview: GET /admin/experts/import/<id> (read and check every row, render the report);
- commit: POST .../commit (check again, create every expert, its affiliations and audit).

The target (from the issue) is upload + preview + commit under 10 s for 2,000 rows. This is a
measurement, not a test: it asserts nothing and exits 0.
"""

import argparse
import io
import os
import platform
import random
import sys
import time

from sqlalchemy import event, select, text

from benchmarks.databases import each_database
from benchmarks.expert_search import load

PG_DATABASE = "bench_expert_import"
TARGET_S = 10.0


def build(url: str, existing: int):
    from flask_migrate import upgrade

    from registry import create_app
    from registry.extensions import db
    from registry.services import seeding

    app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        seeding.load_reference_data()
        seeding.load_demo_registry(experts=existing)
        db.session.commit()
        seeding.refresh_statistics()
        db.session.remove()
    return app


def reference(app) -> dict:
    """What generated rows may name: cities, bodies, IPC subclasses, existing companies."""
    from registry.extensions import db
    from registry.models import (
        HANDLING_BODY_KINDS,
        City,
        IpcField,
        Organization,
        OrganizationKind,
    )

    with app.app_context():
        found = {
            "cities": db.session.scalars(select(City.code).order_by(City.code)).all(),
            "bodies": db.session.scalars(select(Organization.registry_id).where(
                Organization.registry_id.is_not(None),
                Organization.kind.in_(HANDLING_BODY_KINDS)).order_by(Organization.id)).all(),
            "fields": db.session.scalars(select(IpcField.code).where(
                IpcField.level == "subclass").order_by(IpcField.code)).all(),
            "companies": db.session.scalars(select(Organization.name).where(
                Organization.kind == OrganizationKind.COMPANY).order_by(Organization.id)
                .limit(200)).all()}
        db.session.remove()
    return found


def generate(rows: int, ref: dict, tag: str, seed: int = 7) -> list[dict]:
    """`rows` new experts, none already in the registry (their e-mails carry `tag`)."""
    from registry.services.demo import person

    rng = random.Random(seed)
    records = []
    for number in range(rows):
        name, email = person(rng, number)
        company = (rng.choice(ref["companies"]) if ref["companies"] and rng.random() < .75
                   else f"基准测试科技有限公司{rng.randrange(300)}")
        fields = rng.sample(ref["fields"], rng.choice((1, 2, 2, 3)))
        records.append({
            "name": name, "roles": rng.choice(("investigator", "investigator; consultant",
                                               "arbitrator")),
            "home_city": rng.choice(ref["cities"]), "appointing_body": rng.choice(ref["bodies"]),
            "appointed_from": "2025-01-01", "appointed_until": "2028-12-31",
            "fields": "; ".join(f"{code}:{rng.randint(1, 3)}" for code in fields),
            "languages": rng.choice(("zh", "zh; en", "zh; yue; en")),
            "max_concurrent": str(rng.randint(1, 8)),
            "max_travel_km": str(rng.randrange(50, 900)),
            "email": email.replace("@", f".{tag}@"),
            "phone": f"+86 139 {number:04d} {rng.randrange(10**4):04d}",
            "affiliations": f"{company}:{rng.choice(('employee', 'professor', 'consultant'))}"})
    return records


def file_of(records: list[dict], kind: str) -> bytes:
    from registry.services.expert_sheet import write_csv, write_xlsx

    return write_csv(records) if kind == "csv" else write_xlsx(records)


class Statements:
    """Counts SQL statements (to spot N+1 loads) and the time the driver spends on them."""

    def __init__(self, engine):
        self.count, self.seconds, self._started = 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args):
        self.seconds += time.perf_counter() - self._started


def timed(statements: Statements, call):
    statements.count, statements.seconds = 0, 0.0
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started, (statements.count, statements.seconds)


def measure(app, kind: str, records: list[dict], statements: Statements) -> dict:
    from registry.services.seeding import DEMO_PASSWORD, DEMO_USERS

    client = app.test_client()
    signed = client.post("/sign-in", data={"email": DEMO_USERS[0][0], "password": DEMO_PASSWORD})
    assert signed.status_code == 302, signed.status_code
    content = file_of(records, kind)
    upload, upload_s, upload_n = timed(statements, lambda: client.post(
        "/admin/experts/import", data={"file": (io.BytesIO(content), f"bench.{kind}")},
        content_type="multipart/form-data"))
    if upload.status_code != 302:
        raise SystemExit(f"upload -> {upload.status_code}: {upload.get_data(as_text=True)[:500]}")
    url = upload.headers["Location"]
    preview, preview_s, preview_n = timed(statements, lambda: client.get(url))
    page = preview.get_data(as_text=True)
    if 'name="mode" value="all"' not in page:
        raise SystemExit(f"preview found problems: {page[page.find('<table'):][:1500]}")
    commit, commit_s, commit_n = timed(statements, lambda: client.post(
        url + "/commit", data={"mode": "all", "expected": str(len(records))}))
    if commit.status_code != 302:
        raise SystemExit(f"commit -> {commit.status_code}")
    return {"kind": kind, "bytes": len(content), "upload": upload_s, "preview": preview_s,
            "commit": commit_s, "statements": (upload_n, preview_n, commit_n)}


def table(results: list[dict], rows: int) -> str:
    lines = ["| file | size | upload s | preview s | commit s | total s | SQL statements "
             "(upload / preview / commit) | of which in the driver, s | total < 10 s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for r in results:
        total = r["upload"] + r["preview"] + r["commit"]
        lines.append(f"| {rows} rows, {r['kind']} | {r['bytes'] / 1024:.0f} KiB "
                     f"| {r['upload']:.2f} | {r['preview']:.2f} | {r['commit']:.2f} "
                     f"| {total:.2f} | {' / '.join(str(n) for n, _s in r['statements'])} "
                     f"| {' / '.join(f'{s:.2f}' for _n, s in r['statements'])} "
                     f"| {'yes' if total < TARGET_S else '**no**'} |")
    return "\n".join(lines)


def run(name: str, url: str, args) -> None:
    from registry.extensions import db

    print(f"\n## {name}\n")
    started = time.perf_counter()
    app = build(url, args.existing)
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            version = connection.execute(text(
                "SELECT sqlite_version()" if engine.dialect.name == "sqlite"
                else "SHOW server_version")).scalar()
        statements = Statements(engine)
    ref = reference(app)
    print(f"{engine.dialect.name} {version}; registry of {args.existing} demo experts built in "
          f"{time.perf_counter() - started:.1f} s; {args.rows} rows per file; load average "
          f"{load()}.\n")
    results = [measure(app, kind, generate(args.rows, ref, f"{kind}{n}", seed=7 + n),
                       statements) for n, kind in enumerate(args.formats.split(","))]
    print(table(results, args.rows))
    print(f"\nLoad average after {name}: {load()}.")
    with app.app_context():
        db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--existing", type=int, default=400,
                        help="demo experts already in the registry")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    os.environ.setdefault("REGISTRY_ENV", "testing")
    print(f"# Expert import benchmark: {args.rows} rows\n")
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; "
          f"target upload + preview + commit < {TARGET_S:.0f} s.")
    for name, url in each_database(args.databases, PG_DATABASE):
        run(name, url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
