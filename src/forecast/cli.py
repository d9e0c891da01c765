"""The ``forecast`` command line.

``main(argv) -> int`` is the single error boundary: a :class:`ForecastError` becomes one line on
stderr and exit code 2 (a traceback only with ``--verbose``); a failure of the machine (a full
disk, a read-only folder, too little memory) one line and exit code 1; an unexpected exception
one line and exit code 1. Tests call ``main`` directly.

Around every command: warnings of the libraries (matplotlib, scipy, numpy) are captured, never
printed (``run`` folds them into its summary's warnings; ``--verbose`` prints them), so stderr
holds at most the one error line; and everything printed passes through
:func:`forecast.errors.visible`, so a control or bidirectional-override character from a file
(a title holding a terminal's escape sequence) is shown as an escape, never acted on.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import cli_batch, cli_claims, cli_deck, cli_report, units
from ._textfmt import g, money, output_line, pct
from ._version import __version__
from ._warnings import library_warnings
from .cli_simulate import cmd_sensitivity, cmd_simulate
from .data import load_series
from .errors import ForecastError, near_miss, one_line, visible
from .models import FAMILIES, GrowthFit, GrowthModel, cagr
from .money import format_money, parse_rate, parse_year_value
from .output import check_target, csv_bytes, json_bytes, publish
from .projection import ScenarioResult, StatsScenarioResult, run_scenario
from .readpolicy import allowed
from .scenario import load_scenario
from .types import finite_or_none
from .units import USD_BILLION

MAX_FIT_ROWS = 10_000  # a yearly series: far beyond any market's history
MAX_BACKTEST_ROWS = 250_000  # series x years; about a minute of backtest per 200,000 rows
MAX_ERROR_CHARS = 2_000  # the error line is cut beyond this (a value echoed from a file)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a ForecastError (one line, exit 2)."""

    def error(self, message: str) -> Any:
        where = self.prog.removeprefix("forecast").strip() or "command line"
        raise ForecastError(f"{where}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (sub-commands run, validate, implied, fit)."""
    common = _Parser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show tracebacks on errors")

    parser = _Parser(
        prog="forecast",
        description="Market forecast modeling: cited scenarios, growth curves calibrated to "
        "anchors, projections with prediction intervals.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run",
        parents=[common],
        help="fit, calibrate and project scenarios",
        description="Fit, calibrate and project scenarios; print a summary and "
        "write OUT/<scenario>/projection.csv, params.csv, summary.json.",
    )
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    run.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    run.add_argument(
        "--force",
        action="store_true",
        help="replace earlier results of other inputs in OUT/<scenario>",
    )
    run.add_argument("--json", action="store_true", help="print the summaries as JSON")
    run.add_argument(
        "--no-report",
        action="store_true",
        help="skip report.html, report.md, workbook.xlsx and the charts",
    )
    allow_path_option(run)

    val = sub.add_parser(
        "validate",
        parents=[common],
        help="check scenario files without running",
        description="Check scenario files (schema, money strings, data files, "
        "anchors, segments) without fitting anything.",
    )
    val.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    val.add_argument("--json", action="store_true", help="print the result as JSON")
    allow_path_option(val)

    imp = sub.add_parser(
        "implied",
        parents=[common],
        help="implied CAGR between two values, or solve for a value",
        description="Give two of --from, --to, --cagr and get the third. Examples: "
        "--from 2024:279.22B --to 2030:1.57T (prints the CAGR); "
        "--from 2024:279.22B --cagr 35.9%% --to 2030 (prints the 2030 value); "
        "--to 2030:1.57T --cagr 30%% --from 2024 (prints the 2024 value).",
    )
    imp.add_argument("--from", dest="start", required=True, metavar="YEAR[:VALUE]")
    imp.add_argument("--to", dest="end", required=True, metavar="YEAR[:VALUE]")
    imp.add_argument(
        "--cagr",
        metavar="RATE",
        help="compound annual growth rate, e.g. 35.9%%; write a negative one as --cagr=-5%%",
    )
    imp.add_argument("--json", action="store_true", help="print the result as JSON")

    fit = sub.add_parser(
        "fit",
        parents=[common],
        help="fit growth curves to a year,value CSV",
        description="Fit one or more growth-curve families to a CSV with a year "
        "column and a value column; print parameters with standard errors.",
    )
    fit.add_argument("data", metavar="DATA.csv")
    fit.add_argument(
        "--model",
        default="logistic",
        metavar="FAMILY[,FAMILY...]",
        help=f"one or more of {', '.join(FAMILIES)}, or 'all' (default: logistic)",
    )
    fit.add_argument(
        "--error",
        choices=("multiplicative", "additive"),
        default="multiplicative",
        help="relative (log) or absolute errors (default: multiplicative)",
    )
    fit.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="hold a parameter fixed, e.g. --fix launch=0 (repeatable)",
    )
    fit.add_argument("--year-column", default="year")
    fit.add_argument("--value-column", default="value")
    fit.add_argument("--json", action="store_true", help="print the result as JSON")
    _max_rows_option(fit, MAX_FIT_ROWS)

    bt = sub.add_parser(
        "backtest",
        parents=[common],
        help="rolling-origin evaluation of the stats models on your history",
        description="Hide the last years of every series, forecast them from several origins "
        "with the statistical models and print sMAPE, MASE, MSIS and interval coverage per "
        "model next to the naive baseline. DATA.csv is either long (unique_id, ds, y) or one "
        "series (year and value columns).",
    )
    bt.add_argument("data", metavar="DATA.csv")
    bt.add_argument(
        "--h",
        type=int,
        default=None,
        help="forecast horizon in years (default: 6, or the longest the history allows)",
    )
    bt.add_argument("--windows", type=int, default=3, help="forecast origins (default: 3)")
    bt.add_argument(
        "--models",
        default="default",
        metavar="MODEL[,MODEL...]",
        help="stats models to compare (default: naive, drift, ses, holt, damped, theta, "
        "theta_opt, auto; 'all' adds damped_mult, arima and ets)",
    )
    bt.add_argument(
        "--level", default="80,95", metavar="L[,L...]", help="interval levels (default: 80,95)"
    )
    bt.add_argument("--n-jobs", type=int, default=1, help="worker processes (default: 1)")
    cli_batch.add_cluster_options(bt)
    bt.add_argument("--year-column", default="year")
    bt.add_argument("--value-column", default="value")
    bt.add_argument("--json", action="store_true", help="print the result as JSON")
    _max_rows_option(bt, MAX_BACKTEST_ROWS)

    sim = sub.add_parser(
        "simulate",
        parents=[common],
        help="Monte Carlo over a scenario's assumptions",
        description="Draw the scenario's [assumptions] (with their rank correlation), the fit's "
        "parameter uncertainty and residual noise; write OUT/<scenario>.simulation/"
        "quantiles.csv, anchors.csv and summary.json and print a summary.",
    )
    sim.add_argument("scenario", metavar="SCENARIO")
    sim.add_argument("--draws", type=int, help="number of draws (default: the scenario's)")
    sim.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    sim.add_argument("--sampler", help="mc, lhs or sobol (default: the scenario's)")
    sim.add_argument(
        "--layers", help="comma-separated subset of fit,assumptions,noise (default: all)"
    )
    sim.add_argument(
        "--exact",
        action="store_true",
        help="exact quantiles at any number of draws, keeping every draw in memory (default: "
        "exact up to 1,000,000 draws, mergeable summaries with a stated rank error above)",
    )
    _monte_carlo_options(sim)
    _output_options(sim)

    sen = sub.add_parser(
        "sensitivity",
        parents=[common],
        help="which assumptions drive the outcome (tornado, spider, Sobol)",
        description="Tornado (P10 to P90 swings), spider, rank-correlation importance and Sobol "
        "indices of the market size in the scenario's metric year; writes "
        "OUT/<scenario>.sensitivity/tornado.csv, spider.csv, importance.csv, sobol.csv.",
    )
    sen.add_argument("scenario", metavar="SCENARIO")
    sen.add_argument("--draws", type=int, help="draws for the rank correlation")
    sen.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    sen.add_argument(
        "--sobol-samples", type=int, default=1024, help="Saltelli base samples (power of two)"
    )
    _monte_carlo_options(sen)
    _output_options(sen)

    cli_report.add_parsers(sub, common)
    cli_claims.add_parsers(sub, common)
    cli_batch.add_parsers(sub, common)
    cli_deck.add_parsers(sub, common)
    return parser


