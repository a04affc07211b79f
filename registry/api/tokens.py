"""/api/v1/tokens: trade an email and password (HTTP Basic) for a bearer token.

Failed attempts are throttled per account and per address (registry/security.py); past the
limit the answer is 429 with Retry-After, before any password is checked.
"""

from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from registry import security
from registry.api.auth import api_user, user_from_basic_auth
from registry.errors import error_response
from registry.extensions import db
from registry.models import ApiToken
from registry.models.users import hash_token
from registry.services import accounts
from registry.services import permissions as may

bp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens",
               description="Bearer tokens for the API.")


class TokenSchema(Schema):
    token = fields.Str()
    expires_at = fields.DateTime()


@bp.route("")
class Tokens(MethodView):
    @bp.response(201, TokenSchema)
    @bp.alt_response(401, description="Wrong email or password, or an inactive account.")
    @bp.alt_response(429, description="Too many failed attempts for this account or from this "
                                      "address; Retry-After says when to try again.")
    @bp.doc(security=[{"basicAuth": []}])
    @security.throttle_sign_in
    def post(self):
        """Issue a bearer token for the account named by HTTP Basic credentials.

        Expired tokens are purged at the same time.
        """
        user = user_from_basic_auth()
        if user is None:
            security.failed_sign_in(via="api")  # counted, and recorded for good
            abort(401, message="Send your email and password with HTTP Basic authentication.")
        may.allow(not user.must_change_password,
                  "this account's password was reset by an admin: sign in on the web and "
                  "choose a new password before asking for a token")
        hours = current_app.config["TOKEN_LIFETIME_HOURS"]
        stored, token = accounts.issue_token(user, timedelta(hours=hours))
        db.session.commit()
        return {"token": token, "expires_at": stored.expires_at}

    @bp.response(204)
    def delete(self):
        """Revoke the bearer token this call carries."""
        user = api_user()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        stored = db.session.get(ApiToken, hash_token(token.strip()))
        if scheme.lower() != "bearer" or stored is None:
            abort(401, message="Send the bearer token to revoke.")
        accounts.revoke_token(stored, user)
        db.session.commit()


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error):
    wait = security.throttled_sign_in(via="api")
    response = error_response(429, f"Too many failed sign-in attempts: try again in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response
