"""Bulk import of experts from a spreadsheet: keep the upload, report, then one transaction.

An upload is stored as it came (`ExpertImport`), so that the preview and the commit, served by
any worker, read the same file; the commit checks it again against the registry as it is then
and moves the upload's status once (compare-and-set). Either every row is imported (only when
all are good) or, by the admin's explicit choice, only the good ones; each expert through
`services.experts.create_expert`, with one audit event for the import besides each expert's.
"""

from sqlalchemy import select, text

from registry.extensions import db
from registry.models import (
    Affiliation,
    Expert,
    ExpertImport,
    ImportStatus,
    Organization,
    OrganizationKind,
    User,
)
from registry.services import experts as expert_service
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.expert_import_checks import Checked, Report, check
from registry.services.expert_sheet import is_control, read

ALL_ROWS, GOOD_ROWS = "all", "good_rows"


def check_upload(upload: ExpertImport) -> Report:
    return check(read(upload.filename, upload.content))


def store(filename: str, content: bytes, actor: User) -> ExpertImport:
    """Keep a readable upload for its preview; a SheetError when it cannot be read at all."""
    read(filename, content)
    name = "".join(c for c in filename.replace("\\", "/").rsplit("/", 1)[-1]
                   if not is_control(c))[:255] or "upload"
    upload = ExpertImport(filename=name, content=content, size=len(content),
                          uploaded_by_id=actor.id)
    db.session.add(upload)
    db.session.flush()
    return upload


def commit(upload: ExpertImport, mode: str, expected: int, actor: User) -> dict | None:
    """Import all rows (only if every one is good) or only the good ones, in the caller's
    transaction. None when the file, checked again now, no longer matches what was chosen: the
    caller rolls back and shows the report again."""
    upload.finish(ImportStatus.IMPORTED)  # a second commit stops here (409)
    one_commit_at_a_time()
    report = check_upload(upload)
    chosen = report.good
    if (mode == ALL_ROWS and report.bad) or len(chosen) != expected or not chosen:
        return None
    experts = create_experts(chosen, actor)
    summary = {"mode": mode, "rows": len(report.rows), "imported": len(experts),
               "skipped": len(report.bad), "skipped_rows": [c.row.number for c in report.bad],
               "organizations_created": report.new_organizations,
               "experts": [[e.id, e.name] for e in experts]}
    upload.summary, upload.content = summary, b""  # the file held private contacts: let it go
    record(actor, "import", "expert_import", upload.id, after={
        "file": upload.filename, "mode": mode, "rows": summary["rows"],
        "imported": summary["imported"], "skipped": summary["skipped"],
        "organizations_created": len(report.new_organizations)})
    return summary


# Two uploads naming the same expert must not both pass the duplicate check. PostgreSQL: a
# transaction-scoped advisory lock, so the second commit checks after the first has written.
# SQLite has one writer at a time, and finish()'s UPDATE above already holds the write lock.
IMPORT_COMMIT_LOCK = 0x1D0C0001


def one_commit_at_a_time() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": IMPORT_COMMIT_LOCK})


def create_experts(chosen: list[Checked], actor: User) -> list[Expert]:
    """Each expert through create_expert (which flushes, for its id); then every affiliation,
    audited as add_affiliation audits it, in one batch rather than a flush each."""
    named = {name for item in chosen for name, _role in item.affiliations}
    known = organizations_named(named)
    known |= new_companies(sorted(named - set(known)), actor)
    experts = []
    for item in chosen:
        expert = expert_service.create_expert(item.data, actor)
        may.allow(may.can_manage_expert(actor, expert), "the expert's jurisdiction is not yours")
        experts.append(expert)
    for expert, item in zip(experts, chosen, strict=True):
        for name, role in item.affiliations:
            db.session.add(Affiliation(expert=expert, organization=known[name], role=role))
            record(actor, "declare_affiliation", "expert", expert.id,
                   after={"organization": known[name].id, "role": role})
    return experts


def new_companies(names: list[str], actor: User) -> dict[str, Organization]:
    """The organizations the file names that the registry lacks, as companies (what an admin
    would pick for an employer; the kind can be corrected later), in one flush, each audited
    as create_organization audits it."""
    created = {name: Organization(name=name, kind=OrganizationKind.COMPANY) for name in names}
    db.session.add_all(created.values())
    db.session.flush()
    for organization in created.values():
        record(actor, "create", "organization", organization.id,
               after={"name": organization.name})
    return created


def organizations_named(names: set[str]) -> dict[str, Organization]:
    """The oldest organization of each name, as the report matched them."""
    known: dict[str, Organization] = {}
    for organization in db.session.scalars(select(Organization).where(
            Organization.name.in_(names)).order_by(Organization.id)):
        known.setdefault(organization.name, organization)
    return known


def discard(upload: ExpertImport, actor: User) -> None:
    upload.finish(ImportStatus.DISCARDED)
    upload.content = b""
    record(actor, "discard", "expert_import", upload.id, after={"file": upload.filename})