def _monte_carlo_options(p: argparse.ArgumentParser) -> None:
    """Where the Monte Carlo's blocks are drawn: local processes or a Dask cluster (the same
    numbers either way)."""
    p.add_argument(
        "--n-jobs", type=int, default=1, help="local worker processes drawing blocks (default: 1)"
    )
    cli_batch.add_cluster_options(p)


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    p.add_argument("--force", action="store_true", help="replace earlier results of other inputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    allow_path_option(p)


def allow_path_option(p: argparse.ArgumentParser) -> None:
    """``--allow-path DIR`` (repeatable): a folder the scenario's files may be read from."""
    p.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also read files the scenario names (extends, history, estimates) from DIR "
        "(repeatable; by default only the scenario's folder and the data/ beside it)",
    )


def _max_rows_option(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--max-rows",
        type=int,
        default=default,
        metavar="N",
        help=f"refuse a CSV with more data rows (default: {default:,})",
    )


def _rows_hint(flag: str = "--max-rows") -> str:
    return f" (split the file, or raise the cap with {flag})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args_list
    caught: list[str] = []
    try:
        with _visible_stdout(), library_warnings() as caught:
            try:
                args = build_parser().parse_args(args_list)
            except SystemExit as exc:  # --help and --version print and ask to exit
                return int(exc.code or 0)
            if args.command is None:
                raise ForecastError(
                    "command line: a command is required (run, validate, implied, fit, backtest, "
                    "batch, simulate, sensitivity, report, claims or audit; see forecast --help); "
                    "got none"
                )
            handler = {
                "run": _cmd_run,
                "validate": _cmd_validate,
                "implied": _cmd_implied,
                "fit": _cmd_fit,
                "backtest": _cmd_backtest,
                "simulate": cmd_simulate,
                "sensitivity": cmd_sensitivity,
                "report": cli_report.cmd_report,
                "claims": cli_claims.cmd_claims,
                "audit": cli_claims.cmd_audit,
                "batch": cli_batch.cmd_batch,
                "deck": cli_deck.cmd_deck,
            }[args.command]
            return handler(args)
    except ForecastError as exc:
        if verbose:
            traceback.print_exc()
        _error_line(str(exc))
        return exc.exit_code
    except BrokenPipeError:  # output piped into a program that stopped reading (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("forecast: interrupted; earlier results are untouched", file=sys.stderr)
        return 130
    except MemoryError:
        if verbose:
            traceback.print_exc()
        _error_line(
            "memory: the run must fit in the memory available; got too little (try fewer "
            "--draws, or a smaller file); earlier results are untouched"
        )
        return 1
    except OSError as exc:  # the machine refused (a full disk, a read-only folder, permissions)
        if verbose:
            traceback.print_exc()
        code = errno.errorcode.get(exc.errno or 0, "")
        where = os.fsdecode(exc.filename) if exc.filename is not None else "forecast"
        _error_line(
            f"{where}: the system must allow this operation; got {exc.strerror or exc}"
            + (f" ({code})" if code else "")
        )
        return 1
    except Exception as exc:  # the one place an unexpected error is turned into a line
        if verbose:
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        _error_line(
            f"internal error: {type(exc).__name__}: {first} (rerun with --verbose for the "
            "traceback)",
            prefix="forecast: ",
        )
        return 1
    finally:
        if verbose:
            for line in caught:
                print(f"forecast: library warning: {visible(one_line(line))}", file=sys.stderr)


