"""The expert's recusal from a whole case (自行回避, docs/recusal.md), on the expert blueprint.

Reached from an assignment (proposed, confirmed, accepted, or declined: a decline's reason is
offered as the recusal's), for a case that met the expert; any other case is a 404.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from registry.schemas.recusals import RecusalSchema
from registry.services import access
from registry.services import recusals as service
from registry.web.expert import bp
from registry.web.forms import Form, submit


def _from_assignment(case):
    """The assignment the expert came from (its own, on this case), or None."""
    wanted = request.args.get("assignment", type=int)
    if not wanted:
        return None
    assignment = access.assignment_for(current_user, wanted)
    return assignment if assignment.request.case_id == case.id else None


@bp.route("/cases/<int:case_id>/recuse", methods=["GET", "POST"])
def recuse(case_id):
    case, expert = service.case_to_recuse(current_user, case_id)
    came_from = _from_assignment(case)
    suggested = MultiDict({"reason": came_from.decline_reason} if came_from else {})
    form = Form(RecusalSchema(), request.form if request.method == "POST" else suggested)
    prefer = came_from.request if came_from else None
    if request.method == "POST" and submit(form, lambda data: service.recuse(
            case, expert, data["reason"], current_user, prefer=prefer)):
        flash(_("You recused from case %(number)s: you will not be proposed for any of its "
                "requests, and the coordinator is told of the seats you hold there.",
                number=case.number), "success")
        return redirect(url_for("expert.assignments"))
    return render_template("expert/recuse.html", form=form, case=case,
                           came_from=came_from), 422 if form.errors else 200


def recused_cases() -> set[int]:
    """The cases the signed-in expert recused from (its assignments page marks them)."""
    return service.recused_case_ids(current_user.expert_id)
