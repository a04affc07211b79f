"""An append-only log of who changed what, chained by hashes so that a change is evident.

Each event stores `prev_hash`, the hash of the event before it (GENESIS for the first), and
`hash`, the SHA-256 of its own content and `prev_hash` (see `content_hash`). Editing an event
breaks its own hash; deleting one breaks its successor's link. `services/audit.verify_chain`
checks both; docs/operations.md says what is hashed and how to check.

The chain is extended at flush time (`_chain_new_events`), under a lock that serialises the
writers: on PostgreSQL a transaction-scoped advisory lock, on SQLite the database's write lock.
`services/audit.record` adds its events at the commit, so the lock is held for the commit.
So chain order = commit order = id order, and a unique `prev_hash` makes the database refuse
a fork should two writers ever chain onto the same event.
"""

import hashlib
import json
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.extensions import db
from registry.models.base import JSONType, UTCDateTime, utcnow, written_in

GENESIS = "0" * 64  # the prev_hash of the first event
# pg_advisory_xact_lock key of the chain: "audit" in ASCII. Any fixed number would do, as
# long as no other lock in the app uses it.
CHAIN_LOCK_KEY = 0x6175646974
# One encoder for every hash (json.dumps would build one per call): keys sorted, no spaces,
# ASCII only (\u escapes), no NaN.
CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                                  allow_nan=False)


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditLogIsAppendOnly(Exception):
    """Like DomainError, an English template with {named} placeholders filled by params."""

    def __init__(self, message: str, **params):
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper, _connection, target):
    raise AuditLogIsAppendOnly("audit event {event_id} cannot be changed or deleted",
                               event_id=target.id)


# -- what is hashed ----------------------------------------------------------------------------

def _json_number_safe(value):
    """`value` as JSON reads it back from either database.

    PostgreSQL's JSONB keeps numbers as numerics: a float written in exponent form (1e+16 and
    up) comes back as an integer and -0.0 as 0.0. Storing these as such makes the hash of
    what was written equal to the hash of what is read.
    """
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if value.is_integer() and abs(value) >= 1e16:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _json_number_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_number_safe(item) for item in value]
    return value


def stored_json(value):
    """A before/after document as it will be read back: keys as strings, tuples as lists,
    numbers as JSONB returns them. NaN and infinities are refused (JSONB has none)."""
    if value is None:
        return None
    return _json_number_safe(json.loads(json.dumps(value, allow_nan=False)))


def canonical_timestamp(at: datetime) -> str:
    """UTC, microseconds, the same after a round trip through SQLite and PostgreSQL."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def content_hash(*, at: datetime, actor_id: int | None, action: str, entity: str,
                 entity_id: str, before, after, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of an event's content and its predecessor's hash.

    Canonical JSON: keys sorted, no spaces, ASCII only (\\u escapes), UTF-8 bytes. The id is
    left out: it is the database's, and the order is already in prev_hash.
    """
    document = {"at": canonical_timestamp(at), "actor_id": actor_id, "action": action,
                "entity": entity, "entity_id": entity_id, "before": before, "after": after,
                "prev_hash": prev_hash}
    return hashlib.sha256(CANONICAL_JSON.encode(document).encode()).hexdigest()


def hash_of(event: AuditEvent) -> str:
    return content_hash(at=event.at, actor_id=event.actor_id, action=event.action,
                        entity=event.entity, entity_id=event.entity_id, before=event.before,
                        after=event.after, prev_hash=event.prev_hash)


# -- extending the chain -----------------------------------------------------------------------

def take_chain_lock(connection) -> None:
    """Make this transaction the only writer of the chain until it ends.

    PostgreSQL: a transaction-scoped advisory lock, so the next writer reads the last hash
    only once this one has committed. SQLite: the database's write lock (BEGIN IMMEDIATE) if
    the transaction does not hold it yet; Python's sqlite3 starts a transaction only at the
    first INSERT, UPDATE or DELETE, which takes the write lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
            driver.execute("BEGIN IMMEDIATE")


# The chain's head, its LIMIT written in: sent as a parameter, it kept PostgreSQL planning
# the prepared statement anew on every write (base.written_in).
LAST_HASH = select(AuditEvent.__table__.c.hash).order_by(AuditEvent.__table__.c.id.desc()) \
    .limit(written_in(1))


def last_hash(connection) -> str:
    return connection.execute(LAST_HASH).scalar() or GENESIS


@event.listens_for(Session, "before_flush")
def _chain_new_events(session, _flush_context, _instances) -> None:
    """Give each new event its predecessor's hash and its own, in the order they were added
    (the order the flush inserts them, so ids follow the chain)."""
    new_events = sorted((obj for obj in session.new if isinstance(obj, AuditEvent)),
                        key=lambda obj: obj._sa_instance_state.insert_order)
    if not new_events:
        return
    connection = session.connection(bind_arguments={"mapper": AuditEvent.__mapper__})
    take_chain_lock(connection)
    previous = last_hash(connection)
    for new_event in new_events:
        new_event.at = new_event.at or utcnow()
        new_event.before = stored_json(new_event.before)
        new_event.after = stored_json(new_event.after)
        new_event.prev_hash = previous
        new_event.hash = previous = hash_of(new_event)
