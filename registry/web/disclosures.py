"""Pages for an arbitrator's disclosures: what is disclosed about an expert on a request, and
the form where a coordinator or the filing body's clerk records the parties' no-objection or
written waiver (docs/disclosure.md). The routes join the console's and the clerk's blueprints
(imported at the end of web/coordinator.py and web/clerk.py); the form loads through the
API's WaiverSchema, so the page and POST /api/v1/disclosures/... refuse the same input.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.i18n import translate_error
from registry.models import WaiverKind
from registry.schemas.disclosures import SCOPES, WaiverSchema
from registry.services import disclosures as service
from registry.services import permissions as may
from registry.web import clerk, coordinator
from registry.web.forms import Form, submit
from registry.web.labels import rule_label
from scheduler import rules


@coordinator.bp.app_template_global()
def rule_title(key: str) -> str:
    """A rule's title from the rule table, in the reader's language."""
    return rule_label(key)


@coordinator.bp.app_template_global()
def disclosure_detail(finding) -> str:
    """A finding in the reader's language (its template is in the catalog)."""
    return translate_error(finding)


def kind_choices() -> list[tuple[str, str]]:
    words = {WaiverKind.NO_OBJECTION: _("No objection (orange list: told, no party objected)"),
             WaiverKind.WRITTEN_WAIVER: _("Express written waiver of all parties")}
    return [(kind.value, words[kind]) for kind in WaiverKind]


def scope_choices() -> list[tuple[str, str]]:
    words = {"request": _("This request only"), "case": _("Every request of this case")}
    return [(scope, words[scope]) for scope in SCOPES]


def pair_page(request_id: int, expert_id: int, form: Form, back: str):
    """The disclosures of the pair and, for who may record them, the answer form."""
    dispatch_request, expert = service.pair_for(current_user, request_id, expert_id)
    found = service.disclosures(dispatch_request, expert)
    pending = [d.finding.rule for d in found if not d.cleared]
    answerable = [d.finding.rule for d in found if d.severity in (rules.WAIVABLE,
                                                                     rules.DISCLOSE)]
    choices = [(key, rule_title(key)) for key in dict.fromkeys(pending + answerable)
               if key in answerable]  # pending ones first; never a bar's
    return render_template(
        "disclosures/pair.html", req=dispatch_request, case_number=dispatch_request.case.number,
        expert=expert, found=found, form=form, rule_choices=choices,
        kind_choices=kind_choices(), scope_choices=scope_choices(), back=back,
        may_record=may.can_record_waiver(current_user, dispatch_request),
        action=url_for(request.endpoint, request_id=request_id, expert_id=expert_id)), \
        422 if form.errors else 200


def answer(request_id: int, expert_id: int, back: str):
    if request.method == "GET":
        return pair_page(request_id, expert_id, Form(WaiverSchema()), back)
    dispatch_request, expert = service.pair_for(current_user, request_id, expert_id)
    form = Form(WaiverSchema(), request.form, aliases={"expert_id": "_form"})
    recorded = submit(form, lambda data: service.record_waiver(dispatch_request, expert, data,
                                                               current_user))
    if recorded is None:
        return pair_page(request_id, expert_id, form, back)
    flash(_("The parties' answer is recorded."), "success")
    return redirect(url_for(request.endpoint, request_id=request_id, expert_id=expert_id))


@coordinator.bp.route("/requests/<int:request_id>/experts/<int:expert_id>/disclosures",
                      methods=["GET", "POST"], endpoint="disclosures")
def coordinator_disclosures(request_id, expert_id):
    back = url_for("coordinator.candidates", request_id=request_id)
    return answer(request_id, expert_id, back)


@clerk.bp.route("/requests/<int:request_id>/experts/<int:expert_id>/disclosures",
                methods=["GET", "POST"], endpoint="disclosures")
def clerk_disclosures(request_id, expert_id):
    back = url_for("clerk.request_page", request_id=request_id)
    return answer(request_id, expert_id, back)
