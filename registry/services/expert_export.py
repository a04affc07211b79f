"""Export of the registry's experts to the import template (CSV or .xlsx).

What a file holds is what the import reads back (round trip): the same columns, lists joined
with "; ". Private contacts (e-mail, phone) are written only for experts whose contacts the
user may see (`permissions.can_see_private_contacts`); every cell that a spreadsheet could
read as a formula is escaped with a leading "'" (expert_sheet.escape).
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from registry.extensions import db
from registry.models import Affiliation, Expert, User
from registry.services import permissions as may
from registry.services.expert_sheet import list_cell, write_csv, write_xlsx

FORMATS = {"csv": ("text/csv", write_csv),  # send_file adds "; charset=utf-8"
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    write_xlsx)}


def experts_for(user: User) -> list[Expert]:
    """The experts the user may list, with what the template needs loaded up front."""
    query = (select(Expert).order_by(Expert.name, Expert.id)
             .options(joinedload(Expert.appointing_body),
                      selectinload(Expert.affiliations).joinedload(Affiliation.organization)))
    return list(db.session.scalars(may.scope_experts(query, user)).unique())


def current_affiliations(expert: Expert, today: date) -> list[Affiliation]:
    """Affiliations still in force (the template has no dates: ended ones are left out)."""
    return sorted((a for a in expert.affiliations if a.end is None or a.end >= today),
                  key=lambda a: (a.organization.name, a.role))


def number_text(value: float | None) -> str:
    """100.0 -> "100", 12.5 -> "12.5" (every digit kept), None -> ""."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def record_of(expert: Expert, user: User, today: date) -> dict[str, str]:
    """One expert as the template's cells (text, not yet escaped)."""
    body = expert.appointing_body
    contacts = may.can_see_private_contacts(user, expert)
    return {
        "name": expert.name,
        "roles": list_cell(expert.role_names),
        "home_city": expert.home_city_code,
        "appointing_body": (body.registry_id or body.name) if body else "",
        "appointed_from": expert.appointed_from.isoformat() if expert.appointed_from else "",
        "appointed_until": expert.appointed_until.isoformat() if expert.appointed_until else "",
        "fields": list_cell(f"{f.ipc_code}:{f.proficiency}" for f in expert.fields),
        "languages": list_cell(expert.language_codes),
        "max_concurrent": str(expert.max_concurrent),
        "max_travel_km": number_text(expert.max_travel_km),
        "email": (expert.email or "") if contacts else "",
        "phone": (expert.phone or "") if contacts else "",
        "affiliations": list_cell(f"{a.organization.name}:{a.role}"
                                  for a in current_affiliations(expert, today)),
    }


def export(user: User, kind: str, today: date) -> tuple[bytes, int]:
    """The experts the user may list, as a CSV or .xlsx file of the import template, and how
    many they are."""
    records = [record_of(expert, user, today) for expert in experts_for(user)]
    return FORMATS[kind][1](records), len(records)


def template(kind: str) -> bytes:
    """The empty template: the header row only."""
    return FORMATS[kind][1]([])
