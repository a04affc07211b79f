"""Accounts: list and search, create, change role and scope, (de)activate, reset a password.

Forms load through the API's schemas (UserSchema, UserUpdateSchema, PasswordResetSchema) and
write through the API's service functions, so a rule such as "never remove the last active
admin" holds the same way on both doors.
"""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from registry.models import User, UserRole
from registry.schemas.accounts import (
    PasswordResetSchema,
    UserArgs,
    UserSchema,
    UserUpdateSchema,
)
from registry.services import access, accounts
from registry.services.listing import page_of
from registry.web.admin import bp
from registry.web.forms import Form, filters, search_text, submit
from registry.web.labels import choices, is_english

SCOPE_INPUTS = ("body", "region", "expert_id")


def page(template: str, status: int = 200, **context):
    return render_template(template, roles=choices(UserRole), **context), status


@bp.get("/accounts", endpoint="accounts")
def list_accounts():
    args = filters(UserArgs())
    listing = page_of(accounts.accounts_query(args), args)
    return page("admin/accounts/list.html", listing=listing, args=args,
                region_names=dict(region_choices()))


def region_choices() -> list[tuple[str, str]]:
    return accounts.region_choices(is_english())


def only_the_roles_scope(values: MultiDict) -> MultiDict:
    """The form shows every scope input; only the chosen role's counts (the API refuses
    others, but a person who switched the role should not have to empty the old input)."""
    wanted = accounts.SCOPE_OF_ROLE.get(next((r for r in UserRole
                                              if r.value == values.get("role")), None))
    kept = MultiDict(values)
    for name in SCOPE_INPUTS:
        if name != wanted:
            kept.pop(name, None)
    return kept


def scope_context(form: Form) -> dict:
    """The pickers' options: regions to choose from, and the body and expert already chosen."""
    return {"regions": region_choices(),
            "chosen_body": accounts.chosen_option("body", form.value("body")),
            "chosen_expert": accounts.chosen_option("expert", form.value("expert_id"))}


# -- creating ------------------------------------------------------------------------------

@bp.route("/accounts/new", methods=["GET", "POST"])
def new_account():
    if request.method == "GET":
        form = Form(UserSchema())
        return page("admin/accounts/new.html", form=form, **scope_context(form))
    form = Form(UserSchema(), only_the_roles_scope(request.form))
    created = submit(form, lambda data: accounts.create_user(
        data["email"], data["role"].value, data["password"], body=data.get("body"),
        region=data.get("region"), expert_id=data.get("expert_id"), actor=current_user))
    if created is None:
        return page("admin/accounts/new.html", 422, form=form, **scope_context(form))
    flash(_("Account %(email)s created.", email=created.email), "success")
    return redirect(url_for("admin.account", user_id=created.id))


# -- one account ---------------------------------------------------------------------------

ACCOUNT_PAGE = (joinedload(User.body), joinedload(User.expert))


def load_account(user_id: int) -> User:
    return access.get_row(User, user_id, "user", ACCOUNT_PAGE)


def current_scope(user: User) -> MultiDict:
    return MultiDict({"role": user.role.value, "body": str(user.body_id or ""),
                      "region": user.region or "", "expert_id": str(user.expert_id or "")})


def account_page(user_id: int, *, change: Form | None = None, reset: Form | None = None,
                 activity: Form | None = None):
    """The account with its three forms; the one that was posted keeps its input and errors."""
    user = load_account(user_id)
    # A Form with errors is falsy: test for None, not truth.
    change = Form(UserUpdateSchema(), current_scope(user)) if change is None else change
    reset = Form(PasswordResetSchema()) if reset is None else reset
    activity = Form(UserUpdateSchema(only=("active",))) if activity is None else activity
    failed = any(form.errors for form in (change, reset, activity))
    return page("admin/accounts/account.html", 422 if failed else 200, user=user,
                change=change, reset=reset, activity=activity,
                region_names=dict(region_choices()), **scope_context(change))


@bp.get("/accounts/<int:user_id>")
def account(user_id):
    return account_page(user_id)


def update(user_id: int, data: dict) -> User:
    if "role" in data:
        data = {**data, "role": data["role"].value}
    return accounts.update_account(load_account(user_id), data, current_user)


@bp.post("/accounts/<int:user_id>/role")
def change_account(user_id):
    form = Form(UserUpdateSchema(), only_the_roles_scope(request.form))
    if submit(form, lambda data: update(user_id, data)) is None:
        return account_page(user_id, change=form)
    flash(_("Role and scope saved."), "success")
    return redirect(url_for("admin.account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/active")
def set_account_active(user_id):
    form = Form(UserUpdateSchema(only=("active",)), request.form)
    changed = submit(form, lambda data: update(user_id, data))
    if changed is None:
        return account_page(user_id, activity=form)
    flash(_("Account reactivated.") if changed.active else _("Account deactivated."), "success")
    return redirect(url_for("admin.account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/password")
def reset_password(user_id):
    form = Form(PasswordResetSchema(), request.form)
    if submit(form, lambda data: accounts.reset_password(
            load_account(user_id), data["password"], current_user)) is None:
        return account_page(user_id, reset=form)
    flash(_("Temporary password set: give it to the user, who must choose a new one at the "
            "next sign-in."), "success")
    return redirect(url_for("admin.account", user_id=user_id))


# -- search-as-you-type --------------------------------------------------------------------

@bp.get("/accounts/search/bodies")
def search_bodies():
    return jsonify(accounts.search_body_options(search_text()))


@bp.get("/accounts/search/experts")
def search_experts():
    return jsonify(accounts.search_expert_options(search_text()))
