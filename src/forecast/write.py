"""The report and the workbook from Python: the files ``forecast run`` and ``forecast report``
write, by the same code, with the same safety rules.

>>> import forecast
>>> res = forecast.run_scenario("scenarios/global-ai-2030.toml")  # doctest: +SKIP
>>> forecast.write_report(res, "out/global-ai-2030")  # doctest: +SKIP
>>> forecast.write_workbook(res, "out/global-ai-2030.xlsx")  # doctest: +SKIP

One result gives the report ``forecast run`` writes beside its CSVs (``report.html``,
``summary.pdf``, ``report.md`` with ``charts/``, ``workbook.xlsx``), byte for byte; several give
the comparison ``forecast report`` writes. Files are written to a temporary folder and swapped
into place atomically; earlier results that differ are never replaced unless ``force=True``
(identical ones are left as they are, so rerunning a notebook cell is harmless).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ForecastError, OutputError
from .output import Outcome, publish, write_file

if TYPE_CHECKING:
    from .results import ScenarioResult, StatsScenarioResult

    Result = ScenarioResult | StatsScenarioResult

__all__ = ["write_report", "write_workbook"]


def _results(results: Result | Sequence[Result], verb: str) -> list[Result]:
    from .results import BaseScenarioResult

    listed = [results] if isinstance(results, BaseScenarioResult) else list(results)
    if not listed or not all(isinstance(r, BaseScenarioResult) for r in listed):
        got = type(results).__name__ if not listed else "a list holding other objects"
        raise ForecastError(
            f"{verb}: results must be a scenario result (forecast.run_scenario) or a list of "
            f"them; got {got}"
        )
    names = [r.scenario.name for r in listed]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ForecastError(f"{verb}: scenario names must be unique; got {dupes[0]!r} twice")
    return listed


def _files(results: list[Result], title: str | None, verb: str) -> dict[str, bytes]:
    """What the command line writes: ``forecast run``'s report for one result, ``forecast
    report``'s comparison for several."""
    from .report.files import scenario_report_files
    from .results import command_line
    from .scenario.schema import check_title

    if len(results) == 1 and title is None:
        return scenario_report_files(results[0])
    from .audit.evidence import gather_evidence
    from .report.files import comparison_files

    paths = [str(r.scenario.path) for r in results]
    return comparison_files(
        results,
        [gather_evidence(r) for r in results],
        command=command_line("report", paths),
        title=check_title(title, f"{verb}: title"),
    )


def _api_advice(exc: OutputError) -> OutputError:
    return OutputError(str(exc).replace("pass --force", "pass force=True"))


def write_report(
    results: Result | Sequence[Result],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    title: str | None = None,
) -> Path:
    """Write the report of one result, or the comparison of several, into the folder ``out``.

    Parameters
    ----------
    results : ScenarioResult or StatsScenarioResult, or a sequence of them
        One result: ``report.html``, ``summary.pdf``, ``report.md`` with ``charts/`` and
        ``workbook.xlsx``, the bytes ``forecast run`` writes. Several (or one with a ``title``):
        the comparison report of ``forecast report`` (the scenarios must share one unit).
    out : path
        The folder that will hold the files (created if missing).
    force : bool, optional
        Replace a folder holding other results (refused by default).
    title : str, optional
        The comparison report's title (one line of at most 200 characters).

    Returns
    -------
    Path
        ``out/report.html``.
    """
    listed = _results(results, "write_report")
    files = _files(listed, title, "write_report")
    target = Path(out)
    try:
        publish(target, files, force=force, subset=True)
    except OutputError as exc:
        raise _api_advice(exc) from None
    return target / "report.html"


def write_workbook(
    results: Result | Sequence[Result],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    title: str | None = None,
) -> Path:
    """Write the workbook of one result, or the comparison workbook of several, to ``out``.

    The bytes are the ``workbook.xlsx`` of :func:`write_report` (and of ``forecast run``).

    Parameters
    ----------
    results : ScenarioResult or StatsScenarioResult, or a sequence of them
    out : path
        The ``.xlsx`` file to write.
    force : bool, optional
        Replace an existing file with other content (refused by default; a file with the same
        bytes is left as it is).
    title : str, optional
        The comparison's title, as for :func:`write_report`.

    Returns
    -------
    Path
        ``out``.
    """
    listed = _results(results, "write_workbook")
    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        raise ForecastError(f"write_workbook: out must name an .xlsx file; got {str(target)!r}")
    if len(listed) == 1 and title is None:
        from .audit.evidence import gather_evidence
        from .report.files import workbook
        from .results import command_line
        from .units import shown_in

        res = listed[0]
        with shown_in(res.scenario.unit):  # as report_files makes it
            data = workbook(
                res, gather_evidence(res), command=command_line("run", [str(res.scenario.path)])
            )
    else:
        data = _files(listed, title, "write_workbook")["workbook.xlsx"]
    if _same_file(target, data) is None:
        try:
            write_file(target, data, overwrite=force)
        except OutputError as exc:
            raise _api_advice(exc) from None
    return target


def _same_file(target: Path, data: bytes) -> Outcome | None:
    """``"unchanged"`` when ``target`` is a regular file (not a link) holding ``data``."""
    try:
        st = os.lstat(target)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
        return None
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return "unchanged" if fh.read() == data else None
