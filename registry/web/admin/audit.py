"""The audit trail: every audited change, newest first, filtered, compared and exported.

The filters are the API's `AuditArgs` and the query is the API's (`services.audit_queries`),
so the page, its CSV export and /api/v1/users/audit-events always list the same events.
"""

from datetime import datetime
from tempfile import SpooledTemporaryFile

from flask import jsonify, render_template, request, send_file, url_for
from flask_babel import gettext as _

from registry.models.base import LOCAL_TIME
from registry.schemas.accounts import AuditArgs
from registry.services import audit, audit_queries
from registry.services.listing import page_of
from registry.web.admin import bp
from registry.web.forms import filters, search_text

EXPORT_IN_MEMORY = 8 * 1024 * 1024  # bytes of CSV kept in memory before the file goes to disk


@bp.get("/audit")
def audit_events():
    args = filters(AuditArgs())
    page = page_of(audit_queries.events_query(args), args)
    kinds, actions = audit_queries.kinds_and_actions()
    return render_template("admin/audit/events.html", page=page, args=args,
                           events=audit_queries.described(page["items"]),
                           kinds=kinds, actions=actions,
                           actor=audit_queries.chosen_actor(args.get("actor_id")),
                           export_url=url_for("admin.export_audit_events", **filters_sent()))


def filters_sent() -> dict:
    """The query string without its paging: the export takes every matching event."""
    return {key: value for key, value in request.args.items()
            if key not in ("page", "per_page") and value.strip()}


@bp.get("/audit/events.csv")
def export_audit_events():
    """All the events the filters let through (not one page), as CSV for a spreadsheet.

    The log is read in chunks into a file that spills to disk when large, and sent once
    complete: a failure midway is an error page, never a truncated file that looks whole.
    """
    args = filters(AuditArgs())
    header = [_("id"), _("time (China Standard Time)"), _("actor email"), _("action"),
              _("entity"), _("entity id"), _("before (JSON)"), _("after (JSON)")]
    file = SpooledTemporaryFile(max_size=EXPORT_IN_MEMORY)  # send_file closes it when sent
    for chunk in audit_queries.csv_chunks(args, header):
        file.write(chunk.encode("utf-8"))
    file.seek(0)
    return send_file(file, mimetype="text/csv", as_attachment=True,
                     download_name=f"audit-events-{datetime.now(LOCAL_TIME):%Y%m%d-%H%M}.csv")


@bp.get("/audit/chain")
def audit_chain():
    """Recompute the audit log's hash chain, as `flask audit verify` does (a few seconds per
    100,000 events, so on request only, not on every page of the trail)."""
    return render_template("admin/audit/chain.html", report=audit.verify_chain())


@bp.get("/audit/actors")
def search_actors():
    """Accounts by email as it is typed, for the "who" filter."""
    return jsonify(audit_queries.actor_options(search_text()))
