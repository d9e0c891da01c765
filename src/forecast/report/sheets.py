"""The workbook's sheets an analyst works in: a summary of labelled rows with units, the
projection with a native chart of its point path and bands, an "implied growth" sheet of live
CAGR formulas over the projection's cells, and the comparison of several scenarios by label.

Every number comes from the results (:mod:`forecast.report.workbook` writes and formats it);
the formulas' cached values are what Excel computes from the same cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..audit.evidence import Evidence
from ..compare import common_levels
from ..results import ScenarioResult, StatsScenarioResult
from .workbook import (
    RATE_FORMAT,
    YEAR_FORMAT,
    Formula,
    LineChartSpec,
    Sheet,
    money_format,
)

Result = ScenarioResult | StatsScenarioResult
PROJECTION_NOTE = "USD billion; mean is the point forecast"
FIRST_ROW = 4  # the projection sheet: a note, a blank line, the header, then the years


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


#: one row of the summary sheet: what, value, unit, number format
SummaryRow = tuple[str, Any, str, str | None]


def summary_sheet(result: Result, ev: Evidence) -> Sheet:
    """Labelled rows (what, value, unit), each number formatted in its unit."""
    s = result.summary()
    sc = result.scenario
    unit = str(s.get("unit") or sc.unit)
    money = money_format(unit)
    rows: list[SummaryRow] = [
        ("Scenario", sc.name, "", None),
        ("Label", sc.display_name, "", None),
        ("Title", sc.title, "", None),
        ("Model", str(s["model"].get("family") or s["model"].get("model") or ""), "", None),
        ("Unit of money", unit, "", None),
    ]
    hist = s.get("history")
    if hist:
        rows += [
            (
                "History",
                f"{hist['points']} values {hist['first_year']}-{hist['last_year']}",
                "",
                None,
            ),
            ("Last actual year", int(hist["last_year"]), "year", YEAR_FORMAT),
            ("Last actual value", _num(hist["last_value_usd_bn"]), unit, money),
        ]
    rows += _anchor_rows(s.get("anchors", []), hist, unit, money)
    rows += _derived_rows(s.get("derived", {}), unit, money)
    rows += _report_year_rows(s.get("report_years", []), unit, money)
    for w in s.get("warnings", []):
        rows.append(("Warning", str(w), "", None))
    if ev.published and ev.published.get("n") and ev.anchor is not None:
        pub = ev.published
        rows += [
            (
                f"Published {ev.anchor.year} forecasts of the definition",
                int(pub["n"]),
                "figures",
                "0",
            ),
            (f"Published {ev.anchor.year} forecasts: median", _num(pub.get("median")), unit, money),
        ]
    frame = pd.DataFrame([r[:3] for r in rows], columns=["item", "value", "unit"])
    return Sheet("summary", frame, row_formats=[r[3] for r in rows])


def _anchor_rows(
    anchors: Sequence[Mapping[str, Any]], hist: Mapping[str, Any] | None, unit: str, money: str
) -> list[SummaryRow]:
    """Every anchor's value, the growth from the last actual value it implies and the
    probability of reaching it."""
    rows: list[SummaryRow] = []
    for a in anchors:
        what = f"Anchor {a['year']} ({a['kind']}): {a.get('label') or ''}".rstrip(": ")
        rows.append((what, _num(a["value_usd_bn"]), unit, money))
        rate = _num(a.get("implied_cagr_from_last_history"))
        if rate is not None and hist:
            rows.append(
                (
                    f"Implied growth {hist['last_year']}-{a['year']} (CAGR)",
                    rate,
                    "per year",
                    RATE_FORMAT,
                )
            )
        if _num(a.get("probability")) is not None:
            rows.append(
                (
                    f"Probability of reaching it ({a['year']})",
                    _num(a["probability"]),
                    "",
                    RATE_FORMAT,
                )
            )
    return rows


def _derived_rows(derived: Mapping[str, Any], unit: str, money: str) -> list[SummaryRow]:
    """The saturation level (with its band), the inflection year and the point path's growth
    rates."""
    rows: list[SummaryRow] = []
    if _num(derived.get("saturation_usd_bn")) is not None:
        rows.append(("Saturation level", _num(derived["saturation_usd_bn"]), unit, money))
        band = derived.get("saturation_80_usd_bn")
        if band:
            rows += [
                ("Saturation level, 80% of draws: low", _num(band[0]), unit, money),
                ("Saturation level, 80% of draws: high", _num(band[1]), unit, money),
            ]
    if _num(derived.get("inflection_year")) is not None:
        label = str(derived.get("inflection_label") or "inflection year")
        rows.append(
            (label[:1].upper() + label[1:], _num(derived["inflection_year"]), "year", "0.0")
        )
    for key, value in derived.items():
        if key.startswith("cagr_") and _num(value) is not None:
            _, y0, y1 = key.split("_")
            rows.append(
                (f"Growth {y0}-{y1} (CAGR, point path)", _num(value), "per year", RATE_FORMAT)
            )
    return rows


def _report_year_rows(
    report_years: Sequence[Mapping[str, Any]], unit: str, money: str
) -> list[SummaryRow]:
    """The projection in every report year: point path, median and interval edges."""
    rows: list[SummaryRow] = []
    for row in report_years:
        y = row["year"]
        rows.append((f"Projection {y}: point path", _num(row.get("mean")), unit, money))
        for k, v in row.items():
            if k == "median":
                rows.append((f"Projection {y}: median of the draws", _num(v), unit, money))
            elif k.startswith(("lo-", "hi-")):
                side = "low" if k.startswith("lo-") else "high"
                rows.append((f"Projection {y}: {k[3:]}% interval, {side}", _num(v), unit, money))
    return rows


def projection_sheet(projection: pd.DataFrame, unit: str) -> Sheet:
    """The projection by year with a native line chart of the point path, the median and each
    interval's edges (dashed)."""
    money = money_format(unit)
    values = [c for c in projection.columns if c not in ("scenario", "year")]
    edges = tuple(c for c in values if str(c).startswith(("lo-", "hi-")))
    centre = tuple(c for c in ("mean", "median") if c in values)
    chart = LineChartSpec(
        title="Projection: point path (mean), median and interval edges",
        x="year",
        series=centre + edges,
        anchor=f"{_letter(len(projection.columns) + 2)}3",
        y_title=unit,
        y_format=money,
        dashed=edges,
    )
    return Sheet(
        "projection",
        projection,
        note=PROJECTION_NOTE,
        formats={c: money for c in values} | {"year": YEAR_FORMAT},
        charts=(chart,),
    )


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(j))


