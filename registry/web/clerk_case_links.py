"""Issue 9 item 5 on the clerk's pages: link a case's earlier stage in one click (a suggestion
on the case page). Registers on the clerk blueprint; what the page shows: case_stage_words."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.i18n import translate_error
from registry.models import DomainError
from registry.schemas.common import parse_id
from registry.services import access, case_stages
from registry.web.clerk import bp


@bp.post("/cases/<int:case_id>/earlier-stage")
def link_earlier_stage(case_id):
    """Link the earlier stage picked on the case page (a suggestion, in one click)."""
    case = access.case_for(current_user, case_id, to_change=True)
    earlier_id = parse_id(request.form.get("earlier_stage_id", ""))
    try:
        case_stages.link_earlier_stage(case, earlier_id or 0, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(translate_error(error), "error")
        return redirect(url_for("clerk.case", case_id=case_id))
    db.session.commit()
    flash(_("Earlier stage %(number)s linked.", number=case.earlier_stage.number), "success")
    return redirect(url_for("clerk.case", case_id=case_id))
