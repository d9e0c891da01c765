"""The charts of a scenario report, drawn by :mod:`forecast.plotting` and turned into
:class:`~forecast.report.document.Figure` blocks (PNG and SVG bytes)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..audit.evidence import Evidence
from ..results import ScenarioResult, StatsScenarioResult
from .document import Figure

Result = ScenarioResult | StatsScenarioResult

#: Worker processes that render a report's charts (1: in this process): two where this process
#: may use two cores or more and can fork. Each chart's bytes do not depend on where it is drawn.
WORKERS = 2 if sys.platform == "linux" and len(os.sched_getaffinity(0)) >= 2 else 1
#: Fewer charts than this are drawn in this process (forking costs more than it saves).
MIN_PARALLEL = 3
#: Processes for each of a report's two rounds of charts (:func:`start`): the first round is
#: drawn while the rest of the evidence is computed, the second after it (0: in this process).
HALF = WORKERS // 2


@dataclass(frozen=True)
class Chart:
    """A chart still to draw: ``draw()`` returns its matplotlib figure. ``cost`` is about the
    CPU seconds it takes to draw and render (measured on a 2-core machine); the pool starts the
    costliest jobs first, so that its workers finish together."""

    name: str
    draw: Callable[[], Any]
    caption: str
    alt: str
    cost: float = 0.4


@dataclass(frozen=True)
class FileJob:
    """A file still to make beside the charts (``make()`` returns its bytes), e.g. the summary
    PDF, which draws a chart of its own; ``cost`` as :attr:`Chart.cost`."""

    name: str
    make: Callable[[], bytes]
    cost: float = 0.4


def render(charts: list[Chart], *, workers: int | None = None) -> dict[str, Figure]:
    """Draw and render ``charts`` (PNG and SVG): :func:`render_all` without files."""
    return render_all(charts, workers=workers)[0]


def render_all(
    charts: list[Chart], files: Sequence[FileJob] = (), *, workers: int | None = None
) -> tuple[dict[str, Figure], dict[str, bytes]]:
    """Draw and render ``charts`` (PNG and SVG) and make ``files``, in ``workers`` forked
    processes when there are at least :data:`MIN_PARALLEL` jobs (default :data:`WORKERS`), else
    in this process; the same bytes either way. The costliest jobs are started first
    (:attr:`Chart.cost`). The warnings and log records a job raises are raised again here, the
    charts' first, in order."""
    n = WORKERS if workers is None else workers
    forked = (
        min(n, len(charts) + len(files))
        if n > 1 and len(charts) + len(files) >= MIN_PARALLEL
        else 0
    )
    return start(charts, files, processes=forked).results()


