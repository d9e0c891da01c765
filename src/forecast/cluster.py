"""Running on Dask: the optional extra, the ``backend`` argument of the batch functions and the
cluster behind the command line's ``--scheduler`` / ``--workers``.

Nothing here imports dask until a Dask backend is asked for, so ``import forecast`` stays light
and works without the extra; asking for one without it is a one-line error naming the install
command (:data:`INSTALL`).
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .errors import ForecastError

if TYPE_CHECKING:
    from distributed import Client

Backend: TypeAlias = "Literal['local', 'dask'] | Client | None"

INSTALL = "pip install '.[dask]'"
CONNECT_TIMEOUT = 10.0  # seconds a --scheduler has to answer
SLOW_MALLOC = "MALLOC_TRIM_THRESHOLD_"  # see local_cluster
PROFILER = "distributed.worker.profile.enabled"  # off on local clusters: see local_cluster
ONE_ARENA = {"MALLOC_ARENA_MAX": "1"}  # a local cluster's workers: see local_cluster
_MODULES = ("dask", "distributed", "dask.dataframe")


def require_dask(where: str) -> None:
    """Import the dask extra or raise a one-line error naming the install command."""
    for name in _MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing = exc.name or name
            raise ForecastError(
                f"{where}: needs the optional dask extra ({INSTALL}); got no module named "
                f"{missing!r}"
            ) from None


def module(name: str) -> Any:
    """``import name`` for dask's modules, untyped (dask's own annotations are partial)."""
    return importlib.import_module(name)


def is_dask_frame(obj: object) -> bool:
    """Whether ``obj`` is a dask DataFrame (without importing dask)."""
    dd = sys.modules.get("dask.dataframe")
    return dd is not None and isinstance(obj, dd.DataFrame)


def _is_client(obj: object) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "get") and hasattr(obj, "nthreads")


@dataclass(frozen=True)
class DaskBackend:
    """Where Dask computes: a ``distributed.Client``, or ``None`` for Dask's current scheduler
    (the active ``Client`` if there is one, else its local threads)."""

    client: Any = None

    def compute(self, *objs: Any) -> tuple[Any, ...]:
        """``dask.compute`` on this backend."""
        dask = module("dask")
        if self.client is None:
            return tuple(dask.compute(*objs))
        return tuple(dask.compute(*objs, scheduler=self.client))

    def threads(self) -> int:
        """Worker threads in all (the local cores for Dask's own schedulers)."""
        client = self.client
        if client is None:
            try:
                client = module("distributed").get_client()
            except (ImportError, ValueError):
                import os

                return os.cpu_count() or 1
        return max(1, int(sum(client.nthreads().values())))


def dask_backend(
    backend: Backend, df: object, n_jobs: int = 1, npartitions: int | None = None
) -> DaskBackend | None:
    """The Dask backend asked for by ``backend`` (or by a dask DataFrame ``df``), or ``None`` for
    the local run; checks that the arguments fit together and that the extra is installed."""
    dask_df = is_dask_frame(df)
    if backend is None:
        backend = "dask" if dask_df else "local"
    if isinstance(backend, str) and backend == "local":
        if dask_df:
            raise ForecastError(
                "backend: 'local' needs a pandas DataFrame (use backend='dask', or "
                "df.compute() first); got a dask DataFrame"
            )
        if npartitions is not None:
            raise ForecastError(
                f"npartitions: applies on Dask only (backend 'dask' or a Client); got "
                f"{npartitions!r} with backend 'local'"
            )
        return None
    if not (backend == "dask" if isinstance(backend, str) else _is_client(backend)):
        shown = repr(backend) if isinstance(backend, str) else type(backend).__name__
        raise ForecastError(
            f"backend: must be 'local', 'dask' or a dask.distributed Client; got {shown}"
        )
    require_dask("backend")
    if n_jobs != 1:
        raise ForecastError(
            "n_jobs: sets the local worker processes and does not apply on Dask (the cluster's "
            f"workers run the partitions); got {n_jobs!r}"
        )
    if npartitions is not None and (
        isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1
    ):
        raise ForecastError(f"npartitions: must be a positive whole number; got {npartitions!r}")
    return DaskBackend(None if isinstance(backend, str) else backend)


@contextmanager
def connect(
    scheduler: str | None = None, workers: int | None = None, *, timeout: float | None = None
) -> Iterator[DaskBackend | None]:
    """The cluster of the command line's ``--scheduler ADDRESS`` (an existing Dask scheduler)
    or ``--workers N`` (a local cluster of ``N`` worker processes, one thread each, closed on
    exit); ``None`` without either (the local run).

    Raises
    ------
    ForecastError
        Both options, a worker count below 1, a missing extra, or a scheduler that does not
        answer within ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`).
    """
    if scheduler is None and workers is None:
        yield None
        return
    if scheduler is not None and workers is not None:
        raise ForecastError(
            "--scheduler/--workers: give one (an existing cluster or a local one); got both "
            f"({scheduler!r} and {workers})"
        )
    where = "--scheduler" if scheduler is not None else "--workers"
    if workers is not None and workers < 1:
        raise ForecastError(f"--workers: must be a positive whole number; got {workers}")
    require_dask(where)
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # no connection retries or worker chatter on stderr
    try:
        if workers is not None:
            with local_cluster(workers) as client:
                yield DaskBackend(client)
            return
        assert scheduler is not None
        wait = CONNECT_TIMEOUT if timeout is None else timeout
        try:
            client = module("distributed").Client(scheduler, timeout=wait)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ForecastError(
                "--scheduler: must be the address of a running Dask scheduler such as "
                f"tcp://HOST:8786; got {scheduler!r} (no answer within {wait:g} s: "
                f"{type(exc).__name__})"
            ) from None
        with client:
            yield DaskBackend(client)
    finally:
        quiet.setLevel(level)


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A Dask ``LocalCluster`` of ``workers`` processes (one thread each) and its ``Client``,
    closed on exit.

    Its workers allocate memory as a plain process does:

    * glibc's default thresholds: Dask starts worker processes with
      ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes the mmap threshold at 128 KiB, so every
      larger temporary array of the kernels is a fresh ``mmap`` whose pages fault in again:
      about five times slower than the same code in a plain process;
    * one malloc arena (:data:`ONE_ARENA`): a task runs in a worker's thread, which glibc gives
      an arena of its own, made of heaps of at most 64 MiB that are trimmed as arrays are freed;
      the Monte Carlo's blocks (tens of MiB each) then fault their pages in again and again
      (at 10^7 draws, 1.5 times the page faults and the system time of one arena).

    (On a cluster of your own, start the workers without ``MALLOC_TRIM_THRESHOLD_``, or with
    ``MALLOC_MMAP_THRESHOLD_=67108864`` too, and with ``MALLOC_ARENA_MAX=1``.)

    Its workers run without Dask's statistical profiler (:data:`PROFILER`), which samples the
    running task's Python stack every 10 ms for a dashboard this cluster does not start: about
    4% more CPU time on the Monte Carlo's tasks, which are long and deep in Python.
    """
    require_dask("--workers")
    dask, distributed = module("dask"), module("distributed")
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}))
    env.pop(SLOW_MALLOC, None)
    env.update(ONE_ARENA)
    settings = {"distributed.nanny.pre-spawn-environ": env, PROFILER: False}
    with dask.config.set(settings), warnings.catch_warnings():
        # no dashboard; its bare HTTP server warns when another cluster holds the default port
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client
