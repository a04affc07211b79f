"""Natural persons in the API (docs/persons.md), on the cases and experts blueprints:

- /api/v1/cases/<id>/person-parties: natural-person parties (with their agents);
- /api/v1/cases/<id>/parties/<id>/agent: an individual agent for any party;
- /api/v1/experts/<id>/relations: near relatives and other relations an expert declares.

Imported once at the end of api/experts.py, before the blueprints are registered.
"""

from flask.views import MethodView

from registry.api.auth import api_user
from registry.api.cases import bp as cases_bp
from registry.api.experts import bp as experts_bp
from registry.extensions import db
from registry.schemas.persons import (
    AgentSchema,
    PersonPartySchema,
    PersonPartyViewSchema,
    RelationInputSchema,
    RelationViewSchema,
)
from registry.services import access
from registry.services import persons as service


def _case(case_id: int, to_change: bool = False):
    user = api_user()
    return user, access.case_for(user, case_id, to_change=to_change)


@cases_bp.route("/<int:case_id>/person-parties")
class PersonPartyList(MethodView):
    @cases_bp.response(200, PersonPartyViewSchema(many=True))
    def get(self, case_id):
        """The case's parties with their natural persons (numbers masked but for admins)."""
        user, case = _case(case_id)
        return [service.party_view(party, user) for party in case.parties]

    @cases_bp.arguments(PersonPartySchema)
    @cases_bp.response(201, PersonPartyViewSchema)
    def post(self, data, case_id):
        """Add a natural person as a party, with its law firm and individual agent."""
        user, case = _case(case_id, to_change=True)
        party = service.add_person_party(case, data, user)
        db.session.commit()
        return service.party_view(party, user)


@cases_bp.route("/<int:case_id>/person-parties/<int:party_id>")
class PersonPartyItem(MethodView):
    @cases_bp.response(204)
    def delete(self, case_id, party_id):
        """Take a natural-person party off the case."""
        user, case = _case(case_id, to_change=True)
        service.remove_person_party(service.party_of(case, party_id), user)
        db.session.commit()


@cases_bp.route("/<int:case_id>/parties/<int:party_id>/agent")
class PartyAgent(MethodView):
    @cases_bp.arguments(AgentSchema)
    @cases_bp.response(200, PersonPartyViewSchema)
    def put(self, data, case_id, party_id):
        """Give a party (organisation or person) an individual agent, or replace it."""
        user, case = _case(case_id, to_change=True)
        party = service.set_agent(service.party_of(case, party_id), data, user)
        db.session.commit()
        return service.party_view(party, user)

    @cases_bp.response(204)
    def delete(self, case_id, party_id):
        """Remove the party's individual agent."""
        user, case = _case(case_id, to_change=True)
        service.set_agent(service.party_of(case, party_id), None, user)
        db.session.commit()


def _expert(expert_id: int):
    user = api_user()
    return user, access.expert_for_declarations(user, expert_id)


@experts_bp.route("/<int:expert_id>/relations")
class RelationList(MethodView):
    @experts_bp.response(200, RelationViewSchema(many=True))
    def get(self, expert_id):
        """Near relatives and other relations the expert declared (the expert, its
        coordinators, admins)."""
        user, expert = _expert(expert_id)
        return [service.relation_view(r, user) for r in service.relations_of(expert)]

    @experts_bp.arguments(RelationInputSchema)
    @experts_bp.response(201, RelationViewSchema)
    def post(self, data, expert_id):
        """Declare a near relative (a bar where that person is a party or agent) or another
        relation (disclosed)."""
        user, expert = _expert(expert_id)
        relation = service.declare_relation(expert, data, user)
        db.session.commit()
        return service.relation_view(relation, user)


@experts_bp.route("/<int:expert_id>/relations/<int:relation_id>")
class RelationItem(MethodView):
    @experts_bp.response(204)
    def delete(self, expert_id, relation_id):
        """Withdraw a declared relation."""
        user, expert = _expert(expert_id)
        service.remove_relation(service.relation_of(expert, relation_id), user)
        db.session.commit()
