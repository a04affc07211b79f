"""What rows of an experts' spreadsheet are checked against, loaded once for all rows.

Cities, handling bodies and IPC codes, the organizations the file names, and the registry's
experts as (name, e-mail) and (name, phone) pairs: a few queries whatever the number of rows,
held in dicts and sets so that checking a row costs no query (no N+1). The City and
Organization objects stay referenced here, so `create_expert`'s `session.get` finds them in
the session's identity map instead of asking the database again.
"""

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from registry.extensions import db
from registry.models import HANDLING_BODY_KINDS, City, Expert, IpcField, Organization
from registry.services.expert_sheet import Row, affiliation_pairs


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


def normal_phone(phone: str) -> str:
    """+86 138-0013-8000 and 13800138000 are one phone."""
    digits = re.sub(r"\D", "", phone)
    return digits[2:] if phone.strip().startswith("+86") else digits


@dataclass
class Lookups:
    """Reference data and the registry's experts, loaded once for all rows."""

    cities: dict[str, City]
    bodies: dict[str, Organization]
    not_bodies: set[str]
    ipc: set[str]
    organizations: dict[str, int]
    by_email: set[tuple[str, str]]
    by_phone: set[tuple[str, str]]

    @classmethod
    def load(cls, rows: list[Row]) -> "Lookups":
        cities: dict[str, City] = {}
        for city in db.session.scalars(select(City)):
            for name in (city.code, city.name_zh, city.name_zh.removesuffix("市"), city.name_en):
                cities.setdefault(normal(name), city)
        bodies: dict[str, Organization] = {}
        for body in db.session.scalars(select(Organization).where(
                Organization.kind.in_(HANDLING_BODY_KINDS)).order_by(Organization.id)):
            for name in (body.registry_id, body.name, body.name_en):
                if name:
                    bodies.setdefault(normal(name), body)
        wanted = {normal(r.cells.get("appointing_body", "")) for r in rows} - {""} - set(bodies)
        experts = db.session.execute(select(Expert.name, Expert.email, Expert.phone)).all()
        return cls(
            cities=cities, bodies=bodies, not_bodies=cls._other_organizations(wanted),
            ipc=set(db.session.scalars(select(IpcField.code))),
            organizations=cls._affiliated(rows),
            by_email={(normal(n), e.lower()) for n, e, _p in experts if e},
            by_phone={(normal(n), normal_phone(p)) for n, _e, p in experts if p})

    @staticmethod
    def _other_organizations(names: set[str]) -> set[str]:
        """Which of these names are organizations that are not handling bodies."""
        if not names:
            return set()
        found = db.session.execute(select(Organization.name, Organization.name_en).where(
            or_(func.lower(Organization.name).in_(names),
                func.lower(Organization.name_en).in_(names)))).all()
        return {normal(n) for row in found for n in row if n} & names

    @staticmethod
    def _affiliated(rows: list[Row]) -> dict[str, int]:
        """Organizations named in the affiliations column: exact Chinese name -> lowest id."""
        names = {name for r in rows for name, _role in affiliation_pairs(
            r.cells.get("affiliations", ""))}
        found: dict[str, int] = {}
        if names:
            for org_id, name in db.session.execute(
                    select(Organization.id, Organization.name)
                    .where(Organization.name.in_(names)).order_by(Organization.id)):
                found.setdefault(name, org_id)
        return found

    def ipc_known(self, code: str) -> bool:
        """A seeded code, or a main group (G06F30) of a seeded subclass."""
        return code in self.ipc or (len(code) > 4 and code[:4] in self.ipc)
