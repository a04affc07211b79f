"""Adding organizations: parties, counsel, employers, and (admins only) handling bodies."""

from sqlalchemy import select

from registry.extensions import db
from registry.models import City, DomainError, Organization, User, UserRole
from registry.services import permissions as may
from registry.services.audit import record


def create_organization(data: dict, actor: User) -> Organization:
    organization = Organization(**data)
    may.allow(not organization.handles_cases or actor.role is UserRole.ADMIN,
              "only admins add courts, IP administrations and arbitration institutions")
    if organization.city_code and db.session.get(City, organization.city_code) is None:
        raise DomainError(f"unknown city {organization.city_code!r}", field="city")
    if organization.registry_id and db.session.scalar(
            select(Organization.id).where(Organization.registry_id == organization.registry_id)):
        raise DomainError(f"registry id {organization.registry_id} is already registered",
                          field="registry_id")
    db.session.add(organization)
    db.session.flush()
    record(actor, "create", "organization", organization.id, after={"name": organization.name})
    return organization
