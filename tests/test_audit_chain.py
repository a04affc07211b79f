"""The audit log's hash chain: a whole chain verifies; an edited, deleted or reordered event is
named; PostgreSQL's trigger refuses UPDATE, DELETE and TRUNCATE; concurrent writers never fork
the chain; `flask audit verify` says so with its exit code."""

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from registry.extensions import db
from registry.models import AuditEvent
from registry.models.audit import GENESIS, hash_of
from registry.models.base import LOCAL_TIME
from registry.services import audit


def on_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def recorded(count: int, start: int = 0) -> list[int]:
    """`count` committed events, one transaction each; their ids."""
    ids = []
    for number in range(start, start + count):
        audit.record(None, "update", "expert", number, before={"n": number},
                     after={"n": number + 1})
        db.session.commit()
        ids.append(db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())))
    db.session.rollback()  # no transaction left holding a lock on the log
    return ids


def tamper(sql: str, **params) -> None:
    """Change the table behind the app's back, as a database user would; on PostgreSQL as
    the table's owner, who may lift the append-only trigger for one transaction."""
    with db.engine.begin() as connection:
        if on_postgres():
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER "
                                    "audit_event_refuses_change"))
        connection.execute(text(sql), params)
        if on_postgres():
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER "
                                    "audit_event_refuses_change"))


def verified():
    db.session.rollback()
    return audit.verify_chain()


# -- a whole chain -----------------------------------------------------------------------------

def test_an_empty_log_is_a_whole_chain(app):
    report = audit.verify_chain()
    assert report.whole and report.events == 0 and report.head_hash == GENESIS


def test_each_event_follows_the_one_before_and_the_chain_verifies(app):
    ids = recorded(4)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [event.id for event in events] == ids
    assert events[0].prev_hash == GENESIS
    assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
    report = verified()
    assert report.whole and report.events == 4 and report.head_id == ids[-1]


def test_events_added_together_chain_in_the_order_they_were_added(app):
    for action in ("a", "c", "b"):
        db.session.add(AuditEvent(action=action, entity="expert", entity_id="1"))
    audit.record(None, "d", "expert", 3)  # recorded events follow, at the commit
    audit.record(None, "e", "expert", 3)
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["a", "c", "b", "d", "e"]
    assert verified().whole


def test_a_recorded_event_is_written_at_the_commit_and_only_then(app):
    audit.record(None, "update", "expert", 1)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    db.session.commit()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["update"]


def test_a_rolled_back_transaction_and_savepoint_leave_no_event(app):
    audit.record(None, "lost", "expert", 1)
    db.session.rollback()
    with db.session.begin_nested() as savepoint:
        audit.record(None, "taken back", "expert", 1)
        savepoint.rollback()
    with db.session.begin_nested():
        audit.record(None, "kept", "expert", 2)
    audit.record(None, "after", "expert", 3)
    db.session.commit()
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == \
        ["kept", "after"]
    assert verified().whole


def test_hashes_survive_the_round_trip_through_the_database(app):
    """JSONB turns 1e+20 into an integer and -0.0 into 0; keys become strings; the time keeps
    its microseconds: the hash is made of what is read back."""
    awkward = {"big": 1e20, "zero": -0.0, 3: (1, 2), "name": "张伟\u00e9", "small": 1.5e-7,
               "nested": {"b": [1.0, None, True], "a": "x"}}
    event = AuditEvent(at=datetime(2026, 11, 28, 22, 8, 33, 123456, tzinfo=LOCAL_TIME),
                       action="update", entity="expert", entity_id="7", before=awkward)
    db.session.add(event)
    db.session.commit()
    stored_hash = event.hash
    db.session.expunge_all()
    reread = db.session.scalars(select(AuditEvent)).one()
    assert reread.at == datetime(2026, 11, 28, 14, 8, 33, 123456, tzinfo=UTC)
    assert hash_of(reread) == stored_hash
    assert verified().whole


# -- tampering ---------------------------------------------------------------------------------

def test_an_edited_event_is_named(app):
    ids = recorded(5)
    tamper("UPDATE audit_event SET entity_id = '99' WHERE id = :id", id=ids[2])
    report = verified()
    assert not report.whole
    assert (report.broken.event_id, report.broken.problem) == (ids[2], "content changed")
    assert report.events == 2 and report.head_id == ids[1]


def test_an_edited_time_is_named(app):
    ids = recorded(3)
    tamper("UPDATE audit_event SET at = :at WHERE id = :id",
           at=datetime(2020, 1, 1, tzinfo=UTC), id=ids[1])
    assert verified().broken.event_id == ids[1]


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_next_link(app):
    ids = recorded(3)
    event = db.session.get(AuditEvent, ids[1])
    forged = hash_of(AuditEvent(at=event.at, actor_id=None, action="forged", entity="expert",
                                entity_id=event.entity_id, before=event.before,
                                after=event.after, prev_hash=event.prev_hash))
    tamper("UPDATE audit_event SET action = 'forged', hash = :hash WHERE id = :id",
           hash=forged, id=ids[1])
    report = verified()
    assert (report.broken.event_id, report.broken.problem) == (ids[2], "predecessor missing")


def test_a_deleted_event_is_caught_at_its_successor(app):
    ids = recorded(5)
    tamper("DELETE FROM audit_event WHERE id = :id", id=ids[2])
    report = verified()
    assert (report.broken.event_id, report.broken.problem) == (ids[3], "predecessor missing")
    assert str(ids[1]) in str(report.broken)


