"""Backups: `flask backup create` then `flask backup restore` into a fresh database gives the
same rows in every table (ours and DBOS's) and an audit chain that verifies; a restore does
not overwrite data unless forced; a damaged or missing backup is refused."""

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry import create_app, jobs
from registry.extensions import db
from registry.services import audit, backups, solver_runs
from tests.conftest import _test_config


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """An empty database beside the test database: a new SQLite file, or on PostgreSQL a new
    database named after the test database, dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{url.database}_restore"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def registry_with_history(app, world):
    """The world, a solver run queued as a DBOS job, and audit events of several kinds."""
    solver_runs.start_run(world.users["coordinator_sh"], "SH", date(2025, 1, 1),
                          date(2025, 12, 31), time_limit_s=2)
    db.session.commit()
    for number in range(5):
        audit.record(world.users["admin"], "update", "expert", world.sh_expert.id,
                     before={"max_concurrent": number}, after={"max_concurrent": number + 1})
    db.session.commit()
    db.session.remove()
    return world


def other_app(url: str):
    return create_app(_test_config(url))


def test_a_restore_into_a_fresh_database_has_every_row_and_a_whole_chain(
        app, registry_with_history, runner, tmp_path, fresh_url):
    backup = tmp_path / "registry.backup"
    created = runner.invoke(args=["backup", "create", str(backup)])
    assert created.exit_code == 0, created.output
    expected = backups.row_counts(db.engine)
    assert expected["audit_event"] >= 5 and any("workflow_status" in name and count
                                                for name, count in expected.items())

    restored_app = other_app(fresh_url)
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
        assert result.exit_code == 0, result.output
        assert backups.row_counts(db.engine) == expected
        with db.engine.connect() as connection:
            chain = audit.verify_chain(connection)
        assert chain.whole and chain.events == expected["audit_event"]
        assert "Audit chain whole" in result.output and "audit_event" in result.output
        jobs.dispose(restored_app)
        db.engine.dispose()


def test_a_backup_taken_while_events_are_written_is_consistent(app, tmp_path, fresh_url):
    stop, written = threading.Event(), []

    def write():
        with app.app_context():
            while not stop.is_set() or len(written) < 20:
                audit.record(None, "update", "expert", len(written))
                db.session.commit()
                written.append(1)
            db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 10:
            stop.wait(0.01)
        backups.create_backup(db.engine, tmp_path / "live.backup")
    finally:
        stop.set()
        writer.join()

    restored_app = other_app(fresh_url)
    with restored_app.app_context():
        report = backups.restore_backup(db.engine, tmp_path / "live.backup")
        assert report.chain.whole and report.chain.events == report.row_counts["audit_event"]
        assert report.chain.events >= 10
        db.engine.dispose()


def test_a_restore_refuses_to_overwrite_data_unless_forced(app, registry_with_history, runner,
                                                            tmp_path):
    backup = tmp_path / "registry.backup"
    backups.create_backup(db.engine, backup)
    before = backups.row_counts(db.engine)

    refused = runner.invoke(args=["backup", "restore", str(backup)])
    assert refused.exit_code == 1 and "holds data" in refused.output
    forced = runner.invoke(args=["backup", "restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    assert backups.row_counts(db.engine) == before


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    existing = tmp_path / "existing.backup"
    existing.write_text("keep me")
    with pytest.raises(backups.BackupError, match="exists"):
        backups.create_backup(db.engine, existing)
    assert existing.read_text() == "keep me"


def test_a_damaged_backup_is_refused_and_the_database_kept(app, registry_with_history,
                                                           tmp_path):
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(b"not a backup at all" * 100)
    before = backups.row_counts(db.engine)
    with pytest.raises(backups.BackupError):
        backups.restore_backup(db.engine, damaged, force=True)
    assert backups.row_counts(db.engine) == before


def test_a_restore_with_a_broken_chain_exits_1(app, registry_with_history, runner, tmp_path,
                                               fresh_url):
    """The restore checks the chain it brought back: a backup of a tampered log says so."""
    event_id = db.session.scalar(text("SELECT max(id) FROM audit_event")) - 2
    db.session.remove()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER "
                                    "audit_event_refuses_change"))
        connection.execute(text("UPDATE audit_event SET action = 'x' WHERE id = :id"),
                           {"id": event_id})
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER "
                                    "audit_event_refuses_change"))
    backup = tmp_path / "tampered.backup"
    backups.create_backup(db.engine, backup)

    restored_app = other_app(fresh_url)
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
        assert result.exit_code == 1
        assert f"BROKEN at event {event_id} (content changed)" in result.output
        db.engine.dispose()
