"""Listing one page of a query at a time, for the API and the pages alike."""

from sqlalchemy import Select, func, select

from registry.extensions import db


def page_of(query: Select, args: dict) -> dict:
    """Run a query one page at a time: {"items", "page", "per_page", "total"}.

    The view's response schema dumps the items.
    """
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": rows, "page": page, "per_page": per_page, "total": total}

