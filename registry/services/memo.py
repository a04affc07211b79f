"""Reads remembered for the rest of a transaction, as long as nothing in it has changed.

A list of seats asks the database the same questions per seat (an expert's past arbitrations,
its declared relations): a page of nine arbitrator seats ran ~30 such queries. Each answer is
kept in the session, by kind and key, and one query can answer for every key a page will ask
(`remember_many`). What is kept is forgotten at every flush and at the transaction's end, and
nothing is kept or used while the session holds a change not yet flushed: a written row is
never judged by an answer read before it. Taking a lock (locks.hold) forgets them too.
"""

from collections.abc import Callable, Hashable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.extensions import db

_MEMO = "transaction_memo"


def _kept(kind: str) -> dict | None:
    """The answers kept for this kind, or None while the session holds unflushed changes."""
    session = db.session()
    # check_modified looks at the changed rows only, not at every row the session holds.
    if session.new or session.deleted or session.identity_map.check_modified():
        session.info.pop(_MEMO, None)
        return None
    return session.info.setdefault(_MEMO, {}).setdefault(kind, {})


def remember_many(kind: str, keys: Iterable[Hashable],
                  load: Callable[[list], dict]) -> dict:
    """{key: answer} for these keys; `load(missing keys)` answers those not kept yet, in one
    go, and must answer each of them."""
    keys = list(dict.fromkeys(keys))
    kept = _kept(kind)
    if kept is None:
        return load(keys)
    missing = [key for key in keys if key not in kept]
    if missing:
        kept.update(load(missing))
    return {key: kept[key] for key in keys}


def remember(kind: str, key: Hashable, load: Callable[[list], dict]):
    return remember_many(kind, [key], load)[key]


def forget(session: Session) -> None:
    """Forget every answer kept: also when a lock is taken (locks.hold), as what was read
    before it may have changed since."""
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_flush")
def _forget_on_flush(session, _context) -> None:
    forget(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after(session, _transaction) -> None:
    forget(session)
