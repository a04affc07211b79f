"""The demo registry's natural persons (docs/persons.md): a Shanghai IP Court case whose third
party is a natural person and whose defendant has a citizen agent; the demo expert declares
the first as its spouse (a bar on that case) and the second as a classmate (a disclosure).

Called by services/demo.py after the demo registry is built: `seed_persons_demo()`. The
identity numbers are made up (valid checksums, invented people). Idempotent: a registry that
already holds a person gets nothing more.
"""

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    Case,
    DispatchRequest,
    IdentityDocument,
    PartyRole,
    Person,
    RelationKind,
    User,
)
from registry.models.cases import OPEN_REQUEST_STATUSES
from registry.services import persons

CLERK = "clerk.sh-ipc@demo.example.com"
EXPERT = "expert@demo.example.com"


def _resident_id(first17: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


PARTY_ID = _resident_id("31010419700315201")   # 王建国, invented
AGENT_ID = _resident_id("32058219880707402")   # 陈静, invented


def seed_persons_demo() -> dict[str, int]:
    """Add the demo's natural persons; return how many persons and relations were made."""
    made = {"persons": 0, "relations": 0}
    clerk = db.session.scalar(select(User).where(User.email == CLERK))
    expert_user = db.session.scalar(select(User).where(User.email == EXPERT))
    if clerk is None or expert_user is None or expert_user.expert is None \
            or db.session.scalar(select(Person.id).limit(1)) is not None:
        return made
    case = _case(clerk.body_id, expert_user.expert_id)
    if case is None:
        return made
    persons.add_person_party(case, {
        "name": "王建国", "role": PartyRole.THIRD_PARTY,
        "document_type": IdentityDocument.RESIDENT_ID, "identity_number": PARTY_ID}, clerk)
    defendant = case.parties[1] if len(case.parties) > 1 else case.parties[0]
    persons.set_agent(defendant, {"agent_name": "陈静",
                                  "agent_document_type": IdentityDocument.RESIDENT_ID,
                                  "agent_identity_number": AGENT_ID}, clerk)
    expert = expert_user.expert
    persons.declare_relation(expert, {
        "name": "王建国", "kind": RelationKind.SPOUSE,
        "document_type": IdentityDocument.RESIDENT_ID, "identity_number": PARTY_ID},
        expert_user)
    persons.declare_relation(expert, {
        "name": "陈静", "kind": RelationKind.CLASSMATE, "note": "大学同班同学",
        "document_type": IdentityDocument.RESIDENT_ID, "identity_number": AGENT_ID},
        expert_user)
    db.session.flush()
    return {"persons": 4, "relations": 2}


def _case(body_id: int, expert_id: int) -> Case | None:
    """An open case of the body with organisation parties, on which the demo expert holds no
    seat (so the new bar breaks nothing already held)."""
    held = select(DispatchRequest.case_id).join(Assignment).where(
        Assignment.expert_id == expert_id)
    return db.session.scalar(
        select(Case).join(DispatchRequest).where(
            Case.handling_body_id == body_id, Case.parties.any(),
            DispatchRequest.status.in_(OPEN_REQUEST_STATUSES), Case.id.not_in(held))
        .order_by(Case.id).limit(1))
