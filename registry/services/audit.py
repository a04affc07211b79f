"""Write audit events in the same transaction as the change they describe, and check the
chain they form (registry/models/audit.py; docs/operations.md)."""

import json
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy import Text, cast, event, select
from sqlalchemy.orm import Session

from registry.extensions import db
from registry.models import AuditEvent, User, utcnow
from registry.models.audit import GENESIS, content_hash, stored_json

VERIFY_BATCH = 5000  # rows read per query while the chain is checked


_PENDING = "audit_events_pending"


def record(actor: User | None, action: str, entity: str, entity_id, before=None, after=None):
    """Add an event to the transaction; it joins the chain when it is flushed.

    It is written at the commit, after the transaction's other writes: the chain's lock,
    which every writer of the log waits for in turn, is then held for the insert and the
    commit alone, not for everything the transaction does after its first event (an
    expert's edit judges its held seats: ~60 ms). Inside a savepoint it is added at once,
    so that the savepoint's rollback takes it back with the change it describes. What it
    says is fixed now: its time, and `before`/`after` as they will be read back."""
    audit_event = AuditEvent(actor_id=actor.id if actor else None, action=action,
                             entity=entity, entity_id=str(entity_id), at=utcnow(),
                             before=stored_json(before), after=stored_json(after))
    session = db.session()
    if session.in_nested_transaction():
        session.add(audit_event)
        return
    # Begun now if not yet, so that its end (commit or rollback) always empties the list:
    # what the list holds is this transaction's.
    if session.get_transaction() is None:
        session.begin()
    session.info.setdefault(_PENDING, []).append(audit_event)


@event.listens_for(Session, "before_commit")
def _add_pending(session) -> None:
    """Hand the events recorded outside savepoints to the commit's flush (at a savepoint's
    release too: they are then the outer transaction's, as a flush there would have made
    them)."""
    session.add_all(session.info.pop(_PENDING, ()))


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: rolled back, or written
        session.info.pop(_PENDING, None)


# -- checking the chain ------------------------------------------------------------------------

@dataclass(frozen=True)
class BrokenLink:
    """The first event where the chain does not hold. `message` is an English template."""

    event_id: int
    problem: str  # "content changed", "predecessor missing", "out of order"
    message: str
    params: dict

    def __str__(self) -> str:
        return self.message.format(**self.params)


@dataclass(frozen=True)
class ChainReport:
    events: int  # events checked (up to the break, when there is one)
    head_id: int | None  # the last event checked
    head_hash: str
    broken: BrokenLink | None

    @property
    def whole(self) -> bool:
        return self.broken is None


def _pages(connection, batch: int):
    """Every event as plain rows in id order, a page per query (keyset paging)."""
    table = AuditEvent.__table__
    # before and after as JSON text, decoded here: the same values, without SQLAlchemy's
    # per-value wrappers (a third of the time on 100k events).
    query = select(table.c.id, table.c.at, table.c.actor_id, table.c.action, table.c.entity,
                   table.c.entity_id, cast(table.c.before, Text).label("before"),
                   cast(table.c.after, Text).label("after"), table.c.prev_hash,
                   table.c.hash).order_by(table.c.id).limit(batch)
    last_id = 0
    while True:
        rows = connection.execute(query.where(table.c.id > last_id)).all()
        yield rows
        if len(rows) < batch:
            return
        last_id = rows[-1].id


@contextmanager
def _read_ahead(pages, depth: int = 2):
    """Iterate the rows of `pages` while a thread reads the next page: the database's time
    overlaps the hashing's. On leaving, the reader has stopped, so the connection is free."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for page in pages:
                if not offer(page):
                    return
        except Exception as error:  # raised again in the consumer's thread
            offer(error)
            return
        offer(None)

    def received():
        while (page := ready.get()) is not None:
            if isinstance(page, Exception):
                raise page
            yield from page

    reader = threading.Thread(target=read, name="audit-verify-reader", daemon=True)
    reader.start()
    try:
        yield received()
    finally:
        stop.set()
        reader.join()


def _decoded(json_text: str | None):
    return None if json_text is None else json.loads(json_text)


def _event_with_hash(connection, hash_: str) -> int | None:
    table = AuditEvent.__table__
    return connection.execute(select(table.c.id).where(table.c.hash == hash_)
                              .order_by(table.c.id).limit(1)).scalar()


def _broken_link(connection, row, previous_id: int | None) -> BrokenLink:
    """Why `row` does not chain onto the event before it (`previous_id`)."""
    chained_onto = _event_with_hash(connection, row.prev_hash)
    if row.prev_hash != GENESIS and chained_onto is None:
        return BrokenLink(row.id, "predecessor missing",
                          "event {event_id}: the event it follows is missing (deleted, or "
                          "rewritten with a new hash) after event {previous_id}",
                          {"event_id": row.id, "previous_id": previous_id or "none"})
    return BrokenLink(row.id, "out of order",
                      "event {event_id} follows {chained_onto}, not event {previous_id} "
                      "written before it (out of order, or two events follow the same one)",
                      {"event_id": row.id, "chained_onto": chained_onto or "the start",
                       "previous_id": previous_id or "none"})


def verify_chain(connection=None, batch: int = VERIFY_BATCH) -> ChainReport:
    """Recompute every event's hash in id order and check each follows the one before it.

    Stops at the first broken link. Reads plain rows, not ORM objects, a page at a time:
    memory stays flat however long the log.
    """
    connection = connection or db.session.connection()
    with _read_ahead(_pages(connection, batch)) as rows:
        report, unlinked = _check(rows)
    if unlinked is not None:  # the reader has stopped: the connection may be used again
        report = replace(report, broken=_broken_link(connection, unlinked, report.head_id))
    return report


def _check(rows) -> tuple[ChainReport, object]:
    """The report up to the first broken link; and the row that does not follow the one
    before it, if that is the break (why it does not takes a query)."""
    expected_prev, previous_id, count = GENESIS, None, 0
    for row in rows:
        if content_hash(at=row.at, actor_id=row.actor_id, action=row.action, entity=row.entity,
                        entity_id=row.entity_id, before=_decoded(row.before),
                        after=_decoded(row.after), prev_hash=row.prev_hash) != row.hash:
            return ChainReport(count, previous_id, expected_prev, BrokenLink(
                row.id, "content changed",
                "event {event_id}: its content does not match its hash (changed after it was "
                "written)", {"event_id": row.id})), None
        if row.prev_hash != expected_prev:
            return ChainReport(count, previous_id, expected_prev, None), row
        expected_prev, previous_id, count = row.hash, row.id, count + 1
    return ChainReport(count, previous_id, expected_prev, None), None
