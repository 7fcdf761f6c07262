"""Worker processes for the batch jobs (dataset generation, scoring, clip cutting), stoppable by
Ctrl-C, ``kill`` or ``timeout`` at any moment, and stop signals held through work that must not be
cut short."""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .errors import FoleyError

_STOPS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # Linux prctl(2): the signal a process gets when its parent ends
PARENT_POLL_S = 0.5  # where there is no such signal, how often a worker looks whether its parent is there


def _worker_start(parent: int | None) -> None:
    # Ctrl-C signals the whole process group: the parent alone acts on it. SIGTERM ends a worker
    # at once, as by default (not the parent's handler, inherited through fork).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent(parent)


def _end_with_parent(parent: int | None) -> None:
    """End this worker when its parent process ends, killed outright (``kill -9``) included, which
    stops no worker itself: Linux sends it SIGTERM then; elsewhere a thread looks every PARENT_POLL_S.
    ``parent``: the pid the pool's owner had, where it is the worker's parent (not under a forkserver),
    for a parent gone before the signal was asked for."""
    asked = False
    if sys.platform.startswith("linux"):
        try:
            asked = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0
        except (OSError, AttributeError):  # no C library to call (a static or unusual build)
            pass
    first = os.getppid()
    if parent is not None and first != parent:  # the parent ended while this worker started
        os._exit(1)
    if not asked:
        threading.Thread(target=_watch_parent, args=(first,), daemon=True, name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:  # an orphan is given another parent
        time.sleep(PARENT_POLL_S)
    os._exit(1)


@contextlib.contextmanager
def stops_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held in the block, then delivered: for work an exception must not cut
    short, as Python raises one anywhere (a pool starting or stopping: a worker left without its
    stop sentinel keeps the program waiting forever at exit; a cleanup: a second Ctrl-C would
    leave half of what it removes). Outside the main thread, which alone has handlers, a no-op."""
    if threading.current_thread() is not threading.main_thread():  # handlers are the main thread's
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in _STOPS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])  # its own handler runs now, outside the executor


@contextlib.contextmanager
def worker_map(fn: Callable, jobs: Iterable, workers: int, chunksize: int = 1) -> Iterator[Iterator]:
    """``fn(job)`` for every job in ``workers`` processes; yields the results' iterator, in job order.
    The workers ignore SIGINT (the parent stops them), end on SIGTERM and when the parent ends, killed
    outright included; on leaving (an error, an interrupt) the jobs not started are dropped and those
    running finish. ``fn`` and the jobs must pickle.
    A worker that dies (killed, out of memory) is a FoleyError (one line), not the executor's traceback."""
    forkserver = multiprocessing.get_start_method() == "forkserver"  # the workers' parent is then the server
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start,
                               initargs=(None if forkserver else os.getpid(),))
    try:
        with stops_deferred():
            results = pool.map(fn, jobs, chunksize=chunksize)  # submits every job, starts the workers
        yield results
    except BrokenProcessPool:
        raise FoleyError("a worker process ended before its job was done (killed, or out of memory?); run the "
                         "command again, with fewer --workers if memory is short") from None
    finally:
        with stops_deferred():
            pool.shutdown(wait=True, cancel_futures=True)
