"""The clerk's working-calendar fragment: the attendance days checked as they are picked.

Registers on the clerk blueprint (imported once at the end of web/clerk.py). The days are
read as the request form posts them (`days-0-start`, `days-0-end`, `city`); a day that is not
a date yet is skipped, since the form's own validation speaks about it on submit.
"""

from datetime import date

from flask import render_template, request
from flask_login import current_user

from registry.extensions import db
from registry.models import City
from registry.models.base import local_today
from registry.services import access, working_calendar
from registry.web.clerk import bp
from registry.web.forms import parse
from registry.web.labels import is_english

MAX_SPANS = 20  # as many as a request takes (RequestSchema.days)


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def posted_spans(rows: list[dict]) -> list[tuple[date, date]]:
    """The (start, end) spans of the posted rows; an end alone or before its start is dropped
    (one day when only the start is given)."""
    spans = []
    for row in rows[:MAX_SPANS]:
        start, end = _date(row.get("start")), _date(row.get("end"))
        end = end or start
        if start and end and start <= end and (end - start).days <= 366:
            spans.append((start, end))
    return spans


@bp.post("/cases/<int:case_id>/requests/check-days")
def check_days(case_id):
    case = access.case_for(current_user, case_id)
    data, _rows = parse(request.form)
    city = db.session.get(City, data.get("city") or case.handling_body.city_code or "")
    jurisdiction = city.jurisdiction_code if city else None
    spans = posted_spans(data.get("days", []))
    days = working_calendar.non_working_days(spans, jurisdiction)
    past = [start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"
            for start, end in spans if start < local_today()]
    return render_template("clerk/_days_check.html", non_working=days, past=past,
                           english=is_english())
