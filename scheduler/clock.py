"""What the caller controls while `solve` runs: the time limit, progress reports, a stop."""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import struct
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.model import State

REPORT_EVERY_S = 0.5  # during a search, progress is reported at most this often
POLL_S = 0.05  # how often a watcher looks at the stop request while a native solver runs


class Cancelled(Exception):
    """The caller's `stop` returned True: `solve` gave up and returns no plan."""


class Stop:
    """The caller's stop request, polled between steps and while CP-SAT or SCIP runs.

    `requested` may be called from a watcher thread as well as from the solving thread,
    so it must be cheap and thread-safe (threading.Event.is_set, a flag, a clock).
    """

    def __init__(self, requested: Callable[[], bool] | None = None):
        self.requested = requested

    def check(self) -> None:
        """Raise Cancelled if the caller asked to stop."""
        if self.requested is not None and self.requested():
            raise Cancelled("solve was cancelled by its caller")

    @contextmanager
    def interrupting(self, interrupt: Callable[[], object]) -> Iterator[None]:
        """Run a native solve that `interrupt` ends early on a stop request, then check.

        CP-SAT and SCIP run in C++ until their own time limit and call back only when they
        find a solution, so a watcher thread polls the request and calls `interrupt`
        (CpSolver.stop_search, pywraplp.Solver.InterruptSolve). It calls again at every
        poll: a call that lands before the solver has started is lost.
        """
        if self.requested is None:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(POLL_S):
                if self.requested():
                    interrupt()

        watcher = threading.Thread(target=watch, name="scheduler-stop-watcher", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
        self.check()


NEVER = Stop()


class Clock:
    """The time limit, counted from when the caller's work began (default: now), and the
    caller's progress reports and stop request."""

    def __init__(self, limit_s: float, progress: Callable[[dict], None] | None,
                 started: float | None = None, stop: Stop = NEVER):
        self.entered = time.monotonic()
        self.start = self.entered if started is None else min(started, self.entered)
        self.limit_s = limit_s
        self.progress = progress
        self.stop = stop
        self.bound: int | None = None
        self.last_report = -math.inf

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def deadline(self, reserve_s: float) -> float:
        # Never less than a sliver after solve was entered: a caller that spent the whole
        # limit reading the problem still gets a plan (the phases that cannot be paid for
        # are skipped).
        return max(self.entered + 0.05, self.start + self.limit_s - reserve_s)

    def report(self, phase: str, state: State | None) -> None:
        """Tell the caller where the solve stands (a phase ended), then honour a stop."""
        if self.progress is not None:
            self.last_report = time.monotonic()
            self.progress(self._event(phase, state))
        self.stop.check()

    def tick(self, phase: str, state: State) -> None:
        """Report from inside a search, at most every REPORT_EVERY_S."""
        if time.monotonic() - self.last_report >= REPORT_EVERY_S:
            self.report(phase, state)
        else:
            self.stop.check()

    def _event(self, phase: str, state: State | None) -> dict:
        filled = None if state is None else state.filled_priority()
        return {
            "elapsed_s": round(self.elapsed(), 3), "phase": phase,
            "filled_priority": filled,
            "objective": None if state is None else state.objective(),
            "seats_filled": None if state is None else int(state.chosen.sum()),
            "bound": self.bound,
            "gap": relative_gap(self.bound, filled),
        }


def relative_gap(bound: int | None, filled: int | None) -> float | None:
    """(bound - filled) / bound, 0 when both are 0; None without a bound or a plan yet."""
    if bound is None or filled is None:
        return None
    return round((bound - filled) / bound, 6) if bound else 0.0


class Forked:
    """Producers (generator functions yielding (name, int64 array)), each run in a forked
    child started one by one (Forked.start), possibly at different times, and collected
    together (Forked.collect); leaving the `with` block kills those still running.

    The min-cost flows hold the GIL and cannot be interrupted in-process; in a child they
    can: at the deadline (or on a stop request, which then raises Cancelled) the children
    are killed and what they sent so far is kept. Without os.fork the producers run inline.
    """

    def __init__(self):
        self.children: dict[int, tuple[int, bytearray]] = {}  # read end -> (pid, buffer)
        self.inline: dict[str, object] = {}

    def start(self, produce) -> None:
        import numpy as np

        if not hasattr(os, "fork"):
            self.inline.update(produce())
            return
        read_fd, write_fd = os.pipe()
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns about fork in a threaded process (the registry's worker
                # and server are): the child only runs the producer on data it already
                # holds and writes to its pipe, with the solver's modules imported before
                # the fork, so it takes no lock another thread could have held.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no process to spare (memory, process limits): run it here
            os.close(read_fd)
            os.close(write_fd)
            self.inline.update(produce())
            return
        if pid == 0:  # the child: send each result, never return into the caller
            os.close(read_fd)
            _close_all_but(write_fd)
            status = 0
            try:
                for name, arr in produce():
                    _send(write_fd, name, np.ascontiguousarray(arr, dtype="<i8"))
            except BaseException:  # a failure, not a timeout: say so on the solver's stderr
                # To fd 2 itself: sys.stderr may sit on a descriptor closed above.
                os.write(2, traceback.format_exc().encode())
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        self.children[read_fd] = (pid, bytearray())

    def collect(self, timeout_s: float, stop: Stop = NEVER,
                enough: Callable[[dict], bool] | None = None) -> dict[str, object]:
        """What the children sent until they all ended, timeout_s passed or `enough` (given
        the results so far) returned True; then kill them."""
        import numpy as np

        end = time.monotonic() + max(0.0, timeout_s)
        results = dict(self.inline)
        open_fds = set(self.children)
        while open_fds and not (enough is not None and enough(results)):
            left = end - time.monotonic()
            ready, _, _ = select.select(list(open_fds), [], [], min(max(left, 0.0), POLL_S))
            stop.check()
            for fd in ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                buf = self.children[fd][1]
                buf += chunk
                _parse(buf, results, np)
            if left <= 0 and not ready:  # past the deadline, and nothing more is waiting
                break
        self.close()
        return results

    def close(self) -> None:
        for fd, (pid, _) in self.children.items():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        self.children = {}

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_HEADER = struct.Struct("<HQ")  # name length, payload bytes


def _close_all_but(keep: int) -> None:
    """In a child: close what it inherited but stdio and its pipe. A parent's database
    socket stays the parent's, and another thread's child's pipe end, held here too, would
    keep that pipe open after its child ended (its reader would wait out the deadline)."""
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))


def _send(fd: int, name: str, arr) -> None:
    data = _HEADER.pack(len(name.encode()), arr.nbytes) + name.encode() + arr.tobytes()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _parse(buf: bytearray, results: dict, np) -> None:
    """Move every complete message at the front of buf into results."""
    while len(buf) >= _HEADER.size:
        n_name, n_data = _HEADER.unpack_from(buf)
        size = _HEADER.size + n_name + n_data
        if len(buf) < size:
            return
        name = bytes(buf[_HEADER.size:_HEADER.size + n_name]).decode()
        results[name] = np.frombuffer(bytes(buf[_HEADER.size + n_name:size]), dtype="<i8")
        del buf[:size]
