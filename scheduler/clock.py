"""What the caller controls while `solve` runs: the time limit, progress reports, a stop."""

from __future__ import annotations

import math
import threading
import time
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
