"""Pieces every resource shares: pagination, and loading one row or a 404."""

from flask_smorest import abort
from sqlalchemy import Select, func, select

from registry.extensions import db
from registry.schemas.common import MAX_ID


def page_of(query: Select, args: dict) -> dict:
    """Run a query one page at a time: {"items", "page", "per_page", "total"}.

    The view's response schema dumps the items.
    """
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": rows, "page": page, "per_page": per_page, "total": total}


def get_or_404(model, key, what: str | None = None):
    row = db.session.get(model, key) if fits_an_id(key) else None
    if row is None:
        abort(404, message=f"{what or model.__name__.lower()} {key} not found")
    return row


def fits_an_id(key) -> bool:
    """URL converters accept any length of digits; ids beyond 32 bits name no row."""
    return not isinstance(key, int) or 0 < key <= MAX_ID

