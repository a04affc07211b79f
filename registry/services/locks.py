"""Writes that can break a dispatch rule are serialised on what they touch.

Two hand-picks of one expert onto overlapping days, two experts onto a request's last seat,
a cancel racing a confirmation: each write first holds the requests and experts it is about
to change, then checks the rules, then writes. Whoever holds second waits, and checks
against what the first one committed.

- PostgreSQL: `SELECT … FOR NO KEY UPDATE` on the rows, always in one order (requests,
  then experts, each by id), so two holders queue instead of deadlocking; then everything
  the session read before the lock is read again. (NO KEY: inserting an assignment takes a
  KEY SHARE lock on its request, which must not wait for a holder.)
- SQLite: a write request's transaction began IMMEDIATE (extensions.py): it has held the
  database's only write lock since its first read, so there is nothing more to take.

Underneath, row versions make every UPDATE of a request or an assignment a compare-and-set
(models: version_id_col), and on PostgreSQL a trigger keeps active assignments within a
request's seats (migration 0007).
"""

from collections.abc import Iterable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from registry.extensions import db
from registry.models import DispatchRequest, Expert, User
from registry.services import memo


def hold(*, requests: Iterable[DispatchRequest | int] = (),
         experts: Iterable[Expert | int] = ()) -> None:
    """Hold these rows (or ids) until the transaction ends; a no-op for rows already held."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return
    held = session.info.setdefault("held_rows", set())
    wanted = [(model, sorted({getattr(row, "id", row) for row in rows}
                             - {i for m, i in held if m is model}))
              for model, rows in ((DispatchRequest, requests), (Expert, experts))]
    if not any(ids for _model, ids in wanted):
        return
    for model, ids in wanted:
        if ids:
            session.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id)
                            .with_for_update(key_share=True))  # FOR NO KEY UPDATE
            held.update((model, i) for i in ids)
    _read_again(session)


def _read_again(session) -> None:
    """What was read before the lock may have changed since: expire it (changes this
    transaction made itself are kept), and forget the answers memo.py kept.

    Accounts are the exception: no write holds a user's row, so reading one again would
    guarantee nothing (a change could land just after), and the call goes on as the caller
    it authenticated; that saves a query on every locking write."""
    for row in list(session.identity_map.values()):
        if not isinstance(row, User) and not inspect(row).modified:
            session.expire(row)
    memo.forget(session)


@event.listens_for(Session, "after_transaction_end")
def _released(session, transaction) -> None:
    if transaction.parent is None:  # the database released the locks with the transaction
        session.info.pop("held_rows", None)