@dataclass
class Drawing:
    """Charts and files being made by :func:`start`: in forked processes, which go on while
    this process does other work, or in this process when :meth:`results` is called."""

    charts: list[Chart]
    files: Sequence[FileJob]
    jobs: list[Chart | FileJob]
    order: list[int]  # the jobs' indices, costliest first: the order the workers take them in
    workers: list[Any] = field(default_factory=list)  # the forked processes
    tasks: Any = None  # the jobs' indices still to take, then one stop (None) per worker
    done: Any = None  # what the workers made: (job index, its bytes, warnings and records)

    @property
    def names(self) -> set[str]:
        return {c.name for c in self.charts}

    def help(self, processes: int) -> None:
        """Fork ``processes`` more workers to take the jobs no worker has started yet (when
        this drawing is made in workers and this process may still fork)."""
        if self.workers and processes > 0 and _may_fork():
            self._fork(processes)

    def _fork(self, processes: int) -> None:
        global _TODO
        import warnings

        _TODO = self.jobs
        try:
            with warnings.catch_warnings():  # Python 3.12+: fork with numpy's BLAS threads idle
                warnings.filterwarnings("ignore", "This process .* is multi-threaded")
                for _ in range(processes):
                    self.tasks.put(None)  # after every job: one stop for each worker
                    p = _FORK.Process(target=_work, args=(self.tasks, self.done), daemon=True)
                    p.start()
                    self.workers.append(p)
        finally:
            _TODO = []

    def made(self) -> list[tuple[tuple[bytes, ...], list[tuple[str, type[Warning]]], list[Any]]]:
        """What each job made, in the jobs' order (waits for the workers)."""
        global _TODO
        if not self.workers:
            _TODO = self.jobs
            try:
                by_job = dict(zip(self.order, [_render(i) for i in self.order], strict=True))
            finally:
                _TODO = []
        else:
            try:
                by_job = self._collect()
            finally:  # on an error too: no worker is left waiting to hand over what it made
                self.stop()
        return [by_job[i] for i in range(len(self.jobs))]

    def stop(self) -> None:
        """End the workers (those still drawing are stopped: the results are not wanted)."""
        for p in self.workers:
            if p.is_alive():
                p.terminate()
            p.join()

    def _collect(self) -> dict[int, Any]:
        import queue as queues

        by_job: dict[int, Any] = {}
        while len(by_job) < len(self.jobs):
            try:
                i, outcome = self.done.get(timeout=0.5)
            except queues.Empty:
                if any(p.is_alive() for p in self.workers):
                    continue
                try:  # every worker has ended: what one put last may still be on its way
                    i, outcome = self.done.get(timeout=1.0)
                except queues.Empty:
                    codes = sorted({p.exitcode for p in self.workers})
                    raise RuntimeError(
                        f"the chart workers ended with {len(self.jobs) - len(by_job)} of "
                        f"{len(self.jobs)} jobs not made (exit codes {codes})"
                    ) from None
            if isinstance(outcome, BaseException):
                raise outcome
            by_job[i] = outcome
        return by_job

    def results(self) -> tuple[dict[str, Figure], dict[str, bytes]]:
        """The charts' figures and the files' bytes by name, with each job's warnings and log
        records raised again here, the charts' first, in order."""
        import warnings

        done = self.made()
        k = len(self.files)
        for _payload, caught, logged in [*done[k:], *done[:k]]:
            for message, category in caught:
                warnings.warn(message, category, stacklevel=1)
            for name, level, text in logged:
                logging.getLogger(name).log(level, "%s", text)
        figures = {}
        for c, (payload, _, _) in zip(self.charts, done[k:], strict=True):
            png, svg = payload
            figures[c.name] = Figure(c.name, png, c.caption, c.alt, svg=svg)
        made = {f.name: payload[0] for f, (payload, _, _) in zip(self.files, done[:k], strict=True)}
        return figures, made


def start(charts: list[Chart], files: Sequence[FileJob] = (), *, processes: int = 0) -> Drawing:
    """Start making ``charts`` and ``files`` in ``processes`` forked processes (where this
    process may fork; 0: in this process, when the results are asked for). The workers take
    the jobs costliest first, so that they finish together; this process goes on at once
    (:meth:`Drawing.results` waits)."""
    jobs: list[Chart | FileJob] = [*files, *charts]
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)  # stable: ties keep order
    drawing = Drawing(charts, files, jobs, order)
    if processes < 1 or not jobs or not _may_fork():
        return drawing
    drawing.tasks = _FORK.SimpleQueue()  # written to at once: no feeder thread here
    drawing.done = _FORK.Queue()  # read only here
    for i in order:
        drawing.tasks.put(i)
    drawing._fork(min(processes, len(jobs)))
    return drawing


def _work(tasks: Any, done: Any) -> None:
    """A forked worker: make the jobs of :data:`_TODO` whose indices it takes from ``tasks``
    until a stop, and put what each made (or the exception it raised) on ``done``."""
    while (i := tasks.get()) is not None:
        try:
            outcome: Any = _render(i)
        except Exception as exc:  # raised again where the results are wanted
            outcome = exc
        done.put((i, outcome))
    done.close()
    done.join_thread()  # everything put is in the pipe before the process ends


class _Fork:
    """multiprocessing's fork context, looked up when first used (importing multiprocessing
    is not free, and most commands draw nothing)."""

    def __getattr__(self, name: str) -> Any:
        import multiprocessing

        return getattr(multiprocessing.get_context("fork"), name)


