"""/api/v1/users: accounts (admins manage them; everyone reads their own)."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from registry.api.auth import api_user
from registry.extensions import db
from registry.models import AuditEvent, User
from registry.schemas.accounts import (
    AuditArgs,
    AuditPageSchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from registry.schemas.common import PageArgs
from registry.services import access, accounts
from registry.services import permissions as may
from registry.services.listing import page_of

bp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts.")


@bp.route("")
class UserList(MethodView):
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, UserPageSchema)
    def get(self, args):
        """List accounts (admins)."""
        may.allow(may.can_manage_users(api_user()), "only admins manage accounts")
        return page_of(select(User).order_by(User.id), args)

    @bp.arguments(UserSchema)
    @bp.response(201, UserSchema)
    def post(self, data):
        """Create an account scoped to a body, a region or an expert (admins)."""
        actor = api_user()
        may.allow(may.can_manage_users(actor), "only admins manage accounts")
        user = accounts.create_user(data["email"], data["role"].value, data["password"],
                                    body=data.get("body"), region=data.get("region"),
                                    expert_id=data.get("expert_id"), actor=actor)
        db.session.commit()
        return user


@bp.route("/me")
class Me(MethodView):
    @bp.response(200, UserSchema)
    def get(self):
        """The account this token belongs to."""
        return api_user()


@bp.route("/<int:user_id>")
class UserItem(MethodView):
    @bp.arguments(UserUpdateSchema)
    @bp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Deactivate or reactivate an account (admins)."""
        actor = api_user()
        may.allow(may.can_manage_users(actor), "only admins manage accounts")
        user = access.get_row(User, user_id, "user")
        accounts.set_active(user, data["active"], actor)
        db.session.commit()
        return user


@bp.route("/audit-events")
class AuditEvents(MethodView):
    @bp.arguments(AuditArgs, location="query")
    @bp.response(200, AuditPageSchema)
    def get(self, args):
        """The append-only audit log, newest first (admins)."""
        may.allow(may.can_manage_users(api_user()), "only admins read the audit log")
        query = select(AuditEvent).order_by(AuditEvent.id.desc())
        for key in ("entity", "entity_id"):
            if args.get(key):
                query = query.where(getattr(AuditEvent, key) == args[key])
        return page_of(query, args)
