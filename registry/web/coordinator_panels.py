"""The console's roster page: an arbitrator's places on arbitration institutions' rosters.

Arbitrators serve an institution's case by its roster, not by geography (docs/rules.md, rule
`jurisdiction`). Coordinators of the expert's region and admins put an arbitrator on a
roster, end a place or remove one entered by mistake; each change is audited on the expert
(services/panels.py), and the API does the same at /api/v1/experts/<id>/panels.
"""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.models import ExpertRole, PanelMembership
from registry.schemas.panels import PanelMembershipSchema, PanelMembershipUpdateSchema
from registry.services import access
from registry.services import panels as service
from registry.web.coordinator import bp
from registry.web.forms import Form, submit
from registry.web.labels import name_of


def roster_page(expert_id: int, form: Form | None = None):
    """The expert's places with their institution, and the form to add one."""
    expert = access.expert_to_manage(current_user, expert_id)
    institutions = service.arbitration_institutions()
    by_id = {i.id: i for i in institutions}
    places = [{"id": p.id, "institution": name_of(by_id.get(p.institution_id)),
               "start": p.start, "end": p.end, "note": p.note,
               "current": p.end is None or p.end >= date.today()}
              for p in expert.panel_memberships]
    form = form if form is not None else Form(PanelMembershipSchema())
    return render_template(
        "coordinator/panels.html", expert=expert, places=places, form=form,
        is_arbitrator=ExpertRole.ARBITRATOR.value in expert.role_names,
        institutions=[(i.id, name_of(i)) for i in institutions],
        today=date.today().isoformat()), 422 if form.errors else 200


@bp.get("/experts/<int:expert_id>/panels")
def expert_panels(expert_id):
    return roster_page(expert_id)


@bp.post("/experts/<int:expert_id>/panels")
def add_panel(expert_id):
    expert = access.expert_to_manage(current_user, expert_id)
    form = Form(PanelMembershipSchema(), request.form)
    if submit(form, lambda data: service.add_place(expert, data, current_user)) is None:
        return roster_page(expert_id, form)
    flash(_("%(expert)s is on the roster.", expert=expert.name), "success")
    return redirect(url_for("coordinator.expert_panels", expert_id=expert_id))


def _place(expert_id: int, place_id: int):
    expert = access.expert_to_manage(current_user, expert_id)
    return expert, access.owned(PanelMembership, place_id, expert)


@bp.post("/experts/<int:expert_id>/panels/<int:place_id>/end")
def end_panel(expert_id, place_id):
    _expert, place = _place(expert_id, place_id)
    form = Form(PanelMembershipUpdateSchema(), request.form)
    if submit(form, lambda data: service.end_place(place, data["end"], current_user)) is None:
        errors = Form(PanelMembershipSchema())
        errors.errors = {"_form": [message for found in form.errors.values()
                                   for message in found]}
        return roster_page(expert_id, errors)
    flash(_("The place on the roster was changed."), "success")
    return redirect(url_for("coordinator.expert_panels", expert_id=expert_id))


@bp.post("/experts/<int:expert_id>/panels/<int:place_id>/remove")
def remove_panel(expert_id, place_id):
    _expert, place = _place(expert_id, place_id)
    service.remove_place(place, current_user)
    db.session.commit()
    flash(_("The place on the roster was removed."), "success")
    return redirect(url_for("coordinator.expert_panels", expert_id=expert_id))
