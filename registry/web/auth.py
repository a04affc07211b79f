"""Signing in and out with a session (Flask-Login), each attempt in the audit log."""

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from registry.extensions import db
from registry.models import User
from registry.models.base import DomainError
from registry.services.audit import record
from registry.web.forms import Form, submit

bp = Blueprint("auth", __name__)


class SignInSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(1, 200))
    password = fields.Str(required=True, validate=validate.Length(1, 200))


def sign_in(data: dict) -> User:
    """The user these credentials belong to; a failed attempt is recorded and refused."""
    email = data["email"].strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not user.check_password(data["password"]):
        record(None, "sign_in_failed", "user", user.id if user else "-",
               after={"email": email, "from": request.remote_addr})
        db.session.commit()  # the failed attempt stays recorded
        raise DomainError("The email or password is wrong, or the account is inactive.")
    record(user, "sign_in", "user", user.id, after={"from": request.remote_addr})
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
def login():
    form = Form(SignInSchema(), request.form if request.method == "POST" else None)
    if request.method == "POST" and submit(form, sign_in):
        return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/sign-out")
@login_required
def logout():
    record(current_user, "sign_out", "user", current_user.id)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
