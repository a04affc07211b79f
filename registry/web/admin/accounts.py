"""Accounts (being built)."""

from registry.web.admin import bp


@bp.get("/accounts")
def accounts():
    return "todo"
