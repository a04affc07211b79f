"""/api/v1/cases/<id>/recusals, /challenges, /notices: the recusal lifecycle (docs/recusal.md).

Routes of the cases blueprint, added from this module (imported at the end of api/cases.py).
"""

from flask.views import MethodView

from registry.api.auth import api_user
from registry.api.cases import bp
from registry.extensions import db
from registry.models import DomainError
from registry.schemas.recusals import (
    ChallengeCreateSchema,
    ChallengeSchema,
    DecisionSchema,
    DutiesSchema,
    NoticeSchema,
    RecusalOutSchema,
    RecusalSchema,
    ReviewSchema,
    ServedSchema,
)
from registry.services import access
from registry.services import recusals as service


def _prefer(case, request_id):
    """The request a recusal is recorded on, when named: one of the case's."""
    if request_id is None:
        return None
    found = next((r for r in case.requests if r.id == request_id), None)
    if found is None:
        raise DomainError("request {request_id} is not a request of this case",
                                  field="request_id", request_id=request_id)
    return found


@bp.route("/<int:case_id>/recusals")
class CaseRecusals(MethodView):
    @bp.arguments(RecusalSchema)
    @bp.response(201, RecusalOutSchema)
    def post(self, data, case_id):
        """Recuse from the whole case (自行回避): the expert itself (or an admin naming it).
        Its seats on the case are flagged for the coordinator, not dropped."""
        user = api_user()
        case, expert = service.case_to_recuse(user, case_id, data["expert_id"])
        exclusion = service.recuse(case, expert, data["reason"], user,
                                   prefer=_prefer(case, data["request_id"]))
        db.session.commit()
        return exclusion

    @bp.response(200, RecusalOutSchema(many=True))
    def get(self, case_id):
        """The experts who recused from a case in your scope, with their reasons."""
        return service.recusals_of(access.case_for(api_user(), case_id))


@bp.route("/<int:case_id>/challenges")
class CaseChallenges(MethodView):
    @bp.response(200, ChallengeSchema(many=True))
    def get(self, case_id):
        """A case's challenges (申请回避), newest first, with their deadlines."""
        return service.challenges_of(access.case_for(api_user(), case_id))

    @bp.arguments(ChallengeCreateSchema)
    @bp.response(201, ChallengeSchema)
    def post(self, data, case_id):
        """Record a party's challenge as pending (the handling body's clerks): the expert is
        suspended from the case until it is decided."""
        user = api_user()
        challenge = service.record_challenge(access.case_for(user, case_id), data, user)
        db.session.commit()
        return challenge


@bp.route("/<int:case_id>/challenges/<int:challenge_id>")
class CaseChallenge(MethodView):
    @bp.response(200, ChallengeSchema)
    def get(self, case_id, challenge_id):
        """Read one challenge."""
        return service.challenge_for(api_user(), case_id, challenge_id)


def _move(case_id, challenge_id, action):
    user = api_user()
    challenge = service.challenge_for(user, case_id, challenge_id)
    action(challenge, user)
    db.session.commit()
    return challenge


@bp.route("/<int:case_id>/challenges/<int:challenge_id>/decision")
class ChallengeDecision(MethodView):
    @bp.arguments(DecisionSchema)
    @bp.response(200, ChallengeSchema)
    def post(self, data, case_id, challenge_id):
        """Record the decision (upheld or rejected), who made it and why, within 3 days."""
        return _move(case_id, challenge_id, lambda c, u: service.decide(c, data, u))


@bp.route("/<int:case_id>/challenges/<int:challenge_id>/review")
class ChallengeReview(MethodView):
    @bp.arguments(ReviewSchema)
    @bp.response(200, ChallengeSchema)
    def post(self, data, case_id, challenge_id):
        """Record the applicant's one review (复议) of a rejection; a second one is a 409."""
        return _move(case_id, challenge_id, lambda c, u: service.request_review(c, data, u))


@bp.route("/<int:case_id>/challenges/<int:challenge_id>/review-decision")
class ChallengeReviewDecision(MethodView):
    @bp.arguments(DecisionSchema)
    @bp.response(200, ChallengeSchema)
    def post(self, data, case_id, challenge_id):
        """Record the review's decision, within 3 days of the review request."""
        return _move(case_id, challenge_id,
                     lambda c, u: service.decide(c, data, u, review=True))


@bp.route("/<int:case_id>/notices")
class CaseNotices(MethodView):
    @bp.response(200, NoticeSchema(many=True))
    def get(self, case_id):
        """The parties' notices of the case's technical investigators, with their deadlines."""
        return service.notices_of(access.case_for(api_user(), case_id))


@bp.route("/<int:case_id>/notices/<int:notice_id>/served")
class NoticeServed(MethodView):
    @bp.arguments(ServedSchema)
    @bp.response(200, NoticeSchema)
    def post(self, data, case_id, notice_id):
        """Mark the notice served (when, how); the clerk who marks it is recorded."""
        user = api_user()
        notice = service.mark_served(service.notice_for(user, case_id, notice_id), data, user)
        db.session.commit()
        return notice


@bp.route("/recusal-duties")
class RecusalDuties(MethodView):
    @bp.response(200, DutiesSchema)
    def get(self):
        """Challenges awaiting a decision and notices not yet served, in your cases."""
        return service.duties_in_scope(api_user())
