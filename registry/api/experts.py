"""/api/v1/experts: the registry of experts, and what each declares about itself."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.models import Affiliation, CreditRecord, DeclaredConflict, Expert, Unavailability
from registry.schemas.common import input_names
from registry.schemas.experts import (
    AffiliationSchema,
    AffiliationUpdateSchema,
    ConflictSchema,
    CreditRecordSchema,
    ExpertPageSchema,
    ExpertPublicSchema,
    ExpertSchema,
    ExpertSearchArgs,
    ExpertUpdateSchema,
    UnavailabilitySchema,
)
from registry.services import access
from registry.services import experts as service
from registry.services import permissions as may

expert_update_schema = ExpertUpdateSchema(partial=True)
bp = Blueprint("experts", __name__, url_prefix="/api/v1/experts",
               description="Technical investigators, arbitrators and consultants.")


def dump_expert(user, expert: Expert):
    return jsonify(access.expert_view(user, expert).dump(expert))


def expert_for_declarations(expert_id: int) -> tuple:
    user = api_user()
    return user, access.expert_for_declarations(user, expert_id)


@bp.route("")
class ExpertList(MethodView):
    @bp.arguments(ExpertSearchArgs, location="query")
    @bp.response(200, ExpertPageSchema)
    def get(self, args):
        """Search experts by field (IPC prefix), city, jurisdiction, role, language, date."""
        user = api_user()
        found = service.search_page(may.scope_experts(service.search(args), user), args)
        # Each expert in the view this user has of it: contacts only for its managers.
        return jsonify(dict(found, items=[access.expert_view(user, expert).dump(expert)
                                          for expert in found["items"]]))

    @bp.arguments(ExpertSchema)
    @bp.response(201, ExpertSchema)
    def post(self, data):
        """Add an expert (coordinators for their region, admins)."""
        user = api_user()
        expert = service.create_expert(data, user)
        may.allow(may.can_manage_expert(user, expert), "the expert's jurisdiction is not yours")
        db.session.commit()
        return expert


@bp.route("/<int:expert_id>")
class ExpertItem(MethodView):
    @bp.response(200, ExpertSchema)
    @bp.alt_response(200, schema=ExpertPublicSchema, description="for court clerks")
    def get(self, expert_id):
        """Read an expert; contact details only for the expert and its managers."""
        user = api_user()
        return dump_expert(user, access.expert_for(user, expert_id))

    @bp.arguments(expert_update_schema)
    @bp.response(200, ExpertSchema)
    def patch(self, data, expert_id):
        """Change an expert's record: all of it for coordinators of its region and admins;
        languages, workload, travel limit and contacts for the expert itself."""
        user = api_user()
        changing = input_names(expert_update_schema, data)
        expert = access.expert_to_edit(user, expert_id, changing)
        service.update_expert(expert, data, user)
        answer = dump_expert(user, expert)  # before the commit expires it: no reload
        db.session.commit()
        return answer


@bp.route("/<int:expert_id>/unavailability")
class UnavailabilityList(MethodView):
    @bp.response(200, UnavailabilitySchema(many=True))
    def get(self, expert_id):
        """The expert's unavailable days."""
        return expert_for_declarations(expert_id)[1].unavailability

    @bp.arguments(UnavailabilitySchema)
    @bp.response(201, UnavailabilitySchema)
    def post(self, data, expert_id):
        """Declare days the expert cannot work."""
        user, expert = expert_for_declarations(expert_id)
        entry = service.add_unavailability(expert, data, user)
        db.session.commit()
        return entry


@bp.route("/<int:expert_id>/unavailability/<int:entry_id>")
class UnavailabilityItem(MethodView):
    @bp.response(204)
    def delete(self, expert_id, entry_id):
        """Withdraw a declared unavailability."""
        user, expert = expert_for_declarations(expert_id)
        entry = access.owned(Unavailability, entry_id, expert)
        service.remove(entry, user, "unavailability")
        db.session.commit()


@bp.route("/<int:expert_id>/affiliations")
class AffiliationList(MethodView):
    @bp.response(200, AffiliationSchema(many=True))
    def get(self, expert_id):
        """The expert's affiliations, current and past."""
        return expert_for_declarations(expert_id)[1].affiliations

    @bp.arguments(AffiliationSchema)
    @bp.response(201, AffiliationSchema)
    def post(self, data, expert_id):
        """Declare an affiliation (employer, faculty post, partnership, board seat...)."""
        user, expert = expert_for_declarations(expert_id)
        affiliation = service.add_affiliation(expert, data, user)
        db.session.commit()
        return affiliation


@bp.route("/<int:expert_id>/affiliations/<int:affiliation_id>")
class AffiliationItem(MethodView):
    @bp.arguments(AffiliationUpdateSchema)
    @bp.response(200, AffiliationSchema)
    def patch(self, data, expert_id, affiliation_id):
        """End (or reopen) an affiliation."""
        user, expert = expert_for_declarations(expert_id)
        affiliation = access.owned(Affiliation, affiliation_id, expert)
        service.end_affiliation(affiliation, data["end"], user)
        db.session.commit()
        return affiliation


@bp.route("/<int:expert_id>/conflicts")
class ConflictList(MethodView):
    @bp.response(200, ConflictSchema(many=True))
    def get(self, expert_id):
        """Organizations the expert declared a conflict of interest with."""
        return expert_for_declarations(expert_id)[1].conflicts

    @bp.arguments(ConflictSchema)
    @bp.response(201, ConflictSchema)
    def post(self, data, expert_id):
        """Declare a conflict of interest with an organization."""
        user, expert = expert_for_declarations(expert_id)
        conflict = service.add_conflict(expert, data, user)
        db.session.commit()
        return conflict


@bp.route("/<int:expert_id>/conflicts/<int:conflict_id>")
class ConflictItem(MethodView):
    @bp.response(204)
    def delete(self, expert_id, conflict_id):
        """Withdraw a declared conflict."""
        user, expert = expert_for_declarations(expert_id)
        service.remove(access.owned(DeclaredConflict, conflict_id, expert), user, "conflict")
        db.session.commit()


@bp.route("/<int:expert_id>/credit-records")
class CreditRecordList(MethodView):
    @bp.response(200, CreditRecordSchema(many=True))
    def get(self, expert_id):
        """Discipline and credit records, shared across regions."""
        return expert_for_declarations(expert_id)[1].credit_records

    @bp.arguments(CreditRecordSchema)
    @bp.response(201, CreditRecordSchema)
    def post(self, data, expert_id):
        """Record a warning, a serious record or a suspension (coordinators, admins)."""
        user = api_user()
        expert = access.expert_to_manage(user, expert_id)
        entry = service.add_credit_record(expert, data, user)
        db.session.commit()
        return entry


@bp.route("/<int:expert_id>/credit-records/<int:entry_id>")
class CreditRecordItem(MethodView):
    @bp.response(204)
    def delete(self, expert_id, entry_id):
        """Remove a record entered by mistake (coordinators, admins); the audit log keeps it."""
        user = api_user()
        entry = access.owned(CreditRecord, entry_id, access.expert_to_manage(user, expert_id))
        service.remove_credit_record(entry, user)
        db.session.commit()


import registry.api.persons  # noqa: E402, F401  (natural persons' routes)
from registry.api import panels  # noqa: E402, F401  (arbitration rosters' routes)
