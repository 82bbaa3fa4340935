"""One small interface over a local process pool and a Dask distributed cluster.

The runner only submits tasks, waits for the first to finish and reads results; it never
knows which executor it drives. Both run :func:`ecosim.sweep.worker.run_task`.

* :class:`LocalExecutor` wraps :class:`concurrent.futures.ProcessPoolExecutor` with the
  ``spawn`` start method (forking a parent that runs a progress-bar thread can deadlock).
  If a pool process dies (killed, out of memory), the pool is rebuilt and the runs it held
  are handed back to the runner as :class:`WorkerLost` so it can retry them.
* :class:`DaskExecutor` wraps :class:`distributed.Client` connected to an existing
  scheduler. The scheduler itself reschedules the tasks of a worker that dies (up to
  ``distributed.scheduler.allowed-failures`` times, then ``KilledWorker``, handed to the
  runner as :class:`WorkerLost`), and tasks are submitted with ``retries`` so one that
  raises outside the model is retried too.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = [
    "DaskExecutor",
    "ExecutorGone",
    "LocalExecutor",
    "SweepExecutor",
    "WorkerLost",
    "default_workers",
    "make_executor",
]

Task = dict[str, Any]
RunFn = Callable[[Task, dict[str, Any]], dict[str, Any]]


class WorkerLost(RuntimeError):
    """The process running a task died; the task itself may be fine and can be retried."""


class ExecutorGone(RuntimeError):
    """The executor cannot go on (e.g. contact with the Dask scheduler was lost)."""


def default_workers() -> int:
    """CPUs this process may use (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class SweepExecutor(ABC):
    """Runs ``fn(task, config)`` for each submitted task somewhere; a context manager.

    Args:
        fn: the per-run function (picklable by reference).
        config: plain-data base configuration passed with every task.
    """

    #: Short description for logs and the manifest, e.g. ``local process pool (2 workers)``.
    description: str = ""

    def __init__(self, fn: RunFn, config: dict[str, Any]) -> None:
        self._fn = fn
        self._config = config

    @abstractmethod
    def slots(self) -> int:
        """How many tasks can run at the same time now (at least 1)."""

    @abstractmethod
    def submit(self, task: Task) -> Any:
        """Start a task; returns a future-like handle."""

    @abstractmethod
    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        """Wait up to ``timeout`` seconds for any future to finish; returns the finished ones."""

    @abstractmethod
    def result(self, future: Any) -> dict[str, Any]:
        """The task's result.

        Raises:
            WorkerLost: the process running it died (retry it).
            ExecutorGone: the executor itself is gone (stop the sweep).
            Exception: any other infrastructure error (record the run as failed).
        """

    @abstractmethod
    def close(self, cancel: bool = False) -> None:
        """Release resources; with ``cancel`` drop queued tasks instead of finishing them."""

    def __enter__(self) -> SweepExecutor:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.close(cancel=exc_type is not None)


# --------------------------------------------------------------------------- local
def _init_pool_process(parent_pid: int) -> None:
    """Pool process start-up: die with the parent, and ignore Ctrl-C (the parent handles it).

    Without the death signal a parent killed with SIGKILL would leave its pool processes
    computing runs nobody will record.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: rely on the pool's own pipes closing
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


class LocalExecutor(SweepExecutor):
    """A process pool on this machine.

    Args:
        fn: the per-run function.
        config: plain-data base configuration.
        workers: pool processes (default: the CPUs this process may use).
    """

    def __init__(self, fn: RunFn, config: dict[str, Any], workers: int | None = None) -> None:
        super().__init__(fn, config)
        self.workers = workers or default_workers()
        plural = "s" if self.workers != 1 else ""
        self.description = f"local process pool ({self.workers} worker{plural})"
        self._pool: cf.ProcessPoolExecutor | None = None
        self.restarts = 0

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_pool_process,
            initargs=(os.getpid(),),
        )

    def slots(self) -> int:
        return self.workers

    def submit(self, task: Task) -> cf.Future:
        if self._pool is None:
            self._pool = self._new_pool()
        try:
            return self._pool.submit(self._fn, task, self._config)
        except BrokenProcessPool:
            # A pool process died earlier; its runs came back as WorkerLost. Start afresh.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            self.restarts += 1
            return self._pool.submit(self._fn, task, self._config)

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done)

    def result(self, future: Any) -> dict[str, Any]:
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            raise WorkerLost(f"a pool process died: {exc}")
        if exc is not None:
            raise exc
        return future.result()

    def close(self, cancel: bool = False) -> None:
        if self._pool is None:
            return
        # The pool keeps its processes in a private attribute; on cancel we stop them, or
        # interpreter exit would wait for runs in flight that nobody is going to record.
        processes = list(getattr(self._pool, "_processes", None) or {}) if cancel else []
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._pool = None


# --------------------------------------------------------------------------- dask
_LOST = (
    "lost the Dask scheduler ({reason}); finished runs are recorded: run the same command "
    "again to resume"
)


def _connect(address: str, timeout: float) -> Any:
    """A Dask client, or :class:`ExecutorGone` within about ``timeout`` seconds.

    ``Client(timeout=...)`` bounds the TCP connection but not the handshake: a port that
    accepts and never answers (the dashboard's HTTP port instead of the scheduler's, say)
    would hang forever. So the client is made in a daemon thread and waited for.
    """
    from distributed import Client  # optional dependency, present when used

    box: dict[str, Any] = {}

    def make() -> None:
        try:
            box["client"] = Client(address, timeout=timeout)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=make, name="ecosim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    if "client" in box:
        return box["client"]
    reason = box.get("error") or f"no answer within {timeout + 5.0:.0f} s (is it a Dask scheduler?)"
    raise ExecutorGone(f"cannot reach the Dask scheduler at {address}: {reason}")


class DaskExecutor(SweepExecutor):
    """An existing Dask distributed cluster, reached through its scheduler.

    Args:
        fn: the per-run function (workers must be able to import it: install ``ecosim`` there).
        config: plain-data base configuration.
        address: scheduler address, e.g. ``tcp://127.0.0.1:8786``.
        retries: automatic retries of a task that raises (Dask ``retries``).
        max_in_flight: cap on tasks submitted at once (default: twice the cluster's threads).
        connect_timeout: seconds to wait for the scheduler.

    Raises:
        ExecutorGone: the scheduler cannot be reached.
    """

    def __init__(
        self,
        fn: RunFn,
        config: dict[str, Any],
        address: str,
        retries: int = 3,
        max_in_flight: int | None = None,
        connect_timeout: float = 20.0,
    ) -> None:
        super().__init__(fn, config)
        self._client = _connect(address, connect_timeout)
        self.address = address
        self.retries = retries
        self._cap = max_in_flight
        self._token = uuid.uuid4().hex[:8]
        self._slots = 1
        self._slots_at = -1e9
        self.description = f"dask cluster at {address}"

    def slots(self) -> int:
        # Asking the scheduler costs a round trip: refresh at most every few seconds, so
        # workers that join (or die) during the sweep change how much is kept in flight.
        now = time.monotonic()
        if now - self._slots_at > 5.0:
            # On error keep the last known value (the scheduler may just be busy).
            with contextlib.suppress(Exception):
                self._slots = max(1, sum(self._client.nthreads().values()))
            self._slots_at = now
        return min(self._slots, self._cap) if self._cap else self._slots

    def submit(self, task: Task) -> Any:
        return self._client.submit(
            self._fn,
            task,
            self._config,
            key=f"ecosim-run-{task['run_id']}-{self._token}",
            pure=False,
            retries=self.retries,
        )

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        from distributed import wait  # optional dependency, present when used

        futures = list(futures)
        try:
            done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        except cf.CancelledError:  # the client lost the scheduler and cancelled our futures
            raise ExecutorGone(_LOST.format(reason="connection lost")) from None
        except OSError as exc:
            raise ExecutorGone(_LOST.format(reason=f"{type(exc).__name__}: {exc}")) from None
        return set(done)

    def result(self, future: Any) -> dict[str, Any]:
        from distributed import KilledWorker  # optional dependency, present when used

        if future.status == "cancelled":
            raise ExecutorGone(_LOST.format(reason="a task was cancelled"))
        if future.status == "error":
            exc = future.exception()
            if isinstance(exc, KilledWorker):
                # The scheduler blames every task its dead workers held; the runner finds out
                # which run is really at fault by retrying them one at a time.
                raise WorkerLost(f"Dask workers died while holding it: {exc}")
            raise exc
        return future.result()

    def close(self, cancel: bool = False) -> None:
        # Closing a client whose scheduler is gone must not mask why the sweep stopped.
        with contextlib.suppress(Exception):
            self._client.close(timeout=10)


def make_executor(
    fn: RunFn,
    config: dict[str, Any],
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 3,
) -> SweepExecutor:
    """A local pool, or a Dask client when a scheduler address is given.

    Args:
        fn: the per-run function.
        config: plain-data base configuration sent with each task.
        workers: local pool size; with Dask, a cap on runs in flight.
        scheduler: Dask scheduler address (``tcp://host:port``), or ``None`` for local.
        retries: Dask retries of a task that raises.

    Raises:
        ImportError: Dask requested but ``distributed`` is not installed.
        ExecutorGone: the scheduler cannot be reached.
    """
    if scheduler is None:
        return LocalExecutor(fn, config, workers)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(
            "--scheduler needs Dask distributed: pip install 'ecosim[distributed]'"
        ) from None
    return DaskExecutor(fn, config, scheduler, retries=retries, max_in_flight=workers)
