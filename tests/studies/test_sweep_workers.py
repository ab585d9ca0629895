"""The worker processes of ``swellfem sweep --jobs N`` (studies.sweep_run.Workers): results in
order or as they finish, a task's exception raised in the sweep process, and a worker that is
killed (as by the out-of-memory killer), busy or idle, reported as an error at once instead
of a sweep that waits forever."""

from __future__ import annotations

import os
import signal
import time

import pytest

from swellfem.studies.sweep_run import WorkerLost, Workers


def _square_or_die(task: int) -> int:
    """Square ``task``; task -1 kills its own process (SIGKILL: no clean-up, as the kernel does),
    task -2 raises."""
    if task == -1:
        os.kill(os.getpid(), signal.SIGKILL)
    if task == -2:
        raise ValueError("task -2 fails")
    time.sleep(0.05)
    return task * task


def _pid(_task) -> int:
    time.sleep(0.2)
    return os.getpid()


def test_workers_give_every_result_and_raise_a_tasks_error():
    workers = Workers(2)
    try:
        assert workers.map(_square_or_die, range(6)) == [0, 1, 4, 9, 16, 25]
        assert sorted(workers.imap_unordered(_square_or_die, list(range(6)))) == [0, 1, 4, 9, 16, 25]
        with pytest.raises(ValueError, match="task -2 fails"):
            workers.map(_square_or_die, [1, -2, 3])
    finally:
        workers.close()


@pytest.mark.parametrize("how", ["map", "imap_unordered"])
def test_a_worker_killed_mid_task_is_reported_not_waited_for(how):
    workers = Workers(2)
    t0 = time.monotonic()
    with pytest.raises(WorkerLost, match="run the same command again to resume"):
        if how == "map":
            workers.map(_square_or_die, [1, -1, 2, 3])
        else:
            list(workers.imap_unordered(_square_or_die, [1, -1, 2, 3]))
    assert time.monotonic() - t0 < 60
    assert workers._workers == []  # stopped: no worker left behind


def test_a_worker_killed_while_idle_is_reported_at_the_next_map():
    workers = Workers(2)
    try:
        pids = set(workers.map(_pid, [0, 1, 2, 3]))
        assert len(pids) == 2
        os.kill(pids.pop(), signal.SIGKILL)  # between the points and the figures, say
        time.sleep(0.2)
        t0 = time.monotonic()
        with pytest.raises(WorkerLost, match="exit code -9"):
            workers.map(_square_or_die, [1, 2, 3, 4])
        assert time.monotonic() - t0 < 30
    finally:
        workers.close()
