"""Flask extensions, created unbound so that importing needs no app."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Requests that may write. On SQLite their transactions begin IMMEDIATE (see below).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing = ContextVar("writing", default=False)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Outside a request (the solver worker, commands): transactions begun inside take
    SQLite's write lock at once, as a write request's do."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _takes_write_lock() -> bool:
    return _writing.get() or (has_request_context() and request.method not in SAFE_METHODS)


class RegistrySQLAlchemy(SQLAlchemy):
    def _make_engine(self, bind_key, options, app):
        engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            _transactions_we_control(engine)
        if engine.dialect.name == "postgresql":
            _keep_prepared_statements(engine)
        return engine


def _transactions_we_control(engine: Engine) -> None:
    """SQLite's driver begins a transaction by itself, DEFERRED, just before the first write;
    a transaction that read and then writes fails at once ("database is locked") when
    another connection committed meanwhile, and what it read may be stale. So a write
    request's transaction begins IMMEDIATE, here: it holds SQLite's one write lock before
    its first read, and what it checks is what it changes (services/locks.py). Reads are
    left as they were: they never wait (WAL)."""

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        if _takes_write_lock():
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# connection.info key: the connection's transaction has run nothing but SELECTs.
ONLY_READ = "only_read"


def _keep_prepared_statements(engine: Engine) -> None:
    """End a transaction that has run nothing but SELECTs with COMMIT instead of ROLLBACK.

    For the data the two are the same. But psycopg forgets every prepared statement of the
    connection on a ROLLBACK, and every request's session ends with one (Flask-SQLAlchemy
    closes it): so no statement would ever reach the five runs after which psycopg prepares
    it, and PostgreSQL would plan every statement of every call again: some 40% of its CPU
    in the load mix (docs/load.md). Here, as SQLAlchemy is about to roll back, such a
    transaction is committed; the driver's rollback that follows then finds none to end.
    A transaction that ran anything else (INSERT, UPDATE, DELETE, SAVEPOINT, SET...) or
    failed is rolled back as before; so are unflushed changes, which never reach the
    database, and the session's commit hooks (audit, mail) never run for this COMMIT. (A
    SELECT of set_config would now outlive its transaction; the registry runs none.)"""

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.info[ONLY_READ] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(connection, _cursor, statement: str, *_args) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            connection.info[ONLY_READ] = False

    @event.listens_for(engine, "rollback")
    def _rollback(connection) -> None:
        if connection.closed or connection.invalidated:
            return
        if not connection.info.pop(ONLY_READ, False):
            return
        driver = connection.connection.dbapi_connection
        if driver.info.transaction_status is not psycopg.pq.TransactionStatus.INTRANS:
            return  # idle, or a failed transaction: only ROLLBACK ends that
        try:
            driver.commit()
        except psycopg.Error:
            pass  # the connection broke: the rollback that follows meets it and says so


db = RegistrySQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_for_several_processes(dbapi_connection, _record) -> None:
    """SQLite shared by the web server and a worker: readers never wait for the writer (WAL),
    and a writer waits for the lock instead of failing at once."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