_FORK: Any = _Fork()


def _may_fork() -> bool:
    """Forking is safe here: one Python thread (not a notebook's or a Dask worker's threads,
    which a fork would leave holding locks) and not a pool's worker (which may not fork)."""
    import multiprocessing
    import threading

    return threading.active_count() == 1 and not multiprocessing.current_process().daemon


_TODO: list[Chart | FileJob] = []  # what is being made (a forked worker finds it here)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kept: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((record.name, record.levelno, record.getMessage()))


def _render(
    i: int,
) -> tuple[tuple[bytes, ...], list[tuple[str, type[Warning]]], list[tuple[str, int, str]]]:
    """Make job ``i`` of :data:`_TODO` (a chart's PNG and SVG bytes, or a file's bytes), with
    the warnings and the log records (WARNING and above) raised, which :func:`render_all` raises
    again where the results are wanted."""
    import warnings

    from ..plotting.export import figure_files

    job = _TODO[i]
    root, records = logging.getLogger(), _Records()
    handlers, root.handlers = root.handlers, [records]  # kept here, not shown twice
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if isinstance(job, FileJob):
                payload: tuple[bytes, ...] = (job.make(),)
            else:
                out = figure_files(job.draw(), ("png", "svg"))
                payload = (out["png"], out["svg"])
    finally:
        root.handlers = handlers
    return payload, [(str(w.message), w.category) for w in caught], records.kept


def figure(name: str, fig: Any, caption: str, alt: str) -> Figure:
    """A Figure block from a matplotlib figure (laid out once, rendered to PNG and SVG)."""
    from ..plotting.export import figure_files

    out = figure_files(fig, ("png", "svg"))
    return Figure(name, out["png"], caption, alt, svg=out["svg"])


def scenario_figures(result: Result, ev: Evidence) -> dict[str, Figure]:
    """Every chart that applies to this scenario, by short name."""
    return render(scenario_charts(result, ev))


def scenario_charts(result: Result, ev: Evidence) -> list[Chart]:
    """Every chart that applies to this scenario, still to draw, in the report's order."""
    return [
        _fan(result, ev),
        *_estimates(result, ev),
        *_segments(result),
        *_distribution(result, ev),
        *_sensitivity(ev),
        *_models(result, ev),
    ]


def _fan(result: Result, ev: Evidence) -> Chart:
    """The projection's fan chart."""
    from ..plotting import fan_chart

    sc = result.scenario
    return Chart(
        "fan",
        lambda: fan_chart(result),
        _fan_caption(result, ev),
        f"Fan chart of the {sc.name} projection to {sc.horizon}",
        cost=0.6,
    )


def _estimates(result: Result, ev: Evidence) -> list[Chart]:
    """Published estimates of the same market definition against the projection (when the
    scenario names a definition that has estimates)."""
    from ..plotting import estimates_chart

    if ev.definition is None or ev.estimates.empty:
        return []
    claim = (ev.anchor.year, ev.anchor.value, ev.anchor.label) if ev.anchor else None
    return [
        Chart(
            "estimates",
            lambda: estimates_chart(
                ev.estimates,
                definition=ev.definition,
                result=result,
                claim=claim,
                region=ev.filters.get("region"),
                source=estimates_source(result.scenario),
            ),
            "Published estimates of the same market definition, by publisher and edition, "
            "against this projection.",
            "Published estimates and the projection",
            cost=0.8,
        )
    ]


def _segments(result: Result) -> list[Chart]:
    """The segments stacked to the total, and their shares (when there are segments)."""
    from ..plotting import segments_chart, shares_chart

    if result.segments.empty:
        return []
    return [
        Chart(
            "segments",
            lambda: segments_chart(result),
            "Segment paths, stacked to the total.",
            "Stacked area chart of the segments",
            cost=0.45,
        ),
        Chart(
            "shares",
            lambda: shares_chart(result),
            "Segment shares over time.",
            "Segment shares by year",
            cost=0.45,
        ),
    ]


