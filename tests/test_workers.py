import multiprocessing
import os
import signal

import pytest

from foley.errors import FoleyError
from foley.workers import worker_map


def test_results_come_in_job_order():
    with worker_map(abs, [-3, 2, -1, 0], workers=2) as results:
        assert list(results) == [3, 2, 1, 0]


def test_a_stop_while_the_pool_starts_is_delivered_after_it_and_the_workers_end():
    taken = []

    def jobs():  # the pool takes its jobs while it starts: a signal here lands inside the executor's bookkeeping
        taken.append(-1)
        yield -1
        os.kill(os.getpid(), signal.SIGINT)
        taken.append(-2)
        yield -2

    reached = False
    with pytest.raises(KeyboardInterrupt):
        with worker_map(abs, jobs(), workers=2) as results:
            reached = True
            list(results)
    assert taken == [-1, -2] and not reached  # held until the pool had taken every job, raised on entering
    assert multiprocessing.active_children() == []  # the workers were stopped and joined
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back as it was


def test_a_failing_job_stops_the_pool():
    with pytest.raises(TypeError):
        with worker_map(abs, [1, "x", 2], workers=2) as results:
            list(results)
    assert multiprocessing.active_children() == []


def _killed_at_two(job: int) -> int:
    if job == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    return job


def test_a_worker_that_dies_is_one_line_not_a_traceback():
    with pytest.raises(FoleyError, match=r"^a worker process ended before its job was done \(killed, or out of memory\?\)"):
        with worker_map(_killed_at_two, [1, 2, 3], workers=2) as results:
            list(results)
    assert multiprocessing.active_children() == []
