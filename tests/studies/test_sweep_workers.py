"""The worker processes of ``swellfem sweep --jobs N`` (studies.sweep_run.Workers): results in
order or as they finish, and a worker killed mid-task (as by the out-of-memory killer) reported
as an error instead of a sweep that waits forever."""

from __future__ import annotations

import os
import signal
import time

import pytest

from swellfem.studies.sweep_run import WorkerLost, Workers


def _square_or_die(task: int) -> int:
    """Square ``task``; task -1 kills its own process (SIGKILL: no clean-up, as the kernel does)."""
    if task == -1:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return task * task


def test_workers_give_every_result():
    workers = Workers(2)
    try:
        assert workers.map(_square_or_die, range(6)) == [0, 1, 4, 9, 16, 25]
        assert sorted(workers.imap_unordered(_square_or_die, list(range(6)))) == [0, 1, 4, 9, 16, 25]
    finally:
        workers.close()


@pytest.mark.parametrize("how", ["map", "imap_unordered"])
def test_a_worker_killed_mid_task_is_reported_not_waited_for(how):
    workers = Workers(2)
    workers.watch_s = 0.2
    t0 = time.monotonic()
    with pytest.raises(WorkerLost, match="run the same command again to resume"):
        if how == "map":
            workers.map(_square_or_die, [1, -1, 2, 3])
        else:
            list(workers.imap_unordered(_square_or_die, [1, -1, 2, 3]))
    assert time.monotonic() - t0 < 60
    assert workers._pool is None  # stopped: no worker left behind
