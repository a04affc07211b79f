"""The databases a benchmark runs on: a temporary SQLite file, and PostgreSQL on 127.0.0.1."""

import os
import sys
import tempfile
from collections.abc import Iterator

PG_SERVER = "postgresql+psycopg://root@127.0.0.1:5432/postgres"


def prepare_postgresql(database: str) -> str | None:
    """Create the benchmark's database if missing and empty its schema; its URL, or None when
    the server is down (the benchmark then skips PostgreSQL and says so)."""
    try:
        import psycopg
    except ImportError:
        print("PostgreSQL: psycopg is not installed, skipping.")
        return None
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{database}"
    try:
        with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True,
                             connect_timeout=5) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                      (database,)).fetchone():
                connection.execute(f"CREATE DATABASE {database}")
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True,
                             connect_timeout=5) as connection:
            connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
            connection.execute("CREATE SCHEMA public")
    except psycopg.OperationalError as error:
        print(f"PostgreSQL at 127.0.0.1:5432 is unreachable, skipping it: "
              f"{str(error).strip().splitlines()[0]}")
        return None
    return url


def each_database(names: str, postgresql_database: str) -> Iterator[tuple[str, str]]:
    """(name, URL) of each database named in "sqlite,postgresql", ready and empty."""
    for name in [n.strip() for n in names.split(",") if n.strip()]:
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="bench-") as folder:
                yield "SQLite", f"sqlite:///{os.path.join(folder, 'registry.sqlite')}"
        elif name == "postgresql":
            if url := prepare_postgresql(postgresql_database):
                yield "PostgreSQL", url
        else:
            print(f"unknown database {name!r}: use sqlite and/or postgresql", file=sys.stderr)
