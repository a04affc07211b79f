"""An expert's relatives and personal relations in the coordinator's console (docs/persons.md):
the expert's own pages, for the experts of the coordinator's region (and for admins).
Identity numbers are masked here as everywhere on the pages. Imported once at the end of
web/coordinator.py.
"""

from flask import url_for
from flask_login import current_user

from registry.services import access
from registry.web import person_labels
from registry.web.coordinator import bp
from registry.web.expert_persons import relation_form_page, relations_page, withdraw

person_labels.register(bp)


def _expert(expert_id: int):
    return access.expert_for_declarations(current_user, expert_id)


@bp.get("/experts/<int:expert_id>/relations")
def expert_relations(expert_id):
    return relations_page(_expert(expert_id),
                          url_for("coordinator.new_expert_relation", expert_id=expert_id),
                          url_for("coordinator.experts"),
                          "coordinator.withdraw_expert_relation", own=False,
                          expert_id=expert_id)


@bp.route("/experts/<int:expert_id>/relations/new", methods=["GET", "POST"])
def new_expert_relation(expert_id):
    return relation_form_page(_expert(expert_id),
                              url_for("coordinator.expert_relations", expert_id=expert_id),
                              own=False)


@bp.post("/experts/<int:expert_id>/relations/<int:relation_id>/withdraw")
def withdraw_expert_relation(expert_id, relation_id):
    return withdraw(_expert(expert_id), relation_id,
                    url_for("coordinator.expert_relations", expert_id=expert_id))
