"""Which SQL statements a piece of code runs: for tests that hold a page or a lookup to a
number of queries."""

from contextlib import contextmanager

from sqlalchemy import event

from registry.extensions import db


@contextmanager
def recording_statements():
    """Yield the list of statements (their SQL text) run inside the block."""
    seen = []

    def executed(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
