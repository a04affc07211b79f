"""Adding organizations: parties, counsel, employers, and (admins only) handling bodies."""

from sqlalchemy import Select, func, or_, select

from registry.extensions import db
from registry.models import (
    HANDLING_BODY_KINDS,
    City,
    DomainError,
    Organization,
    User,
    UserRole,
)
from registry.schemas.common import parse_id
from registry.services import permissions as may
from registry.services.audit import record


def create_organization(data: dict, actor: User) -> Organization:
    organization = Organization(**data)
    may.allow(not organization.handles_cases or actor.role is UserRole.ADMIN,
              "only admins add courts, IP administrations and arbitration institutions")
    if organization.city_code and db.session.get(City, organization.city_code) is None:
        raise DomainError("unknown city {city_code!r}", field="city",
                          city_code=organization.city_code)
    if organization.registry_id and db.session.scalar(
            select(Organization.id).where(Organization.registry_id == organization.registry_id)):
        raise DomainError("registry id {registry_id} is already registered",
                          field="registry_id", registry_id=organization.registry_id)
    db.session.add(organization)
    db.session.flush()
    record(actor, "create", "organization", organization.id, after={"name": organization.name})
    return organization


def name_matches(text: str):
    """The Chinese name holds the text, or the English name does, in any letter case."""
    return or_(Organization.name.contains(text, autoescape=True),
               func.lower(Organization.name_en).contains(text.lower(), autoescape=True))


def search(args: dict) -> Select:
    query = select(Organization).order_by(Organization.name, Organization.id)
    if args.get("name"):
        query = query.where(name_matches(args["name"]))
    if args.get("kind"):
        query = query.where(Organization.kind == args["kind"])
    if args.get("city"):
        query = query.where(Organization.city_code == args["city"])
    return query


def option(organization: Organization) -> dict:
    """A picker's option: the Chinese name, with the English one when it differs."""
    text = organization.name
    if organization.name_en and organization.name_en != organization.name:
        text += f" / {organization.name_en}"
    return {"value": str(organization.id), "text": text}


def search_options(text: str, limit: int = 30) -> list[dict]:
    """Parties and counsel to pick from: not courts or agencies, which are never parties."""
    if not text:
        return []
    query = search({"name": text}).where(Organization.kind.not_in(HANDLING_BODY_KINDS)) \
        .limit(limit)
    return [option(organization) for organization in db.session.scalars(query)]


def options_by_id(ids: list[str]) -> dict[str, str]:
    """{id: option text} for organizations already chosen in a posted form."""
    wanted = {key for key in map(parse_id, ids) if key}
    found = db.session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    return {entry["value"]: entry["text"] for entry in map(option, found)}


def find_or_create(data: dict, actor: User) -> Organization:
    """The organization of exactly this name if there is one, else a new one."""
    existing = db.session.scalar(select(Organization).where(Organization.name == data["name"])
                                 .order_by(Organization.id).limit(1))
    return existing or create_organization(data, actor)
