"""Listing one page of a query at a time, for the API and the pages alike."""

from sqlalchemy import Select, func, select

from registry.extensions import db


def page_of(query: Select, args: dict, *, rows: bool = False) -> dict:
    """Run a query one page at a time: {"items", "page", "per_page", "total"}.

    The view's response schema dumps the items: ORM objects, or with `rows` the query's rows
    as they are (a query of columns).
    """
    page, per_page = args["page"], args["per_page"]
    found = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    rows = found.all() if rows else found.scalars().unique().all()
    if page == 1 and len(rows) < per_page:
        total = len(rows)  # the whole listing is on this page: no need to count it
    else:
        total = db.session.scalar(
            select(func.count()).select_from(query.order_by(None).subquery()))
    return {"items": rows, "page": page, "per_page": per_page, "total": total}

