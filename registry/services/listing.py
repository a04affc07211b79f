"""Listing one page of a query at a time, for the API and the pages alike."""

from sqlalchemy import Select, func, select

from registry.extensions import db
from registry.models.base import written_in

TOTAL = "listing_total"  # the window count's column in a page of rows


def page_of(query: Select, args: dict, *, rows: bool = False) -> dict:
    """Run a query one page at a time: {"items", "page", "per_page", "total"}.

    The view's response schema dumps the items: ORM objects, or with `rows` the query's rows
    (a query of columns), each with one more column, TOTAL: the listing's count, read in the
    same statement (a window count) instead of a second query.
    """
    page, per_page = args["page"], args["per_page"]
    paged = query.limit(written_in(per_page)).offset(written_in((page - 1) * per_page))
    if rows:
        found = db.session.execute(paged.add_columns(func.count().over().label(TOTAL))).all()
        if found:
            return {"items": found, "page": page, "per_page": per_page,
                    "total": found[0]._mapping[TOTAL]}
    else:
        found = db.session.execute(paged).scalars().unique().all()
    if page == 1 and len(found) < per_page:
        total = len(found)  # the whole listing is on this page: no need to count it
    else:  # past the last page (rows), or ORM objects
        total = db.session.scalar(
            select(func.count()).select_from(query.order_by(None).subquery()))
    return {"items": found, "page": page, "per_page": per_page, "total": total}
