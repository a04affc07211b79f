"""Listing one page of a query at a time, for the API and the pages alike."""

from sqlalchemy import Select, bindparam, func, select

from registry.extensions import db

TOTAL = "listing_total"  # the window count's column in a page of rows


def _written_in(number: int):
    """A LIMIT or OFFSET written into the SQL, not sent as a parameter. PostgreSQL cannot
    cost a prepared statement's generic plan without knowing its LIMIT, so it planned every
    page query anew (a custom plan: ~0.4 ms of its CPU an expert search, docs/load.md);
    written in, each page (size and offset) is a statement of its own, planned once."""
    return bindparam("page_bound", number, unique=True, literal_execute=True)


def page_of(query: Select, args: dict, *, rows: bool = False) -> dict:
    """Run a query one page at a time: {"items", "page", "per_page", "total"}.

    The view's response schema dumps the items: ORM objects, or with `rows` the query's rows
    (a query of columns), each with one more column, TOTAL: the listing's count, read in the
    same statement (a window count) instead of a second query.
    """
    page, per_page = args["page"], args["per_page"]
    paged = query.limit(_written_in(per_page)).offset(_written_in((page - 1) * per_page))
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
