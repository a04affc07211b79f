"""Reading the audit log: the filtered list shared by the admin's page, its CSV export and the
API's /api/v1/users/audit-events, who acted, and each change's before and after side by side.

Filters are the loaded `AuditArgs`: who (actor_id), what kind of entity, which entity, what
action, and a span of days counted in China Standard Time, the time the users read.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from registry.extensions import db
from registry.models import AuditEvent, User
from registry.models.base import LOCAL_TIME

MAX_OPTIONS = 30
EXPORT_CHUNK = 500  # rows read per query while an export streams


def start_of_day(day: date) -> datetime:
    """Midnight of a day in China Standard Time, as the UTC moment the log stores."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIME).astimezone(UTC)


def filtered(query: Select, args: dict) -> Select:
    """`query` (over AuditEvent) narrowed by the filters in `args`."""
    for key in ("actor_id", "entity", "entity_id", "action"):
        if args.get(key) is not None:
            query = query.where(getattr(AuditEvent, key) == args[key])
    if args.get("since"):
        query = query.where(AuditEvent.at >= start_of_day(args["since"]))
    if args.get("until"):
        query = query.where(AuditEvent.at < start_of_day(args["until"] + timedelta(days=1)))
    return query


def events_query(args: dict) -> Select:
    """The events the filters let through, newest first (ids grow with time)."""
    return filtered(select(AuditEvent), args).order_by(AuditEvent.id.desc())


def actor_emails(events) -> dict[int, str]:
    """The email of everyone who acted in `events`, in one query (templates never query)."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def kinds_and_actions() -> tuple[list[str], list[str]]:
    """The kinds of entity and the actions present in the log, for the filters' choices."""
    pairs = db.session.execute(select(AuditEvent.entity, AuditEvent.action).distinct()).all()
    return sorted({entity for entity, _ in pairs}), sorted({action for _, action in pairs})


# -- who acted: the picker ---------------------------------------------------------------------

def actor_option(user: User) -> dict:
    return {"value": str(user.id), "text": user.email}


def actor_options(text: str) -> list[dict]:
    """Accounts whose email holds the text (any case), for a search-as-you-type picker."""
    if not text:
        return []
    users = db.session.scalars(
        select(User).where(func.lower(User.email).contains(text.lower(), autoescape=True))
        .order_by(User.email).limit(MAX_OPTIONS))
    return [actor_option(user) for user in users]


def chosen_actor(actor_id: int | None) -> dict | None:
    """The option for the actor already chosen in the filters."""
    user = db.session.get(User, actor_id) if actor_id else None
    return actor_option(user) if user else None


# -- before and after --------------------------------------------------------------------------

def shown(value) -> str:
    """A stored value as text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def side_by_side(before: dict | None, after: dict | None) -> list[dict]:
    """One row per key of either side: {"key", "before", "after", "changed"} (None: absent).

    A key counts as changed only when the event has both sides and they differ on it; a
    creation (after only) or a removal (before only) has nothing to compare.
    """
    old, new = before or {}, after or {}
    keys = list(old) + [key for key in new if key not in old]
    return [{"key": key,
             "before": shown(old[key]) if key in old else None,
             "after": shown(new[key]) if key in new else None,
             "changed": before is not None and after is not None
                        and (key not in old or key not in new or old[key] != new[key])}
            for key in keys]


def described(events) -> list[dict]:
    """What the page shows of each event: the event, who acted, and the compared sides."""
    emails = actor_emails(events)
    return [{"event": event, "actor": emails.get(event.actor_id),
             "changes": side_by_side(event.before, event.after)} for event in events]


# -- CSV export --------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run: one that could start a formula gets a quote first."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_rows(args: dict) -> Iterator[list[tuple]]:
    """Every event the filters let through, newest first, in chunks of plain rows.

    Keyset paging on the id keeps each query short and the session free of the rows read.
    """
    query = filtered(select(AuditEvent.id, AuditEvent.at, User.email, AuditEvent.action,
                            AuditEvent.entity, AuditEvent.entity_id, AuditEvent.before,
                            AuditEvent.after)
                     .outerjoin(User, User.id == AuditEvent.actor_id), args) \
        .order_by(AuditEvent.id.desc()).limit(EXPORT_CHUNK)
    last_id = None
    while True:
        rows = db.session.execute(
            query if last_id is None else query.where(AuditEvent.id < last_id)).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def csv_cells(row) -> list[str]:
    event_id, at, email, action, entity, entity_id, before, after = row
    as_json = [json.dumps(side, ensure_ascii=False, sort_keys=True) if side is not None else ""
               for side in (before, after)]
    return [spreadsheet_safe(cell) for cell in (
        str(event_id), at.astimezone(LOCAL_TIME).isoformat(timespec="seconds"), email or "",
        action, entity, entity_id, *as_json)]


def csv_chunks(args: dict, header: list[str]) -> Iterator[str]:
    """The export as CSV text, piece by piece: a BOM (Excel then reads UTF-8), the header, rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for rows in export_rows(args):
        writer.writerows(csv_cells(row) for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
