"""Gunicorn settings for production: `make serve`, i.e.
`gunicorn -c gunicorn.conf.py registry.wsgi:app`.

Why gthread: a request spends part of its time waiting on PostgreSQL; a thread waiting there
lets another run Python. Processes give the parallelism (one per core), threads hide the
waits. Figures and the comparison with other settings: docs/load.md (`make load`).

Every setting can be changed from the environment (GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_BIND, GUNICORN_PRELOAD) or on the command line, which wins over this file.
"""

import errno
import multiprocessing
import os
import selectors
import time
from functools import partial

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, except that a new connection waits for its first bytes in
    the worker's poller, not in a pool thread.

    gunicorn 27 hands each accepted connection to a pool thread, which waits up to 5 s for
    data: four connections that sent nothing held all four threads and every other call
    waited 5 s (eight: 15 s; docs/load.md, "Silent connections"). Here the connection takes
    gunicorn's own path for a connection whose data is late (pending: polled, handed to a
    thread once readable), from the start, as gunicorn did before version 24 (upstream:
    benoitc/gunicorn#3634). It is closed if its first request has not begun within those
    same 5 s (not `keepalive`, which may be 0 to turn keep-alive off).
    tests/test_server.py opens such connections.
    """

    def accept(self, listener):
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        connection = gthread.TConn(self.cfg, client, address, listener.getsockname())
        connection.timeout = time.monotonic() + gthread.DEFAULT_WORKER_DATA_TIMEOUT
        self.pending_conns.append(connection)
        self.poller.register(client, selectors.EVENT_READ,
                             partial(self.on_pending_socket_readable, connection))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = ThreadWorker  # gthread, see above
# One process per core: the work is mostly Python, which one process runs one thread at a time.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
# Two threads: one runs Python while the other waits on the database. More only add GIL
# switching: the work is CPU-bound (docs/load.md: 2x1 used 14.6 ms of CPU a call, 2x4 19.3).
# Each thread holds one pooled connection while it works
# (SQLAlchemy's default pool: 5 connections plus 10 overflow per process).
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# The app is built once in the master and shared copy-on-write with the workers (registry/wsgi.py
# freezes its objects out of the collector's reach). Safe because nothing in the master holds a
# connection: see post_fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
# Browsers and proxies keep connections open between requests; 5 s covers a page's bursts.
keepalive = 5
timeout = 60  # a worker silent this long is restarted (the largest import takes a few seconds)
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for stdout; off by default
errorlog = "-"


def post_fork(server, worker):
    """Connections must never cross a fork: a pooled connection shared by two processes mixes
    their conversations with the database. Drop (without closing: they are the master's) any
    the master opened while building the app. The DBOS client (registry/jobs.py) is made on
    first use, in the worker, so none is inherited; drop one if it ever is."""
    import sys

    app = getattr(sys.modules.get("registry.wsgi"), "app", None)  # None without preload
    if app is None:
        return
    from registry.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    app.extensions.pop("jobs_client", None)