def implied_growth_sheet(projection: pd.DataFrame, unit: str, sheet: str = "projection") -> Sheet:
    """CAGR from the projection's first year (the last actual value when paths start there) to
    every later year, as live formulas over ``sheet``'s cells (rows from :data:`FIRST_ROW`)."""
    cols = list(projection.columns)
    y_col = _letter(cols.index("year") + 1)
    series = [c for c in ("mean", "median") if c in cols]
    years = projection["year"].to_numpy()
    first = FIRST_ROW
    rows = []
    for k in range(1, len(projection)):
        r = FIRST_ROW + k
        span = float(years[k] - years[0])
        rec: dict[str, Any] = {
            "from year": Formula(f"={sheet}!{y_col}{first}", float(years[0])),
            "to year": Formula(f"={sheet}!{y_col}{r}", float(years[k])),
        }
        for name in series:
            c = _letter(cols.index(name) + 1)
            v0, v1 = float(projection[name].iloc[0]), float(projection[name].iloc[k])
            rec[f"from value ({name})"] = Formula(f"={sheet}!{c}{first}", v0)
            rec[f"to value ({name})"] = Formula(f"={sheet}!{c}{r}", v1)
            rate = (v1 / v0) ** (1 / span) - 1 if v0 > 0 and v1 > 0 and span > 0 else math.nan
            rec[f"CAGR ({name})"] = Formula(
                f"=({sheet}!{c}{r}/{sheet}!{c}{first})^(1/({sheet}!{y_col}{r}-{sheet}!{y_col}{first}))-1",
                rate,
            )
        rows.append(rec)
    frame = pd.DataFrame(rows)
    formats = {c: (RATE_FORMAT if c.startswith("CAGR") else YEAR_FORMAT) for c in frame.columns}
    formats |= {c: money_format(unit) for c in frame.columns if "value" in c}
    return Sheet(
        "implied growth",
        frame,
        note=(
            "Compound annual growth from the first projection year to each year: live formulas "
            f"over the {sheet} sheet (edit a value there and the rates follow)"
        ),
        formats=formats,
    )


def comparison_paths_sheet(results: Sequence[Result], unit: str) -> Sheet:
    """One column per scenario (by label) of its point path, and each one's narrowest shared
    interval, by year; a native line chart of the point paths."""
    shared = common_levels(results)
    level = shared[0] if shared else None
    frames = []
    for r in results:
        p = r.projection.set_index("year")
        name = r.scenario.display_name
        cols = {"mean": name}
        if level is not None:
            cols |= {
                f"lo-{level:g}": f"{name} lo-{level:g}",
                f"hi-{level:g}": f"{name} hi-{level:g}",
            }
        frames.append(p[list(cols)].rename(columns=cols))
    wide = pd.concat(frames, axis=1).sort_index().reset_index()
    wide["year"] = wide["year"].astype(int)
    money = money_format(unit)
    names = tuple(r.scenario.display_name for r in results)
    chart = LineChartSpec(
        title="Scenarios compared: point paths",
        x="year",
        series=names,
        anchor=f"{_letter(len(wide.columns) + 2)}3",
        y_title=unit,
        y_format=money,
    )
    return Sheet(
        "paths",
        wide,
        note=f"{unit}; each scenario's point path"
        + (f" and its {level:g}% interval" if level is not None else ""),
        formats={c: money for c in wide.columns if c != "year"} | {"year": YEAR_FORMAT},
        charts=(chart,),
    )
