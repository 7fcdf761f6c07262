import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time

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


def _ended(pid: int) -> bool:
    """Whether the process ``pid`` has ended (gone, or a zombie its new parent has not reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes' states in /proc")
def test_the_workers_end_when_their_parent_is_killed_outright():
    script = ("import os, time\n"
              "from foley.workers import worker_map\n"
              "def job(i):\n"
              "    os.write(1, f'{os.getpid()}\\n'.encode())  # one write: the two workers' lines do not mix\n"
              "    time.sleep(60)\n"
              "with worker_map(job, range(2), workers=2) as results:\n"
              "    list(results)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        workers += [int(parent.stdout.readline()) for _ in range(2)]
        parent.kill()  # SIGKILL: no code of the parent runs
        parent.wait()
        deadline = time.monotonic() + 5
        while not all(map(_ended, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(map(_ended, workers))
    finally:
        parent.kill()
        parent.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
