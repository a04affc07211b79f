"""Arbitration institutions' rosters: place an arbitrator on one, end or remove the place.

An arbitrator serves an institution's case by a place on its roster covering the request's
days, not by geography (rule `jurisdiction`, docs/rules.md); the problem export carries the
places (problem_export: expert `panels`, request `institution`). Every change is audited on
the expert and re-checks its held seats (flags), like its other declarations.
"""

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    DomainError,
    Expert,
    ExpertRole,
    Organization,
    OrganizationKind,
    PanelMembership,
    User,
)
from registry.services import flags
from registry.services.audit import record
from registry.services.locks import hold


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _institution(institution_id: int) -> Organization:
    institution = db.session.get(Organization, institution_id)
    if institution is None:
        raise DomainError("unknown organization {organization_id}", field="institution_id",
                          organization_id=institution_id)
    if institution.kind is not OrganizationKind.ARBITRATION_INSTITUTION:
        raise DomainError("{name} is not an arbitration institution", field="institution_id",
                          name=institution.name)
    return institution


def snapshot(place: PanelMembership) -> dict:
    return {"institution": place.institution_id, "start": _iso(place.start),
            "end": _iso(place.end)}


def add_place(expert: Expert, data: dict, actor: User | None) -> PanelMembership:
    """Put an arbitrator on an institution's roster from `start` to `end` (open when None)."""
    hold(experts=[expert])  # before any write: see flags.after_change
    if ExpertRole.ARBITRATOR.value not in expert.role_names:
        raise DomainError("only arbitrators sit on an institution's roster",
                          field="institution_id")
    institution = _institution(data["institution_id"])
    start, end = data.get("start"), data.get("end")
    clash = [p for p in expert.panel_memberships
             if p.institution_id == institution.id and p.overlaps(start, end)]
    if clash:
        raise DomainError("already on the roster of {name} from {start} to {end}",
                          field="start", name=institution.name,
                          start=_iso(clash[0].start) or "…", end=_iso(clash[0].end) or "…")
    place = PanelMembership(expert=expert, institution=institution, start=start,
                            note=data.get("note", ""))
    place.end = end
    db.session.add(place)
    db.session.flush()
    record(actor, "add_panel_membership", "expert", expert.id, after=snapshot(place))
    flags.after_change(expert_ids=[expert.id], actor=actor)
    return place


def end_place(place: PanelMembership, end: date | None, actor: User | None) -> PanelMembership:
    """Set (or clear) the last day of a place on a roster; held seats are re-checked."""
    hold(experts=[place.expert_id])  # before any write: see flags.after_change
    before = snapshot(place)
    place.end = end
    db.session.flush()
    record(actor, "update_panel_membership", "expert", place.expert_id, before=before,
           after=snapshot(place))
    flags.after_change(expert_ids=[place.expert_id], actor=actor)
    return place


def remove_place(place: PanelMembership, actor: User | None) -> None:
    """Delete a place entered by mistake (ending it keeps the history: prefer end_place)."""
    expert_id = place.expert_id
    hold(experts=[expert_id])  # before any write: see flags.after_change
    record(actor, "remove_panel_membership", "expert", expert_id, before=snapshot(place))
    db.session.delete(place)
    db.session.flush()
    flags.after_change(expert_ids=[expert_id], actor=actor)


def arbitration_institutions() -> list[Organization]:
    return list(db.session.scalars(
        select(Organization).where(Organization.kind == OrganizationKind.ARBITRATION_INSTITUTION)
        .order_by(Organization.name)))


# -- demo ---------------------------------------------------------------------------------------

def seed_panels_demo(start: date = date(2024, 1, 1)) -> int:
    """Demo rosters (issue 9 item 6): every arbitrator on the roster of each arbitration
    institution of its own recognition area (its jurisdiction, or an agreement covering
    arbitrators), as geography admitted them before; the Hong Kong arbitrators also on the
    Shanghai International Arbitration Center's roster (SHIAC, registry id `shiac`), so a
    Hong Kong arbitrator can sit on a Shanghai case through the roster alone. Idempotent;
    returns the number of places added. Call it after the experts and bodies are seeded.
    """
    from registry.models import RecognitionAgreement

    institutions = arbitration_institutions()
    areas: dict[str, set[str]] = {}
    for agreement in db.session.scalars(select(RecognitionAgreement)):
        if agreement.covers_role(ExpertRole.ARBITRATOR):
            for code in agreement.member_codes():
                areas.setdefault(code, set()).update(agreement.member_codes())
    shiac = next((i for i in institutions if i.registry_id == "shiac"), None)
    added = 0
    arbitrators = [e for e in db.session.scalars(select(Expert).order_by(Expert.id))
                   if ExpertRole.ARBITRATOR.value in e.role_names]
    for expert in arbitrators:
        area = areas.get(expert.jurisdiction_code, set()) | {expert.jurisdiction_code}
        rosters = [i for i in institutions if i.jurisdiction_code in area]
        if shiac is not None and expert.jurisdiction_code == "HK":
            rosters.append(shiac)
        held = {p.institution_id for p in expert.panel_memberships}
        for institution in rosters:
            if institution.id not in held:
                db.session.add(PanelMembership(expert=expert, institution=institution,
                                               start=start, note="demo roster"))
                held.add(institution.id)
                added += 1
    db.session.flush()
    return added
