"""A transaction that only read ends with COMMIT on PostgreSQL, so that psycopg keeps its
prepared statements (extensions._keep_prepared_statements); one that wrote is still rolled
back, and nothing a session merely queued (audit events, unflushed rows) is written."""

import pytest
from sqlalchemy import func, select, text

from registry.extensions import db
from registry.models import AuditEvent, Organization
from registry.services.audit import record

PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :like")


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")


def organizations(connection) -> int:
    return connection.scalar(select(func.count()).select_from(Organization))


def test_a_statement_read_in_many_transactions_gets_prepared():
    """psycopg prepares a statement on its sixth run; without the COMMIT, each transaction's
    ROLLBACK would make it forget the count, and nothing would ever be prepared."""
    with db.engine.connect() as connection:
        for _ in range(7):
            organizations(connection)
            connection.rollback()  # what closing a request's session does
        assert connection.scalar(PREPARED, {"like": "%FROM organization%"}) == 1


def test_a_transaction_that_wrote_is_still_rolled_back(make):
    db.session.execute(select(Organization.id)).all()  # the transaction began by reading
    make.organization()  # then wrote (a flush)
    db.session.rollback()
    assert organizations(db.session) == 0


def test_a_failed_read_is_rolled_back_without_an_error():
    with db.engine.connect() as connection:
        with pytest.raises(Exception, match="division by zero"):
            connection.execute(text("SELECT 1 / 0"))
        connection.rollback()  # the transaction failed: only ROLLBACK ends it
        assert organizations(connection) == 0


def test_a_reading_session_writes_nothing_it_only_queued(make):
    """A view that queued an audit event or added a row and then answered without
    committing (a refusal, say) leaves no trace: the session's commit hooks are not run."""
    actor = make.user(role="admin")
    db.session.commit()
    with db.session.no_autoflush:
        db.session.add(Organization(name="未写入的机构"))
        db.session.execute(select(AuditEvent.id)).all()  # a read: the transaction only read
        record(actor, "refused", "expert", 1)
    db.session.rollback()
    assert organizations(db.session) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "refused")) == 0
