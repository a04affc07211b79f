"""The expert's relatives and personal relations (docs/persons.md), on the expert blueprint:
a page listing them, a form to declare one, and a button to withdraw it. The coordinator's
console shows the same pages for its region's experts (web/coordinator_persons.py).

A near relative who is a party or an agent on a case bars the expert there (rule
`near_relative`); another relation is disclosed to the coordinator (`personal_relationship`).
Imported once at the end of web/expert.py.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.models import Expert
from registry.schemas.persons import RelationInputSchema
from registry.services import persons as service
from registry.web import person_labels
from registry.web.expert import bp, own_record
from registry.web.forms import Form, submit

person_labels.register(bp)


def relations_page(expert: Expert, new_url: str, back_url: str, withdraw_endpoint: str,
                   own: bool = True, **endpoint_args):
    """The list of the expert's relations, near relatives first, each with its withdraw
    button (posting to `withdraw_endpoint`)."""
    relations = service.relations_of(expert)
    return render_template(
        "expert/relations.html", new_url=new_url, back_url=back_url,
        expert_name=None if own else expert.name,
        near=[r for r in relations if r.is_near_relative],
        others=[r for r in relations if not r.is_near_relative],
        withdraw_urls={r.id: url_for(withdraw_endpoint, relation_id=r.id, **endpoint_args)
                       for r in relations})


def relation_form_page(expert: Expert, done_url: str, own: bool):
    """Declare a relation for the expert; back to `done_url` once declared."""
    form = Form(RelationInputSchema(), request.form if request.method == "POST" else None)
    if request.method == "POST" and submit(
            form, lambda data: service.declare_relation(expert, data, current_user)):
        flash(_("Relation declared."), "success")
        return redirect(done_url)
    return render_template(
        "expert/relation_form.html", form=form, back_url=done_url,
        expert_name=None if own else expert.name,
        near_kinds=person_labels.relation_choices(near=True),
        other_kinds=person_labels.relation_choices(near=False),
        documents=person_labels.document_choices()), 422 if form.errors else 200


def withdraw(expert: Expert, relation_id: int, done_url: str):
    service.remove_relation(service.relation_of(expert, relation_id), current_user)
    db.session.commit()
    flash(_("Relation withdrawn."), "success")
    return redirect(done_url)


@bp.get("/declarations/relations")
def relations():
    return relations_page(own_record(), url_for("expert.new_relation"),
                          url_for("expert.declarations"), "expert.withdraw_relation")


@bp.route("/declarations/relations/new", methods=["GET", "POST"])
def new_relation():
    return relation_form_page(own_record(), url_for("expert.relations"), own=True)


@bp.post("/declarations/relations/<int:relation_id>/withdraw")
def withdraw_relation(relation_id):
    return withdraw(own_record(), relation_id, url_for("expert.relations"))
