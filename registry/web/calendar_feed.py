"""The expert's iCalendar feed: /calendar/<token>.ics, for calendar apps, without signing in.

The secret token in the URL is the only key, so the feed says as little as it can: case
number, kind of service and city of each confirmed or accepted span of days; never a party,
a contact or a name. An unknown or rotated token gets the same bare 404 as any missing page.
"""

from flask import Blueprint, Response, abort
from flask_babel import gettext as _

from registry.models import AssignmentStatus
from registry.services import calendar, expert_queries
from registry.web.labels import label_of, name_of

bp = Blueprint("calendar_feed", __name__)


def feed_event(assignment, span) -> calendar.FeedEvent:
    request = assignment.request
    return calendar.FeedEvent(
        uid=calendar.event_uid(assignment.id, span.id), first=span.start, last=span.end,
        summary=f"{request.case.number} · {label_of(request.service)}",
        location=name_of(request.city),
        stamp=assignment.updated_at, tentative=assignment.status is AssignmentStatus.CONFIRMED)


@bp.get("/calendar/<token>.ics")
def feed(token):
    expert = calendar.expert_by_feed_token(token)
    if expert is None:
        abort(404)
    spans = expert_queries.attendance(expert, expert_queries.FEED_STATUSES)
    body = calendar.write_ics([feed_event(a, d) for a, d in spans],
                              name=_("Expert dispatch: my assignments"),
                              uid=calendar.calendar_uid(expert.id))
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = "attachment; filename=assignments.ics"
    response.headers["Cache-Control"] = "private, no-cache"  # personal: no shared caches
    return response


@bp.after_request
def no_referrer(response):
    """The secret URL must not leak to another site through a referrer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
