"""Back up and restore the whole database: our tables, DBOS's job tables and the audit chain.

SQLite: the sqlite3 online backup API copies a consistent snapshot page by page while the
app keeps running (readers and the writer are never stopped for long), and restores the
same way into the live file. PostgreSQL: pg_dump's custom format (-Fc) and pg_restore, both
of the server's major version (`postgres_tool`). docs/operations.md has the drill.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import make_url

from registry.services.audit import ChainReport, verify_chain

POSTGRES_SCHEMAS = ("public", "dbos")  # ours, and DBOS's (registry/jobs.py)
POSTGRES_BIN_DIRS = "/usr/lib/postgresql/{major}/bin"


class BackupError(Exception):
    """A backup or restore that cannot be done as asked. Operators read it in English
    (a shell command's output), so the template is filled here, not translated."""

    def __init__(self, message: str, **params):
        super().__init__(message.format(**params))


@dataclass(frozen=True)
class RestoreReport:
    row_counts: dict[str, int]  # "schema.table" (PostgreSQL) or "table" (SQLite) -> rows
    chain: ChainReport


# -- what a database holds ---------------------------------------------------------------------

def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the database, ours and DBOS's, by name: "audit_event" for
    ours, "dbos.workflow_status" for DBOS's on PostgreSQL (its own schema)."""
    inspector = inspect(engine)
    schemas = POSTGRES_SCHEMAS if engine.dialect.name == "postgresql" else (None,)
    names = sorted((schema or "", name) for schema in schemas
                   for name in inspector.get_table_names(schema=schema))
    with engine.connect() as connection:
        return {(f"{schema}.{name}" if schema not in ("", "public") else name):
                connection.execute(select(func.count()).select_from(
                    table(name, schema=schema or None))).scalar()
                for schema, name in names}


def holds_data(engine: Engine) -> bool:
    """Whether any table but Alembic's revision marker has a row."""
    return any(count for name, count in row_counts(engine).items()
               if name.rsplit(".", 1)[-1] != "alembic_version")


# -- SQLite ------------------------------------------------------------------------------------

def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path, journal_mode: str | None = None) -> None:
    """Copy a SQLite database with the online backup API: a consistent snapshot even while
    others write (the copy restarts if a writer changes a page it has already copied)."""
    with closing(sqlite3.connect(source)) as origin, \
            closing(sqlite3.connect(target)) as destination:
        origin.backup(destination)
        if journal_mode:
            destination.execute(f"PRAGMA journal_mode={journal_mode}")


def _check_sqlite_file(path: Path) -> None:
    try:
        with closing(sqlite3.connect(path)) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError("{path} is not a SQLite database: {error}", path=str(path),
                          error=str(error)) from error
    if verdict != "ok":
        raise BackupError("{path} is damaged: {verdict}", path=str(path), verdict=verdict)


# -- PostgreSQL --------------------------------------------------------------------------------

def _server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SHOW server_version_num").scalar()) // 10000


def _tool_major(binary: str) -> int | None:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\s(\d+)(?:\.\d+)*", output)
    return int(found.group(1)) if found else None


def postgres_tool(engine: Engine, name: str) -> str:
    """pg_dump or pg_restore of the server's major version: Debian's versioned directory
    first, then the PATH. An older pg_dump refuses a newer server, and an older pg_restore
    cannot read a newer pg_dump's archive, so a mismatch is an error, not a warning."""
    major = _server_major(engine)
    for candidate in (os.path.join(POSTGRES_BIN_DIRS.format(major=major), name),
                      shutil.which(name)):
        if candidate and os.access(candidate, os.X_OK) and _tool_major(candidate) == major:
            return candidate
    raise BackupError("no {tool} of PostgreSQL {major} found (looked in {where} and the PATH)",
                      tool=name, major=major, where=POSTGRES_BIN_DIRS.format(major=major))


def _libpq_target(engine: Engine) -> tuple[str, dict]:
    """The database as a libpq URI without the password, and the environment giving the
    password (so it never shows in the process list)."""
    url = make_url(engine.url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode:
        raise BackupError("{tool} failed: {error}", tool=os.path.basename(command[0]),
                          error=finished.stderr.strip()[-2000:])


# -- the two commands --------------------------------------------------------------------------

def _refuse_to_overwrite_file(path: Path) -> None:
    if path.exists():
        raise BackupError("{path} exists; choose a new file", path=str(path))


def create_backup(engine: Engine, path: Path) -> None:
    """Write a backup of the whole database to `path`, a new file, atomically (a temporary
    file beside it, renamed once complete)."""
    path = Path(path)
    _refuse_to_overwrite_file(path)
    descriptor, partial_name = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name,
                                                suffix=".partial")
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        if engine.dialect.name == "sqlite":
            partial.unlink()  # the backup API wants a new database, not an empty file
            # DELETE, not WAL: the backup is one self-contained file
            _sqlite_copy(_sqlite_path(engine), partial, journal_mode="DELETE")
        else:
            uri, env = _libpq_target(engine)
            _run([postgres_tool(engine, "pg_dump"), "--format=custom", "--no-owner",
                  f"--file={partial}", f"--dbname={uri}"], env)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore_backup(engine: Engine, path: Path, *, force: bool = False) -> RestoreReport:
    """Replace the database's content by the backup at `path`; refuse to overwrite data
    unless `force`. Then count the rows and verify the audit chain."""
    path = Path(path)
    if not path.is_file():
        raise BackupError("no backup at {path}", path=str(path))
    if not force and holds_data(engine):
        raise BackupError("the database holds data; restoring would replace it "
                          "(use --force to replace it)")
    engine.dispose()  # our pooled connections would see the old file or block the drops
    if engine.dialect.name == "sqlite":
        _check_sqlite_file(path)
        _sqlite_copy(path, _sqlite_path(engine))
    else:
        uri, env = _libpq_target(engine)
        # One transaction: a restore that fails leaves the database as it was. --clean
        # drops what the backup holds (objects of a migrated, empty database included).
        _run([postgres_tool(engine, "pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(path)], env)
    engine.dispose()
    with engine.connect() as connection:
        chain = verify_chain(connection)
    return RestoreReport(row_counts(engine), chain)
