"""Expert workflows: create and update the record, search it, keep declarations current."""

from collections import namedtuple
from datetime import date

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from registry.extensions import db
from registry.models import (
    Affiliation,
    City,
    CreditRecord,
    DeclaredConflict,
    DomainError,
    Expert,
    ExpertField,
    ExpertLanguage,
    ExpertRoleGrant,
    ExpertStatus,
    Organization,
    Unavailability,
    User,
)
from registry.models.experts import DISQUALIFYING_CREDIT
from registry.services import flags
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.listing import TOTAL, page_of
from registry.services.locks import hold
from scheduler.domain import descendant_stem, ipc_ancestors

# Keys of a loaded ExpertSchema that go through the model's setters rather than setattr.
SETTERS = {"role_names": "set_roles", "language_codes": "set_languages"}


def snapshot(expert: Expert) -> dict:
    """The audited view of an expert; contact details masked, so a change shows but not them."""
    return {"name": expert.name, "roles": expert.role_names, "city": expert.home_city_code,
            "jurisdiction": expert.jurisdiction_code, "status": expert.status.value,
            "appointing_body": expert.appointing_body_id,
            "appointed": [_iso(expert.appointed_from), _iso(expert.appointed_until)],
            "fields": {f.ipc_code: f.proficiency for f in expert.fields},
            "languages": expert.language_codes, "max_concurrent": expert.max_concurrent,
            "max_travel_km": expert.max_travel_km,
            "email": _mask(expert.email), "phone": _mask(expert.phone)}


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _mask(contact: str | None) -> str | None:
    """w***@example.cn, 138*****5177: enough to see that it changed, not enough to use."""
    if not contact:
        return contact
    name, at, domain = contact.partition("@")
    if at:
        return f"{name[:1]}***@{domain}"
    return f"{contact[:3]}*****{contact[-4:]}" if len(contact) > 7 else "*****"


def _city(code: str) -> City:
    city = db.session.get(City, code)
    if city is None:
        raise DomainError("unknown city {city_code!r}", field="home_city", city_code=code)
    return city


def _apply(expert: Expert, data: dict) -> None:
    for key, value in data.items():
        if key in SETTERS:
            getattr(expert, SETTERS[key])(value)
        elif key == "fields":
            expert.set_fields({entry["ipc_code"]: entry["proficiency"] for entry in value})
        elif key == "home_city_code":
            expert.home_city_code = _city(value).code
        elif key == "appointing_body_id" and value is not None:
            body = db.session.get(Organization, value)
            if body is None or not body.handles_cases:
                raise DomainError("organization {organization_id} is not a court, IP "
                                  "administration or arbitration institution",
                                  field="appointing_body_id", organization_id=value)
            expert.appointing_body_id = value
        else:
            setattr(expert, key, value)


def _derive_jurisdiction(expert: Expert) -> None:
    """An expert belongs to its appointing body's jurisdiction, else to its home city's."""
    body = expert.appointing_body_id and db.session.get(Organization, expert.appointing_body_id)
    expert.jurisdiction_code = (body.jurisdiction_code if body and body.jurisdiction_code
                                else _city(expert.home_city_code).jurisdiction_code)


def create_expert(data: dict, actor: User) -> Expert:
    expert = Expert()
    _apply(expert, data)
    _derive_jurisdiction(expert)
    db.session.add(expert)
    db.session.flush()
    record(actor, "create", "expert", expert.id, after=snapshot(expert))
    return expert


def update_expert(expert: Expert, data: dict, actor: User) -> Expert:
    hold(experts=[expert])  # before any write: see flags.after_change
    before = snapshot(expert)
    _apply(expert, data)
    if data.keys() & {"home_city_code", "appointing_body_id"}:
        _derive_jurisdiction(expert)  # moving city or appointing body may move the expert
        may.allow(may.can_declare_for(actor, expert), "cannot move an expert out of your region")
    if expert.appointed_from and expert.appointed_until and \
            expert.appointed_until < expert.appointed_from:
        raise DomainError("the appointment ends before it starts", field="appointed_until")
    db.session.flush()
    after = snapshot(expert)
    record(actor, "update", "expert", expert.id, before=before, after=after)
    # A status, appointment, field, language, city or travel limit may now break a held seat.
    if any(before[key] != after[key] for key in after.keys() - NOT_JUDGED):
        flags.after_change(expert_ids=[expert.id], actor=actor)
    return expert


# What no rule reads when a held seat is judged again (flags.after_change): the contacts, the
# name, and the workload cap, which limits new seats only (dispatch.PLAN_SIZE_RULES). A change
# of these alone, or no change at all, leaves the seats as they were judged.
NOT_JUDGED = frozenset({"name", "email", "phone", "max_concurrent"})


