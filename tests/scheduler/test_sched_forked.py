"""clock.Forked: the min-cost flows run in forked children that the deadline, a stop or
their own failure ends without hanging the solve or leaving processes behind."""

import os
import time

import numpy as np
import pytest

from scheduler.clock import Cancelled, Forked, Stop


def sends_then_hangs():
    yield "first", np.array([1, 2, 3])
    time.sleep(60)
    yield "never", np.array([0])


def fails():
    yield "partial", np.array([7])
    raise RuntimeError("the flow broke")


def quick():
    yield "done", np.array([42])


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_child_past_the_deadline_is_killed_and_what_it_sent_is_kept():
    with Forked() as children:
        children.start(sends_then_hangs)
        pids = [pid for pid, _ in children.children.values()]
        results = children.collect(0.5)
    assert list(results) == ["first"]
    assert results["first"].tolist() == [1, 2, 3]
    assert all(gone(pid) for pid in pids)  # killed and reaped: no zombie either


def test_a_failing_child_says_so_and_the_others_results_come_back(capfd):
    with Forked() as children:
        children.start(fails)
        children.start(quick)
        # Both children end by themselves: collect returns without waiting out the limit.
        results = children.collect(60)
    assert results["done"].tolist() == [42]
    assert results["partial"].tolist() == [7]
    assert "RuntimeError: the flow broke" in capfd.readouterr().err


def test_a_stop_request_cancels_and_kills_the_children():
    with Forked() as children:
        children.start(sends_then_hangs)
        pids = [pid for pid, _ in children.children.values()]
        with pytest.raises(Cancelled):
            children.collect(60, Stop(lambda: True))
    assert all(gone(pid) for pid in pids)


def test_a_child_keeps_none_of_the_parents_files(tmp_path):
    # A parent's open file (a database socket, another child's pipe) must not be held by
    # the child: the child keeps only stdio and its own pipe.
    def open_fds():
        yield "fds", np.array([int(fd) for fd in os.listdir("/proc/self/fd")])

    with open(tmp_path / "held", "w") as held, Forked() as children:
        children.start(open_fds)
        results = children.collect(60)
        assert held.fileno() not in results["fds"].tolist()
    assert len(results["fds"]) <= 5  # stdin, stdout, stderr, its pipe, listdir's own


def test_once_enough_has_come_the_children_still_working_are_stopped():
    started = time.monotonic()
    with Forked() as children:
        children.start(sends_then_hangs)
        children.start(quick)
        pids = [pid for pid, _ in children.children.values()]
        results = children.collect(30, enough=lambda got: {"first", "done"} <= got.keys())
    assert time.monotonic() - started < 10  # not the 30 s limit, nor the 60 s sleep
    assert set(results) == {"first", "done"}
    assert all(gone(pid) for pid in pids)
