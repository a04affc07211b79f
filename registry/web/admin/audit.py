"""The audit trail (being built)."""

from registry.web.admin import bp


@bp.get("/audit")
def audit_events():
    return "todo"
