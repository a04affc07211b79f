"""/api/v1/tokens: trade an email and password (HTTP Basic) for a bearer token."""

from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from registry.api.auth import api_user, user_from_basic_auth
from registry.extensions import db
from registry.models import ApiToken
from registry.models.users import hash_token
from registry.services import permissions as may

bp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens",
               description="Bearer tokens for the API.")


class TokenSchema(Schema):
    token = fields.Str()
    expires_at = fields.DateTime()


@bp.route("")
class Tokens(MethodView):
    @bp.response(201, TokenSchema)
    @bp.doc(security=[{"basicAuth": []}])
    def post(self):
        """Issue a bearer token for the account named by HTTP Basic credentials."""
        user = user_from_basic_auth()
        if user is None:
            abort(401, message="Send your email and password with HTTP Basic authentication.")
        may.allow(not user.must_change_password,
                  "this account's password was reset by an admin: sign in on the web and "
                  "choose a new password before asking for a token")
        hours = current_app.config["TOKEN_LIFETIME_HOURS"]
        stored, token = ApiToken.issue(user, timedelta(hours=hours))
        db.session.add(stored)
        db.session.commit()
        return {"token": token, "expires_at": stored.expires_at}

    @bp.response(204)
    def delete(self):
        """Revoke the bearer token this call carries."""
        api_user()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        stored = db.session.get(ApiToken, hash_token(token.strip()))
        if scheme.lower() != "bearer" or stored is None:
            abort(401, message="Send the bearer token to revoke.")
        db.session.delete(stored)
        db.session.commit()
