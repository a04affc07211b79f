"""Who is calling: a bearer token on every API call (HTTP Basic only to obtain one)."""

from flask import request
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from registry.extensions import db, login_manager
from registry.models import ApiToken, User, utcnow
from registry.models.users import hash_token
from registry.services import accounts

# The user a live token belongs to: one query per API call, for the user alone (the token
# row itself is never needed). Built once, not per call: building a statement and its cache
# key cost ~0.5 ms of Python here, about half of what running it costs (docs/load.md).
USER_OF_TOKEN = (
    select(User).join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"),
           ApiToken.expires_at > bindparam("now"), User.active.is_(True)))


@login_manager.request_loader
def user_from_bearer_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return db.session.scalar(USER_OF_TOKEN, {"token_hash": hash_token(token.strip()),
                                             "now": utcnow()})


@login_manager.user_loader
def user_from_session(user_id: str) -> User | None:
    """The pages' signed-in user. The API never takes the session: its calls are exempt from
    CSRF, so a cookie would let any site make a signed-in browser call it. Bearer tokens only."""
    if request.path.startswith("/api/"):
        return None
    key, _, epoch = user_id.partition(":")
    if not key.isdigit():
        return None
    # Pages show the clerk's body in their headings: load it with the user.
    user = db.session.get(User, int(key), options=[joinedload(User.body)])
    # A session from before the account's sessions were ended (User.end_sessions) is void.
    return user if user is not None and user.holds_session(epoch) else None


def user_from_basic_auth() -> User | None:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        return None
    return accounts.authenticate(auth.username, auth.password or "")


def api_user() -> User:
    """The authenticated caller, or a 401."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        abort(401, message="Send a bearer token: POST /api/v1/tokens with HTTP Basic gives one.")
    return current_user._get_current_object()