def _error_line(message: str, prefix: str = "forecast: error: ") -> None:
    """The one stderr line: line breaks, control and bidi characters shown as escapes, and cut
    at ``MAX_ERROR_CHARS``."""
    text = visible(one_line(message))
    if len(text) > MAX_ERROR_CHARS:
        text = f"{text[:MAX_ERROR_CHARS]}... ({len(text) - MAX_ERROR_CHARS:,} more characters)"
    print(f"{prefix}{text}", file=sys.stderr)


class _VisibleText:
    """A text stream that shows control and bidi characters as escapes (tabs and line breaks
    kept) before they reach the terminal: nothing printed from a file can move the cursor, clear
    the screen, set the window title or reorder the text around it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding...
        return getattr(self._stream, name)


@contextlib.contextmanager
def _visible_stdout() -> Iterator[None]:
    real = sys.stdout
    sys.stdout = _VisibleText(real)
    try:
        yield
    finally:
        sys.stdout = real


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


# ------------------------------------------------------------------------------------------------
# run / validate
# ------------------------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    """Files depend only on inputs, seed and versions (no clock, no command line), so a rerun
    with the same inputs finds its results unchanged."""
    allow = allowed(args.allow_path)
    scenarios = [load_scenario(p, allow=allow) for p in args.scenarios]  # all before any run
    seen: dict[str, str] = {}
    for path, sc in zip(args.scenarios, scenarios, strict=True):
        if sc.name in seen:
            raise ForecastError(
                f"{path}: name: scenario names must be unique within one run (they name the "
                f"output folders); got {sc.name!r}, also the name of {seen[sc.name]}"
            )
        seen[sc.name] = path
    results = []
    caught: list[list[str]] = []  # library warnings of each scenario, folded into its summary
    for sc in scenarios:
        with library_warnings() as found:
            results.append(run_scenario(sc))
        caught.append(found)
    planned = []
    for res, found in zip(results, caught, strict=True):
        summary = res.summary()
        command = cli_report.command_line("run", [str(res.scenario.path)])
        summary["provenance"]["command"] = command  # the manifest: how to reproduce these files
        files = {
            "projection.csv": csv_bytes(_with_unit(res.projection, res.scenario.unit)),
            "params.csv": csv_bytes(res.params),
            "summary.json": json_bytes(summary),
        }
        if not res.segments.empty:
            files["segments.csv"] = csv_bytes(_with_unit(res.segments, res.scenario.unit))
        if not args.no_report:
            with library_warnings() as drawing:
                files.update(cli_report.scenario_report_files(res, command=command))
            found += [w for w in drawing if w not in found]
        target = Path(args.out) / res.scenario.name
        # refuse before writing anything; --no-report over a run that wrote one is unchanged
        check_target(target, files, force=args.force, subset=args.no_report)
        planned.append((res, summary, files, target, found))
    summaries = []
    for res, summary, files, target, found in planned:
        outcome = publish(target, files, force=args.force, subset=args.no_report)
        # shown, not written: the files do not depend on which library versions warn
        summary["warnings"] = [*summary["warnings"], *(f"library: {w}" for w in found)]
        summary["output"] = {"folder": str(target), "files": sorted(files), "outcome": outcome}
        summaries.append(summary)
        if not args.json:
            with units.shown_in(res.scenario.unit):
                print(
                    _format_summary(res, summary)
                    if isinstance(res, ScenarioResult)
                    else _format_stats_summary(res, summary)
                )
            print()
    if args.json:
        print(json.dumps(summaries, indent=2, allow_nan=False))
    elif len(results) > 1:
        print(_format_comparison(results))
    return 0


def _with_unit(frame: Any, unit: units.Unit) -> Any:
    """A projection frame with a ``unit`` column after ``scenario`` when the scenario is not in
    USD billion (the default's files keep their columns; summary.json always says the unit)."""
    if unit == USD_BILLION:
        return frame
    out = frame.copy()
    out.insert(1, "unit", unit.label)
    return out


def _cmd_validate(args: argparse.Namespace) -> int:
    out: list[dict[str, Any]] = []
    allow = allowed(args.allow_path)
    for p in args.scenarios:
        sc = load_scenario(p, allow=allow)
        out.append(
            {
                "file": str(p),
                "scenario": sc.name,
                "ok": True,
                "history_points": 0 if sc.history is None else len(sc.history),
                "anchors": len(sc.anchors),
                "segments": len(sc.segments),
                "family": sc.model.family if isinstance(sc.model, GrowthModel) else sc.model.name,
                "horizon": sc.horizon,
                "unit": sc.unit.label,
                "conversions": list(sc.conversions),
                "warnings": list(sc.warnings),
            }
        )
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for o in out:
            unit = f", in {o['unit']}" if o["unit"] != USD_BILLION.label else ""
            print(
                f"ok  {o['file']}  ({o['scenario']}: {o['family']}, {o['history_points']} "
                f"history points, {o['anchors']} anchor(s), {o['segments']} segment(s), "
                f"horizon {o['horizon']}{unit})"
            )
            for note in o["conversions"]:
                print(f"  converted   {note}")
            for w in o["warnings"]:
                print(f"  warning     {w}")
    return 0


def _interval(row: dict[str, Any], level: float) -> str:
    lo, hi = row.get(f"lo-{level:g}"), row.get(f"hi-{level:g}")
    if lo is None or hi is None:
        return f"{level:g}% n/a"
    return f"{level:g}% {money(lo)}-{money(hi)}"


def _unit_lines(s: dict[str, Any]) -> list[str]:
    """The unit and the conversions into it, when not nominal USD billion with nothing
    converted (the default's money strings say it)."""
    if s["unit"] == USD_BILLION.label and not s.get("conversions"):
        return []
    return [f"  unit        {s['unit']}"] + [
        f"  converted   {note}" for note in s.get("conversions", [])
    ]


def _format_summary(res: ScenarioResult, s: dict[str, Any]) -> str:
    sc, fit = res.scenario, res.fit
    lines = [f"{sc.name}: {sc.title}", *_unit_lines(s)]
    h = s["history"]
    basis = []
    if h:
        basis.append(f"{h['points']} history points {h['first_year']}-{h['last_year']}")
    if sc.anchors:
        basis.append(f"{len(sc.anchors)} anchor(s)")
    lines.append(
        f"  model       {fit.model.family} ({fit.model.error} errors), fitted to "
        f"{' + '.join(basis)}"
    )
    for a in s["anchors"]:
        need = a.get("implied_cagr_from_last_history")
        needs = f"; implies {pct(need)}/yr from {h['last_year']}" if h and need is not None else ""
        kind = a["kind"] + (f" ±{pct(a['tolerance'], 0)}" if a["tolerance"] else "")
        lines.append(
            f"  anchor      {a['year']} {money(a['value_usd_bn'])} ({kind}): fitted "
            f"{money(a['fitted_usd_bn'])}, miss {a['miss_pct']:+.2f}%{needs}"
        )
        lines.append(f"              source: {a['source']}")
    params = s["fit"]["params"]
    proj, derived = s["projection"], s["derived"]
    gap = proj["start_gap"]
    if gap is not None:
        how = (
            "paths start from the actual value"
            if proj["start"] == "actual"
            else "paths start from the fitted curve (start = 'fitted')"
        )
        lines.append(
            f"  start       {gap['year']} actual {money(gap['actual_usd_bn'])}, fitted curve "
            f"{money(gap['fitted_usd_bn'])} ({gap['gap_pct']:+.1f}%); {how}"
        )
    if derived.get("saturation_usd_bn") is not None:
        name = fit.family.saturation_param or ""
        p = params[name]
        parts = []
        if p["lo-95"] is not None and res.saturation == fit.saturation:
            parts.append(f"95% CI {money(p['lo-95'])}-{money(p['hi-95'])}")
        band = derived.get("saturation_80_usd_bn")
        if band is not None:
            parts.append(f"80% of draws {money(band[0])}-{money(band[1])}")
        extra = f" ({'; '.join(parts)})" if parts else ""
        lines.append(f"  saturation  {money(derived['saturation_usd_bn'])}{extra}")
    if derived.get("inflection_year") is not None:
        label = derived["inflection_label"]
        lines.append(f"  inflection  {derived['inflection_year']:.1f} ({label})")
    lines += _cagr_lines(derived)
    for row in s["report_years"]:
        ints = "  ".join(_interval(row, lv) for lv in sc.levels)
        med = f"  median {money(row['median'])}" if row.get("median") is not None else ""
        lines.append(f"  {row['year']}        {money(row['mean'])}{med}  {ints}")
    if proj["layers"] and res.no_intervals is None:
        lines.append(
            f"  intervals   {proj['draws']:,} draws of {', '.join(proj['layers'])} (seed "
            f"{proj['seed']}); the first column is the point path"
        )
        for note in proj["layer_notes"]:
            lines.append(f"              {note}")
    rec = s.get("segment_reconciliation")
    if rec:
        gaps = [r["gap_pct"] for r in rec["reported_gap"] if r["gap_pct"] is not None]
        span = (
            f"; the reported parts differ from the reported total by {min(gaps):+.1f}% to "
            f"{max(gaps):+.1f}% ({rec['reported_gap'][0]['year']}-"
            f"{rec['reported_gap'][-1]['year']})"
            if gaps
            else ""
        )
        what = f"{len(rec['parts'])} {sc.segment_dimension} histories ({rec['family']})"
        lines.append(f"  segments    {what}, reconciled with the total by {rec['method']}{span}")
    pstr = ", ".join(
        f"{n}={_fmt_param(v['estimate'], v['unit'])}"
        + (f" (se {_fmt_param(v['se'], v['unit'])})" if v["se"] is not None else "")
        + (" [fixed]" if v["fixed"] else "")
        + (" [at bound]" if v["at_bound"] else "")
        for n, v in params.items()
    )
    lines.append(f"  params      {pstr}")
    sigma = s["fit"]["sigma"]
    if sigma is None:
        sig = "n/a (no degrees of freedom)"
    elif fit.model.error == "multiplicative":
        sig = f"{pct(float(np.expm1(sigma)))} (log scale)"
    else:
        sig = f"{sigma:.4g}"
    aicc = "n/a" if s["fit"]["aicc"] is None else f"{s['fit']['aicc']:.2f}"
    lines.append(f"  fit         residual sd {sig}, dof {s['fit']['dof']}, AICc {aicc}")
    for w in s["warnings"]:
        lines.append(f"  warning     {w}")
    o = s.get("output")
    if o:
        lines.append(output_line(o["outcome"], o["folder"], o["files"]))
    return "\n".join(lines)


def _format_stats_summary(res: StatsScenarioResult, s: dict[str, Any]) -> str:
    sc = res.scenario
    h = s["history"]
    model = s["model"]
    used = f" (used {model['used']})" if model["used"] != model["family"] else ""
    source = {
        "shipped": "the package's table of rolling-origin errors (not this history's own)",
        "pooled": "this batch's own rolling-origin errors",
        "shipped-log": "the package's table of auto's log errors on histories this long",
    }.get(str(model["intervals"]), str(model["intervals"]))
    lines = [
        f"{sc.name}: {sc.title}",
        *_unit_lines(s),
        f"  model       {model['family']}{used}, statistical, fitted to {model['points']} yearly "
        f"values {h['first_year']}-{h['last_year']} ({h['points']} reported); intervals from "
        f"{source}",
    ]
    for a in s["anchors"]:
        need = a.get("implied_cagr_from_last_history")
        needs = f"; implies {pct(need)}/yr from {h['last_year']}" if need is not None else ""
        lines.append(
            f"  anchor      {a['year']} {money(a['value_usd_bn'])}: {a['position']}{needs}"
        )
        lines.append(f"              source: {a['source']}")
    lines += _cagr_lines(s["derived"])
    for row in s["report_years"]:
        ints = "  ".join(_interval(row, lv) for lv in sc.levels)
        lines.append(f"  {row['year']}        {money(row['mean'])}  {ints}")
    for w in s["warnings"]:
        lines.append(f"  warning     {w}")
    o = s.get("output")
    if o:
        lines.append(output_line(o["outcome"], o["folder"], o["files"]))
    return "\n".join(lines)


def _cagr_lines(derived: dict[str, Any]) -> list[str]:
    """CAGR lines of a summary: from the last actual value (every model), and from the fitted
    curve's own first value (growth curves)."""
    lines = []
    for prefix, label, note in (
        ("cagr_", "CAGR       ", "from the last actual value"),
        ("fitted_cagr_", "fitted CAGR", "the curve's own value at the start"),
    ):
        spans = [
            (k.removeprefix(prefix), v)
            for k, v in derived.items()
            if k.startswith(prefix) and k != "cagr_basis"
        ]
        if spans:
            rates = "; ".join(f"{k.replace('_', '-')} {pct(v)}/yr" for k, v in spans)
            lines.append(f"  {label} {rates} ({note})")
    return lines


def _fmt_param(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "money":
        return money(v) if v > 0 else f"{v:.4g}"
    if unit == "year":
        return f"{v:.2f}"
    return f"{v:.4g}"


def _format_comparison(results: list[ScenarioResult | StatsScenarioResult]) -> str:
    years = sorted({y for r in results for y in r.report_years}) or [results[0].scenario.horizon]
    year = 2030 if 2030 in years else years[0]
    header = [
        "scenario",
        "model",
        f"{year}",
        "80% interval",
        f"CAGR to {year} (from last actual)",
        "saturation",
        "inflection",
    ]
    rows = []
    for r in results:
        try:
            v = r.value_at(year)
        except KeyError:
            v = {}
        # one basis for every model: the last actual history value to the projection's mean
        start = r.growth_basis()[0]
        growth = r.cagr_to(year)
        if isinstance(r, ScenarioResult):
            name, sat = r.fit.model.family, r.saturation
            infl = "n/a" if r.inflection_year is None else f"{r.inflection_year:.1f}"
        else:
            name, sat, infl = r.model_name, None, "n/a"
        note = "" if r.last_actual is not None else " (fitted)"
        with units.shown_in(r.scenario.unit):  # each row in its scenario's unit
            rows.append(
                [
                    r.scenario.name,
                    name,
                    money(v.get("mean")),
                    _interval(v, 80).removeprefix("80% ") if v else "n/a",
                    f"{pct(growth)} from {start}{note}" if year > start else "n/a",
                    money(sat),
                    infl,
                ]
            )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [
            fmt.format(*header),
            fmt.format(*("-" * w for w in widths)),
            *(fmt.format(*r) for r in rows),
        ]
    )


# ------------------------------------------------------------------------------------------------
# implied
# ------------------------------------------------------------------------------------------------


def _year_or_point(text: str, flag: str) -> tuple[int, float | None]:
    if ":" in text:
        return parse_year_value(text, where=flag)
    # [0-9], not \d: int() would also read "２０３０"
    if not re.fullmatch(r"[0-9]{4}", text.strip()) or not 1900 <= int(text) <= 2200:
        raise ForecastError(
            f"{flag}: must be YEAR (1900-2200) or YEAR:VALUE such as 2030:1.57T; got {text!r}"
        )
    return int(text), None


def _cmd_implied(args: argparse.Namespace) -> int:
    y0, v0 = _year_or_point(args.start, "--from")
    y1, v1 = _year_or_point(args.end, "--to")
    if y0 >= y1:
        raise ForecastError(
            f"--from/--to: the --from year must come before the --to year; got {y0} and {y1}"
        )
    rate = parse_rate(args.cagr, where="--cagr") if args.cagr is not None else None
    given = sum(x is not None for x in (v0, v1, rate))
    if given != 2:
        raise ForecastError(
            "implied: give exactly two of a --from value, a --to value and --cagr (e.g. --from "
            f"2024:279.22B --to 2030:1.57T); got {given}"
        )
    span = y1 - y0
    if rate is None:
        assert v0 is not None and v1 is not None
        rate = cagr(v0, v1, span)
        solved = "cagr"
    else:
        try:
            growth = (1 + rate) ** span
        except OverflowError:
            growth = math.inf
        if not 0 < growth < 1e12:
            raise ForecastError(
                f"--cagr: {100 * rate:g}% over {span} years multiplies the value by more than "
                f"a trillion; got {args.cagr!r}"
            )
        if v1 is None:
            assert v0 is not None
            v1 = v0 * growth
            solved = "to"
        else:
            v0 = v1 / growth
            solved = "from"
    assert v0 is not None and v1 is not None
    result = {
        "from_year": y0,
        "from_usd_bn": v0,
        "to_year": y1,
        "to_usd_bn": v1,
        "cagr": rate,
        "multiple": v1 / v0,
        "solved": solved,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{y0} {format_money(v0, digits=4)} -> {y1} {format_money(v1, digits=4)}: "
            f"CAGR {100 * rate:.2f}% over {span} years (x{v1 / v0:.2f})"
        )
    return 0


# ------------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------------


def _cmd_fit(args: argparse.Namespace) -> int:
    families = (
        list(FAMILIES)
        if args.model.strip() == "all"
        else [m.strip() for m in args.model.split(",") if m.strip()]
    )
    if not families:
        raise ForecastError(
            f"--model: must name at least one family ({', '.join(FAMILIES)}) or 'all'; got "
            f"{args.model!r}"
        )
    fixed: dict[str, float] = {}
    for item in args.fix:
        name, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError
            fixed[name.strip()] = float(raw)
        except ValueError:
            raise ForecastError(
                f"--fix: must be PARAM=NUMBER such as launch=0; got {item!r}"
            ) from None
    series = load_series(
        args.data,
        year_column=args.year_column,
        value_column=args.value_column,
        allow_nonpositive=args.error == "additive",
        max_rows=_max_rows(args),
        rows_hint=_rows_hint(),
    )
    fits: list[GrowthFit] = []
    failed: list[dict[str, str]] = []
    for fam in families:
        if fam not in FAMILIES:
            raise ForecastError(
                f"--model: must be one of {', '.join(FAMILIES)} or 'all'; got {fam!r}"
                f"{near_miss(fam, FAMILIES)}"
            )
        own_fixed = {k: v for k, v in fixed.items() if k in FAMILIES[fam].params}
        if len(families) == 1 and len(own_fixed) != len(fixed):
            unknown = sorted(set(fixed) - set(own_fixed))[0]
            raise ForecastError(
                f"--fix: must name a parameter of {fam} ({', '.join(FAMILIES[fam].params)}); "
                f"got {unknown!r}"
            )
        model = GrowthModel(family=fam, error=args.error, fixed=own_fixed)
        if len(families) == 1:
            fits.append(model.fit(series.years, series.values))
            continue
        try:  # comparing several families: one that cannot be fitted does not stop the others
            fits.append(model.fit(series.years, series.values))
        except ForecastError as exc:
            failed.append({"family": fam, "failure": str(exc)})
    out: list[dict[str, Any]] = [_fit_record(f, series.path, series.sha256) for f in fits]
    if args.json:
        payload: Any = out[0] if len(families) == 1 else [*out, *failed]
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0 if out else 2
    for rec in out:
        print(
            f"{rec['family']} ({rec['error']} errors) on {rec['points']} points "
            f"{rec['first_year']}-{rec['last_year']}: residual sd {g(rec['sigma'])}, "
            f"dof {rec['dof']}, AICc {g(rec['aicc'])}"
        )
        print(f"  {'param':<8} {'estimate':>14} {'std error':>12} {'95% CI':>30}")
        for name, p in rec["params"].items():
            se = "fixed" if p["fixed"] else g(p["se"])
            ci = "" if p["fixed"] else f"[{g(p['lo-95'])}, {g(p['hi-95'])}]"
            flag = ("  at bound" if p["at_bound"] else "") + (
                "  not identified" if not p["identified"] else ""
            )
            print(f"  {name:<8} {g(p['estimate']):>14} {se:>12} {ci:>30}{flag}")
        if rec["saturation"] is not None:
            print(f"  saturation {g(rec['saturation'])}")
        if rec["inflection_year"] is not None:
            print(f"  {rec['inflection_label']} {rec['inflection_year']:.2f}")
    for f in failed:
        print(f"{f['family']}: not fitted: {f['failure']}")
    if not out:
        raise ForecastError(
            f"fit: no family could be fitted to {series.path}; got {len(failed)} failures"
        )
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    import pandas as pd

    from .data import read_csv
    from .stats import STATS_MODELS, backtest
    from .stats.backtest import DEFAULT_MODELS

    raw = read_csv(args.data, what="data file", max_rows=_max_rows(args), rows_hint=_rows_hint())
    cols = set(raw.columns)
    if {"unique_id", "ds", "y"} <= cols:
        ds: Any = raw["ds"].str.strip()
        as_num = pd.to_numeric(ds, errors="coerce")
        if as_num.notna().all():
            ds = as_num
        else:
            try:
                ds = pd.to_datetime(ds, format="ISO8601")
            except (ValueError, TypeError):
                bad = ds[as_num.isna()].iloc[0]
                line = int(ds[as_num.isna()].index[0]) + 2
                raise ForecastError(
                    f"{args.data}: row {line}: ds must be a whole year or an ISO date such as "
                    f"2020-12-31; got {bad!r}"
                ) from None
        y_text = raw["y"].str.strip()
        y_num = pd.to_numeric(y_text, errors="coerce")
        bad_y = y_num.isna() & (y_text != "")
        if bad_y.any():
            line = int(y_text[bad_y].index[0]) + 2
            raise ForecastError(
                f"{args.data}: row {line}: y must be a number or empty (missing); got "
                f"{y_text[bad_y].iloc[0]!r}"
            )
        no_id = raw["unique_id"].str.strip() == ""
        if no_id.any():
            raise ForecastError(
                f"{args.data}: row {int(raw.index[no_id][0]) + 2}: unique_id must name the "
                f"series; got an empty cell ({int(no_id.sum())} row(s) in all)"
            )
        frame = pd.DataFrame({"unique_id": raw["unique_id"], "ds": ds, "y": y_num})
    elif {args.year_column, args.value_column} <= cols:
        series = load_series(
            args.data,
            year_column=args.year_column,
            value_column=args.value_column,
            allow_nonpositive=True,
            max_rows=_max_rows(args),
            rows_hint=_rows_hint(),
        )
        frame = pd.DataFrame(
            {"unique_id": Path(args.data).stem, "ds": series.years.astype(int), "y": series.values}
        )
    else:
        raise ForecastError(
            f"{args.data}: must have columns unique_id, ds and y (many series) or "
            f"{args.year_column} and {args.value_column} (one series); got {sorted(cols)}"
            f"{near_miss(args.value_column, cols) or ''}; --year-column and --value-column "
            "name other columns"
        )
    if args.models.strip() in ("default", "all"):
        models = list(DEFAULT_MODELS if args.models.strip() == "default" else STATS_MODELS)
    else:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        levels = [float(x) for x in args.level.split(",") if x.strip()]
    except ValueError:
        raise ForecastError(
            f"--level: must be numbers separated by commas such as 80,95; got {args.level!r}"
        ) from None
    h, h_note = _backtest_horizon(frame, args.h, args.windows)
    with cli_batch.cluster(args) as backend:
        res = backtest(
            frame,
            h=h,
            windows=args.windows,
            models=models,
            level=levels,
            n_jobs=args.n_jobs,
            backend=backend,
        )
    if args.json:
        payload = {
            "data": str(args.data),
            "h": h,
            "windows": args.windows,
            "metrics": [
                {k: (finite_or_none(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in res.metrics.to_dict(orient="records")
            ],
            "skipped": res.skipped.astype({"unique_id": str}).to_dict(orient="records"),
            "notes": res.notes(),
            "toolkit_version": __version__,
        }
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0
    n_series = res.forecasts["unique_id"].nunique()
    print(
        f"backtest of {args.data}: {n_series} series, h = {h}, {args.windows} window(s); "
        "lower is better except coverage (nominal in the column name)"
    )
    if h_note:
        print(f"note: {h_note}")
    print(res.table())
    for note in res.notes():
        print(f"note: {note}")
    if len(res.skipped):
        print(f"skipped {len(res.skipped)} series-window(s), e.g. {res.skipped.iloc[0]['reason']}")
    return 0


DEFAULT_BACKTEST_H = 6


def _backtest_horizon(frame: Any, asked: int | None, windows: int) -> tuple[int, str]:
    """The horizon to backtest: ``--h`` when given; else 6 years, or the longest the longest
    series allows with every window (said in a note)."""
    from .stats.backtest import MIN_TRAIN

    if asked is not None:
        return asked, ""
    spans = frame.dropna(subset=["y"]).groupby("unique_id")["ds"].nunique()
    longest = int(spans.max()) if len(spans) else 0
    fits = longest - MIN_TRAIN - (max(windows, 1) - 1)
    if fits >= DEFAULT_BACKTEST_H:
        return DEFAULT_BACKTEST_H, ""
    if fits >= 1:
        return fits, (
            f"h = {fits}: the longest series has {longest} years, which leaves {MIN_TRAIN} "
            f"training years in each of {windows} window(s) only up to h = {fits} (--h sets "
            "another horizon)"
        )
    return max(1, longest - MIN_TRAIN), ""


def _max_rows(args: argparse.Namespace) -> int:
    if args.max_rows < 1:
        raise ForecastError(f"--max-rows: must be a positive number of rows; got {args.max_rows}")
    return int(args.max_rows)


def _fit_record(fit: GrowthFit, path: Path, sha: str) -> dict[str, Any]:
    se, ci, hits, loose = fit.se, fit.conf_int(95), set(fit.at_bounds), set(fit.unidentified)
    return {
        "family": fit.model.family,
        "error": fit.model.error,
        "data": {"file": str(path), "sha256": sha},
        "points": len(fit.years),
        "first_year": int(fit.years[0]),
        "last_year": int(fit.years[-1]),
        "params": {
            n: {
                "estimate": v,
                "se": finite_or_none(se[n]),
                "lo-95": finite_or_none(ci[n][0]),
                "hi-95": finite_or_none(ci[n][1]),
                "fixed": not f,
                "at_bound": n in hits,
                "identified": n not in loose,
            }
            for (n, v), f in zip(fit.params.items(), fit.free, strict=True)
        },
        "sigma": finite_or_none(fit.sigma),
        "dof": fit.dof,
        "aicc": finite_or_none(fit.aicc),
        "saturation": fit.saturation,
        "inflection_year": fit.inflection_year,
        "inflection_label": fit.family.inflection_label,
        "toolkit_version": __version__,
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
