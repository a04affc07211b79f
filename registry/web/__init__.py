"""The browser pages: one blueprint per user group, on one layout, under a strict CSP
(registry/security.py sets it, with the other security headers, on every response).

`web` holds the start page, `auth` signing in and out, `clerk` the court clerk's pages,
`expert` the expert's and `coordinator` the regional coordinator's dispatch console. Pages
use the same services, schemas and permission checks as the API.
"""

from flask import Blueprint, Flask, before_render_template, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import inspect

from registry.extensions import db, login_manager
from registry.models import UserRole
from registry.services import permissions, working_calendar
from registry.web.labels import label_of, language_name, local_time, name_of

bp = Blueprint("web", __name__)

START_PAGES = {UserRole.CLERK: "clerk.requests", UserRole.EXPERT: "expert.assignments",
               UserRole.COORDINATOR: "coordinator.requests", UserRole.ADMIN: "admin.accounts"}


@bp.get("/")
def home():
    """Signed in: the start page of one's role. Otherwise: what this is, and sign in."""
    if current_user.is_authenticated and current_user.role in START_PAGES:
        return redirect(url_for(START_PAGES[current_user.role]))
    return render_template("index.html")


def signed_in_user_loaded(_app, **_extra):
    """base.html reads the signed-in user; a commit or rollback before rendering expired it.
    Reload it here, once for every page, so that templates never query."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if inspect(user).expired:
            db.session.refresh(user)


def register_web(app: Flask) -> None:
    from registry.web import admin, auth, calendar_feed, clerk, coordinator, expert

    # The iCalendar feed has a blueprint of its own: calendar apps fetch it without signing in.
    for blueprint in (bp, auth.bp, clerk.bp, expert.bp, coordinator.bp, admin.bp,
                      calendar_feed.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(label_of=label_of, local_time=local_time, name_of=name_of,
                                 language_name=language_name, may=permissions,
                                 MAX_DAYS_NAMED=working_calendar.MAX_DAYS_NAMED)
    before_render_template.connect(signed_in_user_loaded, app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the sign-in page says why by itself
