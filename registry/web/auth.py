"""Signing in and out with a session (Flask-Login), each attempt in the audit log.

Failed attempts are throttled per account and per address (registry/security.py): past the
limit the form is shown again with a message and 429 Retry-After, before any password check.

After an admin's password reset, the account must choose a new password: until it has,
every page but that one and signing out sends it there.
"""

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import Schema, fields, validate

from registry import security
from registry.extensions import db
from registry.models import User
from registry.models.base import DomainError
from registry.schemas.accounts import PasswordChoiceSchema
from registry.services import accounts
from registry.services.audit import record
from registry.web.forms import Form, submit

bp = Blueprint("auth", __name__)


class SignInSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(1, 200))
    password = fields.Str(required=True, validate=validate.Length(1, 200))


def sign_in(data: dict) -> User:
    """The user these credentials belong to; a failed attempt is recorded and refused."""
    user = accounts.authenticate(data["email"], data["password"])
    if user is None:
        security.failed_sign_in(via="web")  # counted, and recorded for good
        raise DomainError("The email or password is wrong, or the account is inactive.")
    record(user, "auth.sign_in", "user", user.id, after={"from": request.remote_addr})
    login_user(user, remember=False)
    return user


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send a person elsewhere after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") \
        and not target.startswith("//") else None


@bp.route("/sign-in", methods=["GET", "POST"])
@security.throttle_sign_in
def login():
    form = Form(SignInSchema(), request.form if request.method == "POST" else None)
    if request.method == "POST" and (user := submit(form, sign_in)):
        if user.must_change_password:
            return redirect(url_for("auth.choose_password"))
        return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error):
    """The sign-in form again, with what was typed as email and when to try again."""
    wait = security.throttled_sign_in(via="web")
    form = Form(SignInSchema(), request.form)
    message = _("Too many failed sign-in attempts. Try again in %(minutes)s minute(s).",
                minutes=-(-wait // 60))
    response = make_response(render_template("auth/login.html", form=form, throttled=message),
                             429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/sign-out")
@login_required
def logout():
    """Signing out ends every session of the account: the session lives in the browser's
    cookie, and a copy of it must not outlive the sign-out (User.end_sessions)."""
    record(current_user, "auth.sign_out", "user", current_user.id)
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash(_("You are signed out, on every device where you were signed in."), "success")
    return redirect(url_for("auth.login"))


# -- a new password after an admin's reset ----------------------------------------------------

# What an account with a temporary password may still open.
WHILE_PASSWORD_TEMPORARY = frozenset({"auth.choose_password", "auth.logout", "static"})


@bp.before_app_request
def password_first():
    """A signed-in page user with a temporary password goes to choose a new one first.

    The API is left alone: it never takes the session, and a reset account's tokens are
    revoked and no new one is issued until it has chosen a password.
    """
    if request.endpoint in WHILE_PASSWORD_TEMPORARY or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.choose_password"))
    return None


@bp.route("/choose-password", methods=["GET", "POST"])
@login_required
def choose_password():
    if not current_user.must_change_password:
        return redirect(url_for("web.home"))
    form = Form(PasswordChoiceSchema(), request.form if request.method == "POST" else None)
    user = current_user._get_current_object()
    if request.method == "POST" and submit(
            form, lambda data: accounts.choose_password(user, data["password"])):
        login_user(user, remember=False)  # this session, under the account's new epoch
        flash(_("Your new password is set."), "success")
        return redirect(url_for("web.home"))
    return render_template("auth/choose_password.html", form=form), \
        422 if form.errors else 200
