"""The expert's pages (being built)."""

from flask import Blueprint
from flask_login import current_user, login_required

from registry.models import UserRole
from registry.services import permissions as may

bp = Blueprint("expert", __name__, url_prefix="/expert")


@bp.before_request
@login_required
def experts_only():
    may.allow(current_user.role is UserRole.EXPERT, "these pages are for experts")


@bp.get("/")
def assignments():
    return "todo"


@bp.get("/calendar")
def calendar():
    return "todo"


@bp.get("/declarations")
def declarations():
    return "todo"


@bp.get("/profile")
def profile():
    return "todo"
