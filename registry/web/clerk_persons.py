"""The clerk's natural-person pages (docs/persons.md), on the clerk blueprint: add a natural
person as a party, give any party an individual agent (a lawyer or a citizen), remove them.

Imported once at the end of web/clerk.py. Identity numbers are typed here but never shown:
the case page shows a mask (clerks are not admins).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.models import PartyRole
from registry.schemas.persons import AgentSchema, PersonPartySchema
from registry.services import access, case_queries, organizations
from registry.services import persons as service
from registry.web import person_labels
from registry.web.clerk import bp
from registry.web.forms import Form, submit
from registry.web.labels import choices

person_labels.register(bp)


def _case(case_id: int):
    return access.case_for(current_user, case_id, load=case_queries.CASE_PAGE, to_change=True)


def _back(case):
    return redirect(url_for("clerk.case", case_id=case.id))


@bp.route("/cases/<int:case_id>/person-parties/new", methods=["GET", "POST"])
def new_person_party(case_id):
    case = _case(case_id)
    form = Form(PersonPartySchema(), request.form if request.method == "POST" else None)
    if request.method == "POST" and submit(
            form, lambda data: service.add_person_party(case, data, current_user)):
        flash(_("Natural-person party added."), "success")
        return _back(case)
    chosen = organizations.options_by_id([form.value("counsel_id")])
    return render_template(
        "clerk/person_party_form.html", form=form, case=case, party_roles=choices(PartyRole),
        documents=person_labels.document_choices(), chosen_organizations=chosen), \
        422 if form.errors else 200


@bp.route("/cases/<int:case_id>/parties/<int:party_id>/agent", methods=["GET", "POST"])
def party_agent(case_id, party_id):
    case = _case(case_id)
    party = service.party_of(case, party_id)
    form = Form(AgentSchema(), request.form if request.method == "POST" else None)
    if request.method == "POST" and submit(
            form, lambda data: service.set_agent(party, data, current_user)):
        flash(_("Agent recorded."), "success")
        return _back(case)
    return render_template("clerk/person_agent_form.html", form=form, case=case, party=party,
                           documents=person_labels.document_choices()), \
        422 if form.errors else 200


@bp.post("/cases/<int:case_id>/parties/<int:party_id>/agent/remove")
def remove_party_agent(case_id, party_id):
    case = _case(case_id)
    service.set_agent(service.party_of(case, party_id), None, current_user)
    db.session.commit()
    flash(_("Agent removed."), "success")
    return _back(case)


@bp.post("/cases/<int:case_id>/person-parties/<int:party_id>/remove")
def remove_person_party(case_id, party_id):
    case = _case(case_id)
    service.remove_person_party(service.party_of(case, party_id), current_user)
    db.session.commit()
    flash(_("Natural-person party removed."), "success")
    return _back(case)
