"""Load the reference data (seeds/*.csv) and the demo registry; both are idempotent.

Rows are matched by natural key (jurisdiction, city, IPC and agreement codes, an organization's
`registry_id`), so running a loader again updates what changed and creates nothing twice.
The loaders add and flush; the caller commits.
"""

import csv
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select, text

from registry.config import DEVELOPMENT_ENVS
from registry.extensions import db
from registry.models import (
    City,
    DomainError,
    IpcField,
    Jurisdiction,
    Organization,
    OrganizationKind,
    RecognitionAgreement,
)

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
CITY_FILES = ("yrd_cities.csv", "gba_cities.csv", "other_cities.csv")
BODY_KINDS = {  # courts.csv kind -> OrganizationKind
    "court": OrganizationKind.COURT,
    "ip_tribunal": OrganizationKind.COURT,
    "arbitration": OrganizationKind.ARBITRATION_INSTITUTION,
    "administration": OrganizationKind.IP_ADMINISTRATION,
}
IPC_LEVELS = ("section", "class", "subclass")

# Public (printed by `flask demo-logins`), so the demo registry is refused outside development.
DEMO_PASSWORD = "registry-demo-2026"
# email, role, scope (create_user keyword arguments), what the account may act on
DEMO_USERS = (
    ("admin@demo.example.com", "admin", {}, "everything"),
    ("coordinator.yrd@demo.example.com", "coordinator", {"region": "YRD"},
     "Yangtze River Delta: SH, JS, ZJ, AH"),
    ("coordinator.gba@demo.example.com", "coordinator", {"region": "GBA"},
     "Greater Bay Area: GD, HK, MO"),
    ("clerk.sh-ipc@demo.example.com", "clerk", {"body": "sh_ipc"},
     "上海知识产权法院 Shanghai IP Court (sh_ipc)"),
    ("clerk.scia@demo.example.com", "clerk", {"body": "scia"},
     "深圳国际仲裁院 SCIA (scia)"),
    ("expert@demo.example.com", "expert", {}, "one demo expert's own record (Shanghai)"),
)


def seeds_dir() -> Path:
    """Where the CSVs live: the SEEDS_DIR setting, or the project's seeds/ folder."""
    return Path(current_app.config.get("SEEDS_DIR") or DEFAULT_SEEDS_DIR)


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a seed file as dicts; lines starting with # are source notes."""
    with open(seeds_dir() / name, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(line for line in file if not line.startswith("#")))


def upsert(model, key: str, rows: list[dict]) -> int:
    """Create the rows whose `key` is new, update the others; return how many were created."""
    column = getattr(model, key)
    existing = {getattr(row, key): row
                for row in db.session.scalars(select(model).where(column.in_(
                    [values[key] for values in rows])))}
    created = 0
    for values in rows:
        row = existing.get(values[key])
        if row is None:
            db.session.add(model(**values))
            created += 1
        else:
            for attribute, value in values.items():
                setattr(row, attribute, value)
    db.session.flush()
    return created


def load_reference_data() -> dict[str, int]:
    """Upsert jurisdictions, cities, IPC fields, handling bodies and agreements from seeds/."""
    counts = {"jurisdictions": upsert(Jurisdiction, "code", jurisdiction_rows())}
    counts["cities"] = upsert(City, "code", city_rows())
    counts["IPC fields"] = upsert(IpcField, "code", ipc_rows())
    counts["handling bodies"] = upsert(Organization, "registry_id", body_rows())
    counts["agreements"] = load_agreements()
    from registry.services.causes import load_causes  # causes of action (案由)

    counts["causes of action"] = load_causes()
    return counts


def jurisdiction_rows() -> list[dict]:
    return [{"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"]}
            for row in read_csv("jurisdictions.csv")]


def city_rows() -> list[dict]:
    by_province = {row["province_en"]: row["code"] for row in read_csv("jurisdictions.csv")}
    return [{"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
             "jurisdiction_code": by_province[row["province_en"]], "lat": float(row["lat"]),
             "lon": float(row["lon"]), "adcode": row["adcode"] or None}
            for name in CITY_FILES for row in read_csv(name)]


def ipc_rows() -> list[dict]:
    rows = sorted(read_csv("ipc_fields.csv"), key=lambda row: IPC_LEVELS.index(row["level"]))
    return [{"code": row["code"], "level": row["level"], "parent_code": row["parent"] or None,
             "title_en": row["title_en"], "title_zh": row["title_zh"],
             "litigation_common": row["litigation_common"] == "yes"} for row in rows]


def body_rows() -> list[dict]:
    return [{"registry_id": row["code"], "name": row["name_zh"], "name_en": row["name_en"],
             "kind": BODY_KINDS[row["kind"]], "city_code": row["city"],
             "case_number_code": row["case_no_code"] or None,
             "founded_year": int(row["founded"]) if row.get("founded") else None,
             "court_level": row["level"] if row.get("level", "-") != "-" else None,
             "number_shapes": row.get("number_shapes") or None}
            for row in read_csv("courts.csv")]


def load_agreements() -> int:
    rows = read_csv("agreements.csv")
    created = upsert(RecognitionAgreement, "code", [
        {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
         "effective_from": date.fromisoformat(row["effective_from"])} for row in rows])
    for row in rows:
        agreement = db.session.get(RecognitionAgreement, row["code"])
        agreement.members = [db.session.get(Jurisdiction, code)
                             for code in row["members"].split(";")]
        # The roles it recognises (issue 9 item 6); an older seed file without them: every role.
        agreement.set_roles([r for r in (row.get("roles") or "").split(";") if r])
    db.session.flush()
    return created


def load_demo_registry(experts: int = 400, seed: int = 7,
                       showcase: bool = True) -> dict[str, int]:
    """Add a realistic, deterministic demo registry; do nothing if it is already there.

    With `showcase`, one case of each legal situation is added on top through the services
    (demo.add_legal_showcase): a natural-person party, a pending challenge, a disclosure with
    a waiver, a Hong Kong court case, attendance on a holiday, a flagged seat.

    Raises:
        DomainError: outside development (REGISTRY_ENV development or testing): the demo
            accounts' password is public.
    """
    from registry.services import demo

    env = current_app.config.get("REGISTRY_ENV", "production")
    if env not in DEVELOPMENT_ENVS:
        raise DomainError("the demo registry, whose accounts share a public password, is only "
                          "for development: REGISTRY_ENV is {env}, not development", env=env)
    counts = demo.build(experts=experts, seed=seed)
    if showcase and any(counts.values()):
        demo.add_legal_showcase(date.today())
    return counts


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo accounts as (email, role, scope description); all use DEMO_PASSWORD."""
    return [(email, role, scope) for email, role, _kwargs, scope in DEMO_USERS]


def refresh_statistics() -> None:
    """Let the query planner see the new rows (run after a bulk load, outside a transaction).

    SQLite keeps no statistics until ANALYZE runs; without them it walks the status index
    for availability searches instead of reading names in order (docs/benchmarks.md).
    PostgreSQL's autovacuum would get there by itself, later.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
