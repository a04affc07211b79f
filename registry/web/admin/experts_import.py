"""Bulk import and export of experts (being built)."""

from registry.web.admin import bp


@bp.get("/experts/import")
def import_experts():
    return "todo"