def _distribution(result: Result, ev: Evidence) -> list[Chart]:
    """The simulated values' histogram with the anchor and its probability (when a probability
    over uncertain assumptions was simulated)."""
    from ..plotting import distribution_chart

    if not (
        ev.simulation is not None
        and ev.simulation.result.anchor_draws
        and ev.simulation.result.input_names  # a probability over uncertain assumptions
        and isinstance(result, ScenarioResult)
        and result.no_intervals is None
    ):
        return []
    return [
        Chart(
            "distribution",
            partial(distribution_chart, ev.simulation),
            "Distribution of the simulated market size, with the anchor and its probability.",
            "Histogram of simulated values",
            cost=0.35,
        )
    ]


def _sensitivity(ev: Evidence) -> list[Chart]:
    """The tornado and spider charts of the sensitivity analysis (when there is one)."""
    from ..plotting import spider_chart, tornado_chart

    if ev.sensitivity is None:
        return []
    year = ev.sensitivity.year
    return [
        Chart(
            "tornado",
            partial(tornado_chart, ev.sensitivity),
            f"Swing of the {year} value as each input moves from P10 to P90.",
            "Tornado chart",
            cost=0.35,
        ),
        Chart(
            "spider",
            partial(spider_chart, ev.sensitivity),
            f"The {year} value as each input moves through its percentiles.",
            "Spider chart",
            cost=0.45,
        ),
    ]


def _models(result: Result, ev: Evidence) -> list[Chart]:
    """The growth families fitted to the history alone (when the evidence has their fits)."""
    from ..plotting import model_comparison_chart

    hist = result.scenario.history
    if hist is None or not ev.family_fits:
        return []
    return [
        Chart(
            "models",
            lambda: model_comparison_chart(
                hist.years,
                hist.values,
                list(ev.family_fits),
                horizon=ev.anchor.year if ev.anchor else None,
                comparison=ev.family_comparison,
            ),
            "Growth families fitted to the history alone (no anchors), carried on dashed; "
            "in the legend, each family's mean one-year-ahead error refitted on the years "
            "before each of the last ones, and its AICc (n/a when there are too few points).",
            "Model comparison chart",
        )
    ]


def estimates_source(sc: Any) -> str:
    """The estimates chart's source line: the scenario's estimates file."""
    from pathlib import PurePath

    files = [f.path for f in sc.inputs if f.role == "estimates"]
    where = PurePath(files[0]).name if files else "the scenario's estimates file"
    return f"published estimates in {where} (each row cites its URL)"


def _fan_caption(result: Result, ev: Evidence) -> str:
    """Say what the fan chart draws: which bands, history points, anchors."""

    sc = result.scenario
    levels = sorted(float(c[3:]) for c in result.projection.columns if str(c).startswith("lo-"))
    finite = levels and result.projection[f"lo-{levels[0]:g}"].notna().any()
    if finite and isinstance(result, ScenarioResult):
        spec = result.simulation.spec
        bands = (
            f"point path with {', '.join(f'{lv:g}%' for lv in levels)} intervals from "
            f"{spec.draws:,} draws of {', '.join(spec.layers)}, starting from the last actual "
            "value"
            if result.scenario.paths.start == "actual" and result.scenario.history is not None
            else f"point path with {', '.join(f'{lv:g}%' for lv in levels)} intervals from "
            f"{spec.draws:,} draws of {', '.join(spec.layers)}"
        )
    elif finite:
        bands = f"projection with {', '.join(f'{lv:g}%' for lv in levels)} prediction intervals"
    else:
        bands = "projection without intervals"
    smoothed = (
        " Band edges are smoothed across years for drawing only (a local quadratic over "
        "5 years); the tables, projection.csv and summary.json give the draws' quantiles."
        if finite and isinstance(result, ScenarioResult)
        else ""
    )
    extras = []
    if sc.history is not None:
        extras.append("reported history points")
    if sc.anchors:
        extras.append("anchors marked")
    return (
        bands[:1].upper()
        + bands[1:]
        + ("; " + " and ".join(extras) if extras else "")
        + "."
        + smoothed
    )
