"""``forecast fit``: fit growth-curve families to a year,value CSV; parameters with standard
errors and confidence intervals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ForecastError, message, near_miss
from ..families import FAMILY_NAMES
from .options import json_option, max_rows, max_rows_option, rows_hint

if TYPE_CHECKING:
    from ..models import GrowthFit
    from ..models.curves import FloatArray
    from ..types import ErrorMode

MAX_FIT_ROWS = 10_000  # a yearly series: far beyond any market's history
PROJECT_YEARS = 5  # --to's default: years after the last history year
MAX_PROJECT_YEARS = 200
PROJECT_DRAWS = 2_000  # the projected value's interval: draws and seed, as forecast run's
PROJECT_SEED = 0


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``fit`` to ``sub``."""
    fit = sub.add_parser(
        "fit",
        parents=parents,
        help="fit growth curves to a year,value CSV",
        description="Fit one or more growth-curve families to a CSV with a year "
        "column and a value column; print parameters with standard errors.",
    )
    fit.add_argument("data", metavar="DATA.csv")
    fit.add_argument(
        "--model",
        default="logistic",
        metavar="FAMILY[,FAMILY...]",
        help=f"one or more of {', '.join(FAMILY_NAMES)}, or 'all' (default: logistic)",
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
    fit.add_argument(
        "--to",
        type=int,
        metavar="YEAR",
        help="print the projected value and 80%% interval in YEAR (default: 5 years after the "
        "last history year)",
    )
    fit.add_argument("--year-column", default="year")
    fit.add_argument("--value-column", default="value")
    json_option(fit)
    max_rows_option(fit, MAX_FIT_ROWS)
    fit.set_defaults(handler=fit_command)


def fit_command(args: argparse.Namespace) -> int:
    """Fit each family asked for; print or return its record."""
    from ..data import load_series

    families = _families(args.model)
    fixed = _fixed_params(args.fix)
    series = load_series(
        args.data,
        year_column=args.year_column,
        value_column=args.value_column,
        allow_nonpositive=args.error == "additive",
        max_rows=max_rows(args),
        rows_hint=rows_hint(),
    )
    fits, failed = _fit_families(families, fixed, args.error, series.years, series.values)
    to = _projection_year(args.to, int(series.years[-1]))
    out: list[dict[str, Any]] = [_fit_record(f, series.path, series.sha256, to) for f in fits]
    if args.json:
        payload: Any = out[0] if len(families) == 1 else [*out, *failed]
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0 if out else 2
    for rec in out:
        _print_record(rec)
    for f in failed:
        print(f"{f['family']}: not fitted: {f['failure']}")
    if not out:
        raise ForecastError(
            f"fit: no family could be fitted to {series.path}; got {len(failed)} failures"
        )
    return 0


def _families(model: str) -> list[str]:
    """The families ``--model`` names (``all``: every family), not yet checked."""
    from ..models import FAMILIES

    families = (
        list(FAMILIES)
        if model.strip() == "all"
        else [m.strip() for m in model.split(",") if m.strip()]
    )
    if not families:
        raise ForecastError(
            message(
                "--model", f"must name at least one family ({', '.join(FAMILIES)}) or 'all'", model
            )
        )
    return families


def _fixed_params(items: list[str]) -> dict[str, float]:
    """``--fix PARAM=VALUE`` items as a mapping of parameter to value."""
    fixed: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError
            fixed[name.strip()] = float(raw)
        except ValueError:
            raise ForecastError(
                message("--fix", "must be PARAM=NUMBER such as launch=0", item)
            ) from None
    return fixed


def _fit_families(
    families: list[str],
    fixed: dict[str, float],
    error: ErrorMode,
    years: FloatArray,
    values: FloatArray,
) -> tuple[list[GrowthFit], list[dict[str, str]]]:
    """Fit each family with its own fixed parameters; when several are compared, a family that
    cannot be fitted is listed as failed instead of stopping the others."""
    from ..models import FAMILIES, GrowthModel

    fits: list[GrowthFit] = []
    failed: list[dict[str, str]] = []
    for fam in families:
        if fam not in FAMILIES:
            raise ForecastError(
                message(
                    "--model",
                    f"must be one of {', '.join(FAMILIES)} or 'all'",
                    fam,
                    near_miss(fam, FAMILIES),
                )
            )
        own_fixed = {k: v for k, v in fixed.items() if k in FAMILIES[fam].params}
        if len(families) == 1 and len(own_fixed) != len(fixed):
            unknown = sorted(set(fixed) - set(own_fixed))[0]
            raise ForecastError(
                message(
                    "--fix",
                    f"must name a parameter of {fam} ({', '.join(FAMILIES[fam].params)})",
                    unknown,
                )
            )
        model = GrowthModel(family=fam, error=error, fixed=own_fixed)
        if len(families) == 1:
            fits.append(model.fit(years, values))
            continue
        try:  # comparing several families: one that cannot be fitted does not stop the others
            fits.append(model.fit(years, values))
        except ForecastError as exc:
            failed.append({"family": fam, "failure": str(exc)})
    return fits, failed


def _projection_year(to: int | None, last: int) -> int:
    """``--to``, by default 5 years after the last history year; within 200 years after it."""
    year = to if to is not None else last + PROJECT_YEARS
    if not last < year <= last + MAX_PROJECT_YEARS:
        raise ForecastError(
            message(
                "--to",
                f"must be a year after the last history year {last}, at most "
                f"{last + MAX_PROJECT_YEARS}",
                year,
            )
        )
    return year


def _print_record(rec: dict[str, Any]) -> None:
    """One family's fit as text: the fit line, the parameter table, the curve's landmarks and
    the projected value."""
    from .._textfmt import g

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
    at_ref = [n for n in rec["params"] if n in rec["values_at_reference_year"]]
    if at_ref:
        print(
            f"  {' and '.join(at_ref)}: the curve's value in {rec['reference_year']:g} (the "
            "reference year: the last history year)"
        )
    if rec["saturation"] is not None:
        print(f"  saturation {g(rec['saturation'])}")
    if rec["inflection_year"] is not None:
        print(f"  {rec['inflection_label']} {rec['inflection_year']:.2f}")
    pr = rec["projection"]
    band = (
        f", 80% interval {g(pr['lo-80'])} to {g(pr['hi-80'])} ({PROJECT_DRAWS:,} draws, "
        f"seed {PROJECT_SEED})"
        if pr["lo-80"] is not None
        else f" (no interval: {pr['note']})"
    )
    print(
        f"  projected  {pr['year']}: {g(pr['mean'])}{band}; the point path starts from the "
        "last actual value"
    )


def _projection(fit: GrowthFit, year: int) -> dict[str, Any]:
    """The point path (from the last actual value) and the 80% interval in ``year``, as
    ``forecast run`` computes them; the interval None (with the reason) when it cannot be
    drawn."""
    from ..models.simulate import point_path
    from ..types import finite_or_none

    mean = float(point_path(fit, [float(year)])[0])
    lo = hi = None
    note = ""
    try:
        frame = fit.forecast([year], level=(80,), draws=PROJECT_DRAWS, seed=PROJECT_SEED)
        lo, hi = finite_or_none(frame["lo-80"].iloc[0]), finite_or_none(frame["hi-80"].iloc[0])
        if lo is None:
            note = "the fit leaves no degrees of freedom for the noise"
    except ForecastError as exc:
        note = str(exc).split(": ", 1)[-1]
    return {"year": year, "mean": mean, "lo-80": lo, "hi-80": hi, "note": note}


def _fit_record(fit: GrowthFit, path: Path, sha: str, to: int) -> dict[str, Any]:
    from .._version import __version__
    from ..types import finite_or_none

    fam = fit.family
    at_ref = [
        n
        for n, unit in zip(fam.params, fam.units, strict=True)
        if unit == "money" and n != fam.saturation_param
    ]
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
        "reference_year": fit.t_ref,
        "values_at_reference_year": at_ref,
        "projection": _projection(fit, to),
        "toolkit_version": __version__,
    }
