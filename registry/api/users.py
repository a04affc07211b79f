"""/api/v1/users: accounts (admins manage them; everyone reads their own)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.models import User
from registry.schemas.accounts import (
    AuditArgs,
    AuditPageSchema,
    PasswordResetSchema,
    UserArgs,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from registry.services import access, accounts, audit_queries
from registry.services import permissions as may
from registry.services.listing import page_of

bp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts.")


@bp.route("")
class UserList(MethodView):
    @bp.arguments(UserArgs, location="query")
    @bp.response(200, UserPageSchema)
    def get(self, args):
        """List accounts by email, role, scope and whether active (admins)."""
        may.allow(may.can_manage_users(api_user()), "only admins manage accounts")
        return page_of(accounts.accounts_query(args), args)

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
        """Deactivate or reactivate an account, or change its role and scope (admins).

        The last active admin can be neither deactivated nor given another role (409).
        """
        actor = api_user()
        may.allow(may.can_manage_users(actor), "only admins manage accounts")
        user = access.get_row(User, user_id, "user")
        if "role" in data:
            data["role"] = data["role"].value
        accounts.update_account(user, data, actor)
        db.session.commit()
        return user


@bp.route("/<int:user_id>/password-reset")
class PasswordReset(MethodView):
    @bp.arguments(PasswordResetSchema)
    @bp.response(200, UserSchema)
    def post(self, data, user_id):
        """Set a temporary password; the user must choose a new one before working (admins).

        The account's bearer tokens are revoked, and no new one is issued until then.
        """
        actor = api_user()
        may.allow(may.can_manage_users(actor), "only admins manage accounts")
        user = access.get_row(User, user_id, "user")
        accounts.reset_password(user, data["password"], actor)
        db.session.commit()
        return user


@bp.route("/audit-events")
class AuditEvents(MethodView):
    @bp.arguments(AuditArgs, location="query")
    @bp.response(200, AuditPageSchema)
    def get(self, args):
        """The append-only audit log, newest first (admins)."""
        may.allow(may.can_manage_users(api_user()), "only admins read the audit log")
        return page_of(audit_queries.events_query(args), args)
