"""The administrator's pages: accounts, bulk import and export of experts, the audit trail.

One blueprint, "admin", under /admin; each concern has a module of its own that adds its
routes to it (accounts.py, experts_import.py, audit.py). Admins only.
"""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from registry.services import permissions as may

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    may.allow(may.can_manage_users(current_user), "these pages are for administrators")


@bp.get("/")
def home():
    return redirect(url_for("admin.accounts"))


from registry.web.admin import accounts, audit, experts_import  # noqa: E402, F401  (routes)
