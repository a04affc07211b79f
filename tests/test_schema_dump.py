"""The schemas' shorter dump (registry/schemas/base.py) gives what marshmallow's own gives.

Every dump the API makes while the demo registry is read as several kinds of user is done
both ways and compared: the experts (whole and public), cases, requests, assignments with
their disclosures and flags, solver runs, users, the audit log, challenges and reference
data, nested schemas included.
"""

import marshmallow
import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    Case,
    Challenge,
    DispatchRequest,
    Expert,
    SolverRun,
    User,
    UserRole,
)
from registry.schemas import base
from registry.services import seeding
from tests.test_seeding import SMALL_DEMO


@pytest.fixture
def both_ways(monkeypatch):
    """Make every dump twice, fail on a difference; yields the names of the schemas seen."""
    seen = set()
    shorter = base.Schema._serialize

    def compared(self, obj, *, many=False):
        ours = shorter(self, obj, many=many)
        assert ours == marshmallow.Schema._serialize(self, obj, many=many), type(self).__name__
        seen.add(type(self).__name__)
        return ours

    monkeypatch.setattr(base.Schema, "_serialize", compared)
    return seen


def ids(model, limit: int = 5) -> list[int]:
    return list(db.session.scalars(select(model.id).order_by(model.id).limit(limit)))


def test_every_dump_of_the_demo_registry_is_marshmallows_own(app, client, make, both_ways):
    seeding.load_reference_data()
    seeding.load_demo_registry(experts=SMALL_DEMO, showcase=True)
    db.session.commit()
    users = db.session.scalars(select(User).order_by(User.id)).all()
    readers = [next(u for u in users if u.role == role) for role in UserRole]
    cases, requests, experts = ids(Case, 20), ids(DispatchRequest, 20), ids(Expert, 10)
    coordinator = next(u for u in users if u.role == UserRole.COORDINATOR)
    queued = client.post("/api/v1/solver-runs", headers=make.token_for(coordinator), json={
        "region": coordinator.region, "from": "2026-01-05", "to": "2026-03-27"})
    assert queued.status_code == 202
    seats = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    paths = [
        "/api/v1/experts?per_page=100", "/api/v1/experts?role=arbitrator",
        *[f"/api/v1/experts/{i}" for i in experts],
        *[f"/api/v1/experts/{i}/{what}" for i in experts[:3]
          for what in ("unavailability", "affiliations", "conflicts", "credit-records",
                       "relations", "panels")],
        "/api/v1/cases?per_page=100", *[f"/api/v1/cases/{i}" for i in cases],
        *[f"/api/v1/cases/{i}/{what}" for i in cases[:5]
          for what in ("challenges", "notices", "person-parties")],
        "/api/v1/requests?per_page=100", *[f"/api/v1/requests/{i}" for i in requests],
        "/api/v1/assignments?per_page=100",
        *[f"/api/v1/assignments/{a.id}" for a in seats[:20]],
        *[f"/api/v1/disclosures/requests/{a.request_id}/experts/{a.expert_id}" for a in seats],
        "/api/v1/solver-runs", *[f"/api/v1/solver-runs/{i}" for i in ids(SolverRun)],
        *[f"/api/v1/cases/{c.case_id}/challenges/{c.id}"
          for c in db.session.scalars(select(Challenge))],
        "/api/v1/users", "/api/v1/users/me", "/api/v1/users/audit-events",
        "/api/v1/organizations", "/api/v1/recusal-duties",
        "/api/v1/reference/cities", "/api/v1/reference/jurisdictions",
        "/api/v1/reference/agreements", "/api/v1/reference/ipc-fields",
    ]
    answered = 0
    for reader in readers:
        headers = make.token_for(reader)
        for path in paths:
            answer = client.get(path, headers=headers)
            assert answer.status_code in (200, 403, 404), (path, answer.status_code)
            answered += answer.status_code == 200
    assert answered > len(paths)
    assert {"ExpertSchema", "ExpertPublicSchema", "ExpertFieldSchema", "CaseSchema",
            "PartySchema", "RequestSchema", "StandingRequestSchema", "AssignmentSchema",
            "DisclosureSchema", "SolverRunSchema", "UserSchema", "AuditEventSchema",
            "CitySchema"} <= both_ways
