"""The clerk's pages of the recusal lifecycle (docs/recusal.md), on the clerk blueprint:
record a party's challenge, its decision, the one review and its decision; print the
parties' notice of a technical investigator and mark it served.

Forms load through the API's schemas (schemas/recusals.py); writes go through
services/recusals.py, which asks services/permissions.py.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from registry.models import ChallengeStatus, DeciderRole
from registry.models.recusals import deciders_for
from registry.schemas.recusals import (
    ChallengeCreateSchema,
    DecisionSchema,
    ReviewSchema,
    ServedSchema,
)
from registry.services import access, case_queries
from registry.services import permissions as may
from registry.services import recusals as service
from registry.web.clerk import bp
from registry.web.forms import Form, submit

# Words for the codes of this module (the shared labels stay untouched).
WORDS = {
    ChallengeStatus.PENDING: _l("pending: the expert is suspended"),
    ChallengeStatus.UPHELD: _l("upheld: the expert withdraws"),
    ChallengeStatus.REJECTED: _l("rejected: the expert stays"),
    ChallengeStatus.REVIEW_PENDING: _l("review requested"),
    ChallengeStatus.REVIEW_UPHELD: _l("upheld on review: the expert withdraws"),
    ChallengeStatus.REVIEW_REJECTED: _l("rejected on review: final"),
    DeciderRole.PRESIDING_JUDGE: _l("presiding judge or sole judge (审判长/独任审判员)"),
    DeciderRole.INSTITUTION_CHAIR: _l("chair of the arbitration commission (仲裁委员会主任)"),
    DeciderRole.INSTITUTION_COMMITTEE: _l("the arbitration commission collectively"),
    DeciderRole.AGENCY_HEAD: _l("head of the administrative body (行政机关负责人)"),
}
OUTCOMES = (("upheld", _l("upheld: the expert withdraws from the case")),
            ("rejected", _l("rejected: the expert goes on")))


def word(code) -> str:
    return str(WORDS.get(code, getattr(code, "value", code)))


def case_context(case) -> dict:
    """What the case page's recusal section shows (passed by clerk.case: templates never
    query)."""
    return dict(service.case_panel(case, current_user), recusal_word=word)


def _page(template: str, form: Form, **context):
    return render_template(template, form=form, recusal_word=word, **context), \
        422 if form.errors else 200


def _back(case_id: int):
    return redirect(url_for("clerk.case", case_id=case_id) + "#recusals")


def _today_values(name: str) -> MultiDict:
    return MultiDict({name: service.local_today().isoformat()})


def _handled_case(case_id: int):
    """The case (404 outside the clerk's body), and 403 unless its clerks handle it."""
    case = access.case_for(current_user, case_id, load=case_queries.CASE_PAGE)
    may.allow(may.can_handle_challenges(current_user, case),
              "only the clerks of the body handling the case")
    return case


@bp.route("/cases/<int:case_id>/challenges/new", methods=["GET", "POST"])
def new_challenge(case_id):
    case = _handled_case(case_id)
    form = Form(ChallengeCreateSchema(),
                request.form if request.method == "POST" else _today_values("applied_on"))
    if request.method == "POST" and submit(
            form, lambda data: service.record_challenge(case, data, current_user)):
        flash(_("Challenge recorded: the expert is suspended from the case until it is "
                "decided."), "success")
        return _back(case.id)
    parties = [(str(p.id), p.party_name) for p in case.parties]
    return _page("clerk/challenge_form.html", form, case=case, parties=parties,
                 experts=case_queries.experts_known_on_case(case))


def _decision_page(case_id: int, challenge_id: int, review: bool):
    challenge = service.challenge_for(current_user, case_id, challenge_id)
    case = _handled_case(case_id)
    values = request.form if request.method == "POST" else _today_values("decided_on")
    form = Form(DecisionSchema(), values, aliases={"version": "_form"})
    if request.method == "POST" and submit(form, lambda data: service.decide(
            challenge, data, current_user, review=review)):
        flash(_("Decision recorded."), "success")
        return _back(case.id)
    return _page("clerk/challenge_decision.html", form, case=case, challenge=challenge,
                 review=review, outcomes=OUTCOMES,
                 deciders=[(r.value, word(r)) for r in deciders_for(case)])


@bp.route("/cases/<int:case_id>/challenges/<int:challenge_id>/decision",
          methods=["GET", "POST"])
def decide_challenge(case_id, challenge_id):
    return _decision_page(case_id, challenge_id, review=False)


@bp.route("/cases/<int:case_id>/challenges/<int:challenge_id>/review-decision",
          methods=["GET", "POST"])
def decide_challenge_review(case_id, challenge_id):
    return _decision_page(case_id, challenge_id, review=True)


@bp.route("/cases/<int:case_id>/challenges/<int:challenge_id>/review",
          methods=["GET", "POST"])
def review_challenge(case_id, challenge_id):
    challenge = service.challenge_for(current_user, case_id, challenge_id)
    case = _handled_case(case_id)
    values = request.form if request.method == "POST" else _today_values("requested_on")
    form = Form(ReviewSchema(), values, aliases={"version": "_form"})
    if request.method == "POST" and submit(form, lambda data: service.request_review(
            challenge, data, current_user)):
        flash(_("Review request recorded."), "success")
        return _back(case.id)
    return _page("clerk/challenge_review.html", form, case=case, challenge=challenge)


@bp.get("/cases/<int:case_id>/notices/<int:notice_id>")
def print_notice(case_id, notice_id):
    """The parties' notice as a printable document (print CSS; Chinese, a court document)."""
    notice = service.notice_for(current_user, case_id, notice_id)
    return render_template("clerk/notice.html", **service.notice_document(notice))


@bp.route("/cases/<int:case_id>/notices/<int:notice_id>/served", methods=["GET", "POST"])
def serve_notice(case_id, notice_id):
    notice = service.notice_for(current_user, case_id, notice_id)
    case = _handled_case(case_id)
    form = Form(ServedSchema(),
                request.form if request.method == "POST" else _today_values("served_on"))
    if request.method == "POST" and submit(
            form, lambda data: service.mark_served(notice, data, current_user)):
        flash(_("Notice marked as served."), "success")
        return _back(case.id)
    return _page("clerk/notice_served.html", form, case=case, notice=notice)