def test_deleting_the_first_event_is_caught(app):
    ids = recorded(3)
    tamper("DELETE FROM audit_event WHERE id = :id", id=ids[0])
    assert verified().broken.event_id == ids[1]


def test_an_event_moved_to_another_place_is_out_of_order(app):
    """Write an event again, unchanged, under a later id, and delete the original."""
    ids = recorded(3)
    moved, new_id = db.session.get(AuditEvent, ids[1]), ids[-1] + 10
    original_prev = moved.prev_hash
    tamper("INSERT INTO audit_event (id, at, actor_id, action, entity, entity_id, before, "
           "after, prev_hash, hash) SELECT :new_id, at, actor_id, action, entity, entity_id, "
           "before, after, 'moving', hash FROM audit_event WHERE id = :id",
           new_id=new_id, id=ids[1])  # prev_hash is unique: set once the original is gone
    tamper("DELETE FROM audit_event WHERE id = :id", id=ids[1])
    tamper("UPDATE audit_event SET prev_hash = :prev WHERE id = :id", prev=original_prev,
           id=new_id)
    report = verified()
    assert (report.broken.event_id, report.broken.problem) == (ids[2], "out of order")
    assert f"follows {new_id}" in str(report.broken)


def test_the_database_refuses_two_events_after_the_same_one(app):
    ids = recorded(2)
    head = db.session.get(AuditEvent, ids[0])
    with pytest.raises(IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_event (at, action, entity, entity_id, prev_hash, hash) "
                "VALUES (:at, 'fork', 'expert', '1', :prev, :prev)"),
                {"at": head.at, "prev": head.hash})


# -- PostgreSQL's trigger ----------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'tampered'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
])
def test_postgres_refuses_update_delete_and_truncate(app, statement):
    if not on_postgres():
        pytest.skip("the trigger is PostgreSQL's")
    recorded(2)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(statement))
    assert verified().events == 2


# -- concurrent writers ------------------------------------------------------------------------

def test_concurrent_transactions_never_fork_the_chain(app):
    threads, per_thread = 6, 5
    start = threading.Barrier(threads)
    failures = []

    def write(number):
        with app.app_context():
            try:
                start.wait()
                for step in range(per_thread):
                    audit.record(None, "update", "expert", f"{number}-{step}")
                    db.session.commit()
            except Exception as error:  # reported below, with the thread's number
                failures.append((number, repr(error)))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=write, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    report = verified()
    assert report.whole and report.events == threads * per_thread


def test_the_chain_is_locked_for_the_commit_alone(app, make):
    # Every writer of the log waits for the chain's lock in turn: a transaction that has
    # recorded an event and written its change does not hold it until it commits.
    if not on_postgres():
        pytest.skip("the chain's lock is a PostgreSQL advisory lock (SQLite: the write lock)")
    from registry.models.audit import CHAIN_LOCK_KEY

    expert = make.expert()
    db.session.commit()
    expert.max_travel_km = 321
    audit.record(None, "update", "expert", expert.id, after={"max_travel_km": 321})
    db.session.flush()
    with db.engine.connect() as other:
        free = other.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                            {"key": CHAIN_LOCK_KEY})
        other.rollback()  # (lets the lock go again)
    assert free
    db.session.commit()
    assert verified().events == 1


# -- the command -------------------------------------------------------------------------------

def test_the_command_counts_a_whole_chain_and_exits_0(app, runner):
    ids = recorded(3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain whole: 3 events" in result.output and f"event {ids[-1]}" in result.output


def test_the_command_names_the_broken_link_and_exits_1(app, runner):
    ids = recorded(4)
    tamper("DELETE FROM audit_event WHERE id = :id", id=ids[1])
    result = runner.invoke(args=["audit", "verify", "--batch", "2"])
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[2]} (predecessor missing)" in result.output
    assert "1 events before it verify" in result.output


# -- the migration -----------------------------------------------------------------------------

def test_migration_0008_chains_the_events_already_there(tmp_path):
    from flask_migrate import downgrade, upgrade

    from registry import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            for number in range(3):
                connection.execute(text(
                    "INSERT INTO audit_event (at, action, entity, entity_id, after) "
                    "VALUES (:at, 'create', 'expert', :n, :after)"),
                    {"at": f"2025-01-0{number + 1} 08:00:00.123456", "n": str(number),
                     "after": json.dumps({"n": number})})
        upgrade(revision="0008")
        with db.engine.connect() as connection:
            report = audit.verify_chain(connection)
        assert report.whole and report.events == 3
        downgrade(revision="0007")
        with db.engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM audit_event")).keys()
        db.engine.dispose()
    assert "hash" not in columns and "prev_hash" not in columns


# -- the admin's page --------------------------------------------------------------------------

def test_the_admins_page_says_whether_the_chain_is_whole(client, world):
    client.post("/sign-in", data={"email": world.users["admin"].email,
                                  "password": "correct horse battery"})
    ids = recorded(2)
    page = client.get("/admin/audit/chain")
    assert page.status_code == 200 and 'id="chain-whole"' in page.get_data(as_text=True)

    tamper("UPDATE audit_event SET entity_id = 'x' WHERE id = :id", id=ids[1])
    page = client.get("/admin/audit/chain").get_data(as_text=True)
    assert 'id="chain-broken"' in page and f"事件 {ids[1]} 处断裂" in page


def test_only_admins_see_the_chain(client, world):
    client.post("/sign-in", data={"email": world.users["clerk_sh"].email,
                                  "password": "correct horse battery"})
    assert client.get("/admin/audit/chain").status_code in (403, 404)