def matches_field(column, code: str):
    """SQL: `column` holds an IPC code that matches `code` as rule 3 says
    (scheduler.domain.fields_match): one that contains it, or one it contains. Both are
    index lookups: an IN list of its ancestors and a prefix range."""
    return or_(column.in_(ipc_ancestors(code)),
               column.startswith(descendant_stem(code), autoescape=True))


def search(args: dict) -> Select:
    """Build the expert search; every filter is an indexed EXISTS so that 10,000 rows stay fast."""
    query = select(Expert).order_by(Expert.name, Expert.id)
    if code := args.get("field"):
        query = query.where(exists().where(ExpertField.expert_id == Expert.id,
                                           matches_field(ExpertField.ipc_code, code)))
    if role := args.get("role"):
        query = query.where(exists().where(ExpertRoleGrant.expert_id == Expert.id,
                                           ExpertRoleGrant.role == role))
    if language := args.get("language"):
        query = query.where(exists().where(ExpertLanguage.expert_id == Expert.id,
                                           ExpertLanguage.language == language))
    if city := args.get("city"):
        query = query.where(Expert.home_city_code == city)
    if jurisdiction := args.get("jurisdiction"):
        query = query.where(Expert.jurisdiction_code == jurisdiction)
    if status := args.get("status"):
        query = query.where(Expert.status == status)
    if name := args.get("name"):
        query = query.where(Expert.name.contains(name, autoescape=True))
    if day := args.get("available_on"):
        query = query.where(*available_on(day))
    return query


class ExpertRow:
    """An expert as a search lists it, read as plain rows rather than ORM objects: its columns,
    and its roles, fields and languages as the model's properties give them (sorted), so the
    expert schemas dump it exactly like an Expert. Expert searches are a third of the API's
    calls, and building ORM objects was most of their cost (docs/load.md)."""

    def __init__(self, row, roles: list[str], fields: list, languages: list[str]):
        self.__dict__.update(row._mapping)  # the columns, as plain attributes
        self.__dict__.pop(TOTAL, None)  # the page's count, not the expert's
        self.role_names = sorted(roles)
        self.fields = fields  # FieldRow(ipc_code, proficiency), by code
        self.language_codes = sorted(languages)


FieldRow = namedtuple("FieldRow", "ipc_code proficiency")


def _declared_statement() -> Select:
    """The roles, fields and languages of the experts `ids` (an expanding parameter) in one
    query: (expert_id, kind, value, proficiency) rows, fields by code. One statement, not
    three: each costs more in the ORM and the driver than its rows do. Built once, at import:
    building the union and its cache key anew cost ~0.5 ms of Python a search (docs/load.md)."""
    def of(kind: str, value, proficiency, expert_id):
        return select(expert_id.label("expert_id"), literal(kind).label("kind"),
                      type_coerce(value, String).label("value"),  # a role as its stored value
                      proficiency.label("proficiency")).where(
                          expert_id.in_(bindparam("ids", expanding=True)))

    nothing = cast(null(), Integer)
    return union_all(
        of("role", ExpertRoleGrant.role, nothing, ExpertRoleGrant.expert_id),
        of("field", ExpertField.ipc_code, ExpertField.proficiency, ExpertField.expert_id),
        of("language", ExpertLanguage.language, nothing, ExpertLanguage.expert_id),
    ).order_by("kind", "value")


DECLARED = _declared_statement()


def search_page(query: Select, args: dict) -> dict:
    """One page of an expert search (`search`, scoped) as ExpertRow items: a query for the
    page and its count (page_of), and one for the roles, fields and languages on it."""
    page = page_of(query.with_only_columns(*Expert.__table__.columns), args, rows=True)
    ids = [row.id for row in page["items"]]
    declared = {i: {"role": [], "field": [], "language": []} for i in ids}
    if ids:
        for expert_id, kind, value, proficiency in db.session.execute(DECLARED, {"ids": ids}):
            declared[expert_id][kind].append(
                FieldRow(value, proficiency) if kind == "field" else value)
    page["items"] = [ExpertRow(row, declared[row.id]["role"], declared[row.id]["field"],
                               declared[row.id]["language"]) for row in page["items"]]
    return page


def available_on(day: date) -> list:
    return [
        Expert.status == ExpertStatus.ACTIVE,
        or_(Expert.appointed_from.is_(None), Expert.appointed_from <= day),
        or_(Expert.appointed_until.is_(None), Expert.appointed_until >= day),
        ~exists().where(Unavailability.expert_id == Expert.id, Unavailability.start <= day,
                        Unavailability.end >= day),
        ~exists().where(CreditRecord.expert_id == Expert.id,
                        CreditRecord.kind.in_(DISQUALIFYING_CREDIT), CreditRecord.start <= day,
                        or_(CreditRecord.end.is_(None), CreditRecord.end >= day)),
    ]


