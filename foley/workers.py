"""Worker processes for the batch jobs (dataset generation, scoring, clip cutting), stoppable by
Ctrl-C, ``kill`` or ``timeout`` at any moment, and stop signals held through work that must not be
cut short."""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .errors import FoleyError

_STOPS = (signal.SIGINT, signal.SIGTERM)


def _worker_signals() -> None:
    # Ctrl-C signals the whole process group: the parent alone acts on it. SIGTERM ends a worker
    # at once, as by default (not the parent's handler, inherited through fork): workers left by a
    # parent killed outright can still be stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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
    The workers ignore SIGINT (the parent stops them) and end on SIGTERM; on leaving (an error, an
    interrupt) the jobs not started are dropped and those running finish. ``fn`` and the jobs must pickle.
    A worker that dies (killed, out of memory) is a FoleyError (one line), not the executor's traceback."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_signals)
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