def _organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise DomainError("unknown organization {organization_id}", field="organization_id",
                          organization_id=organization_id)
    return organization


def add_unavailability(expert: Expert, data: dict, actor: User) -> Unavailability:
    hold(experts=[expert])  # before any write: see flags.after_change
    overlapping = [u for u in expert.unavailability
                   if u.start <= data["end"] and data["start"] <= u.end]
    if overlapping:
        raise DomainError("overlaps the unavailability {start} to {end}; remove that one "
                          "first or choose other days", field="start",
                          start=overlapping[0].start, end=overlapping[0].end)
    entry = Unavailability(expert=expert, **data)
    db.session.add(entry)
    db.session.flush()
    record(actor, "declare_unavailability", "expert", expert.id,
           after={"start": str(entry.start), "end": str(entry.end)})
    flags.after_change(expert_ids=[expert.id], actor=actor)
    return entry


def add_affiliation(expert: Expert, data: dict, actor: User) -> Affiliation:
    hold(experts=[expert])  # before any write: see flags.after_change
    organization = _organization(data.pop("organization_id"))
    start, end = data.get("start"), data.get("end")
    if same := next((a for a in expert.affiliations if a.organization_id == organization.id
                     and _overlap(a.start, a.end, start, end)), None):
        raise DomainError("an affiliation with {organization} already covers these days "
                          "({start} – {end}); end it or choose other days",
                          field="organization_id", organization=organization.name,
                          start=_iso(same.start) or "…", end=_iso(same.end) or "…")
    affiliation = Affiliation(expert=expert, organization=organization)
    affiliation.start, affiliation.end = start, end
    affiliation.role = data.get("role", "employee")
    db.session.add(affiliation)
    db.session.flush()
    record(actor, "declare_affiliation", "expert", expert.id,
           after={"organization": organization.id, "role": affiliation.role})
    flags.after_change(expert_ids=[expert.id], actor=actor)
    return affiliation


def _overlap(start: date | None, end: date | None, other_start: date | None,
             other_end: date | None) -> bool:
    """Whether two spans share a day; a missing start or end is open."""
    return (start or date.min) <= (other_end or date.max) and \
        (other_start or date.min) <= (end or date.max)


def end_affiliation(affiliation: Affiliation, end: date | None, actor: User) -> Affiliation:
    hold(experts=[affiliation.expert_id])  # before any write: see flags.after_change
    before = {"end": str(affiliation.end) if affiliation.end else None}
    affiliation.end = end
    record(actor, "update_affiliation", "expert", affiliation.expert_id, before=before,
           after={"end": str(end) if end else None})
    flags.after_change(expert_ids=[affiliation.expert_id], actor=actor)
    return affiliation


def add_conflict(expert: Expert, data: dict, actor: User) -> DeclaredConflict:
    hold(experts=[expert])  # before any write: see flags.after_change
    organization = _organization(data["organization_id"])
    if any(c.organization_id == organization.id for c in expert.conflicts):
        raise DomainError("a conflict with {organization} is already declared",
                          field="organization_id", organization=organization.name)
    conflict = DeclaredConflict(expert=expert, organization=organization,
                                reason=data.get("reason", ""))
    db.session.add(conflict)
    db.session.flush()
    record(actor, "declare_conflict", "expert", expert.id, after={"organization": organization.id})
    flags.after_change(expert_ids=[expert.id], actor=actor)
    return conflict


def add_credit_record(expert: Expert, data: dict, actor: User) -> CreditRecord:
    """A warning, serious record or suspension; the last two bar the expert everywhere."""
    hold(experts=[expert])  # before any write: see flags.after_change
    entry = CreditRecord(expert=expert, **data)
    db.session.add(entry)
    db.session.flush()
    record(actor, "record_credit", "expert", expert.id,
           after={"kind": entry.kind.value, "start": _iso(entry.start), "end": _iso(entry.end)})
    flags.after_change(expert_ids=[expert.id], actor=actor)
    return entry


def remove_credit_record(entry: CreditRecord, actor: User) -> None:
    """A record entered by mistake: gone, and the audit log keeps what it said."""
    remove(entry, actor, "credit_record", kind=entry.kind.value, start=_iso(entry.start),
           end=_iso(entry.end))


def remove(row, actor: User, what: str, **facts) -> None:
    """Delete a declaration (an unavailability, a conflict) or a credit record entered by
    mistake (`facts`: what the audit keeps of it); a flag it caused is cleared."""
    hold(experts=[row.expert_id])  # before any write: see flags.after_change
    record(actor, f"remove_{what}", "expert", row.expert_id, before={"id": row.id, **facts})
    db.session.delete(row)
    flags.after_change(expert_ids=[row.expert_id], actor=actor)


