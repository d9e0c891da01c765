"""Charts: every chart type rendered from small results and checked for what is on it (titles,
axis labels, bands, anchors, legend entries, tables), plus byte-deterministic export, local
style and the anchor-year draws the distribution chart reads."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from conftest import DEFAULT_SCENARIO, ESTIMATES, SCENARIOS
from forecast._textfmt import money, pct
from forecast.errors import ForecastError
from forecast.models import GrowthModel
from forecast.plotting import (
    comparison_chart,
    distribution_chart,
    estimates_chart,
    fan_chart,
    figure_bytes,
    model_comparison_chart,
    segments_chart,
    shares_chart,
    spider_chart,
    tornado_chart,
)
from forecast.plotting.style import SLIDE, chart_style, money_formatter, titles
from forecast.projection import run_scenario
from forecast.results import ScenarioResult, StatsScenarioResult
from forecast.simulation import (
    ScenarioSensitivity,
    ScenarioSimulation,
    sensitivity_scenario,
    simulate_scenario,
)
from forecast.uncertainty.run import simulate

matplotlib.use("Agg")  # headless, whatever the environment says

UNCERTAIN = SCENARIOS / "global-ai-2030-uncertain.toml"


# ------------------------------------------------------------------------------------------------
# Fixtures: small results, computed once
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> ScenarioResult:
    res = run_scenario(DEFAULT_SCENARIO)
    assert isinstance(res, ScenarioResult)
    return res


@pytest.fixture(scope="module")
def trio(base: ScenarioResult) -> list[ScenarioResult | StatsScenarioResult]:
    return [
        run_scenario(SCENARIOS / "global-ai-2030-bear.toml"),
        base,
        run_scenario(SCENARIOS / "global-ai-2030-bull.toml"),
    ]


@pytest.fixture(scope="module")
def sectors() -> ScenarioResult | StatsScenarioResult:
    return run_scenario(SCENARIOS / "global-ai-2030-sectors.toml")


@pytest.fixture(scope="module")
def sim() -> ScenarioSimulation:
    return simulate_scenario(UNCERTAIN, draws=2000)


@pytest.fixture(scope="module")
def sens() -> ScenarioSensitivity:
    return sensitivity_scenario(UNCERTAIN, draws=500, sobol_samples=64)


@pytest.fixture(scope="module")
def stats_result(tmp_path_factory: pytest.TempPathFactory) -> StatsScenarioResult:
    path = tmp_path_factory.mktemp("stats") / "auto.toml"
    path.write_text(
        f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "global-ai-auto"\n'
        '[model]\nfamily = "auto"\n',
        "utf-8",
    )
    res = run_scenario(path)
    assert isinstance(res, StatsScenarioResult)
    return res


@pytest.fixture(scope="module")
def estimates() -> pd.DataFrame:
    return pd.read_csv(ESTIMATES)


# ------------------------------------------------------------------------------------------------
# Helpers reading what is on a chart
# ------------------------------------------------------------------------------------------------


def _draw(fig: Figure) -> None:
    fig.canvas.draw()


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def by_gid(fig: Figure, gid: str) -> list[object]:
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def bands(fig: Figure) -> list[object]:
    return [a for a in by_gid(fig, "band") if isinstance(a, PolyCollection)]


def texts(fig: Figure) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text)]


def unescaped(s: str) -> str:
    return s.replace("\\$", "$")


def svg_text(fig: Figure) -> str:
    """The SVG with text kept as text, to read what is really rendered."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# Package hygiene
# ------------------------------------------------------------------------------------------------


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, forecast.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_fan_chart_loads_no_scipy_submodule_it_does_not_use() -> None:
    """Drawing the fan chart (as a report's worker does) loads neither scipy.signal nor
    scipy.interpolate (0.4 s and 0.1 s to import): its smoothing and its monotone cubic are
    numpy (held to scipy's by the tests above)."""
    code = (
        "import sys; from forecast.projection import run_scenario; "
        "from forecast.plotting import fan_chart, figure_bytes; "
        f"figure_bytes(fan_chart(run_scenario({str(DEFAULT_SCENARIO)!r})), 'png'); "
        "print(sorted(m for m in ('scipy.signal', 'scipy.interpolate', 'scipy.stats') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_charts_leave_rcparams_and_pyplot_alone(base: ScenarioResult) -> None:
    before = dict(matplotlib.rcParams)
    fig = fan_chart(base)
    figure_bytes(fig, "png")
    after = dict(matplotlib.rcParams)
    assert before == after
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # created outside pyplot: nothing to close, nothing leaks
    assert tuple(fig.get_size_inches()) == pytest.approx(SLIDE)


def test_money_ticks_are_plain_text() -> None:
    fmt = money_formatter()
    assert [unescaped(fmt(v, 0)) for v in (0, 200, 1500, 1570, 0.5)] == [
        "$0",
        "$200B",
        "$1.5T",
        "$1.57T",
        "$500M",
    ]


def test_dollar_amounts_in_titles_are_not_mathtext() -> None:
    with chart_style():
        fig = Figure()
        ax = fig.add_subplot()
        titles(ax, "From $1.35T to $1.57T in 2030", "a $2T ceiling and a $3T one")
        ax.set_xlabel("x")
    svg = svg_text(fig)
    assert "From $1.35T to $1.57T in 2030" in svg
    assert "a $2T ceiling and a $3T one" in svg
    figure_bytes(fig, "png")  # mathtext would have been parsed (and mangled) here


def test_scenario_title_with_two_amounts_renders_literally(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "two-amounts"\n'
        'title = "Between $1.35T and $1.91T in 2030"\n',
        "utf-8",
    )
    fig = fan_chart(run_scenario(path))
    assert unescaped(fig.axes[0].get_title(loc="left")) == "Between $1.35T and $1.91T in 2030"
    svg = svg_text(fig)
    assert "Between $1.35T and $1.91T in 2030" in svg
    assert "$1.57T claim, 2030" in svg  # the anchor label, literally


# ------------------------------------------------------------------------------------------------
# Fan chart
# ------------------------------------------------------------------------------------------------


def test_fan_chart_from_a_growth_fit(base: ScenarioResult) -> None:
    fig = fan_chart(base)
    _draw(fig)
    (ax,) = fig.axes
    assert unescaped(ax.get_title(loc="left")) == base.scenario.title
    assert ax.get_ylabel() == "Market size (USD)"
    assert ax.get_xlabel() == "Year"
    assert len(bands(fig)) == len(base.scenario.levels) == 2
    assert len(by_gid(fig, "anchor-2030")) >= 1
    labels = [unescaped(t) for t in legend_texts(fig)]
    assert "80% prediction interval" in labels and "95% prediction interval" in labels
    assert "Reported (2020–2025)" in labels
    assert "Anchor: $1.57T claim, 2030" in labels
    assert "Fitted logistic curve" in labels and "Projection" in labels
    shown = [unescaped(t) for t in texts(fig)]
    assert "$1.57T claim, 2030" in shown  # the labelled marker
    assert "Horizon 2035" in shown
    point_2035 = base.value_at(2035)["mean"]
    assert money(point_2035) in shown  # the end value, formatted for people
    ticks = [unescaped(t.get_text()) for t in ax.get_yticklabels()]
    assert "$1T" in ticks and all(t.startswith("$") for t in ticks)
    assert any(t.startswith("History: Grand View Research") for t in shown)  # source line


def test_fan_chart_bands_from_a_simulation(sim: ScenarioSimulation) -> None:
    res = run_scenario(UNCERTAIN)
    fig = fan_chart(res, simulation=sim)
    labels = legend_texts(fig)
    # 5-95, 10-90, 25-75 of the default quantiles and 2.5-97.5 of the scenario's 95% level
    assert len(bands(fig)) == 4
    assert {"95% of draws", "90% of draws", "80% of draws", "50% of draws"} <= set(labels)
    assert "Monte Carlo median" in labels
    median_2035 = sim.quantiles.query("series == 'total' and year == 2035 and quantile == 0.5")
    assert money(float(median_2035["value"].iloc[0])) in [unescaped(t) for t in texts(fig)]


def test_fan_chart_of_a_statistical_model(stats_result: StatsScenarioResult) -> None:
    fig = fan_chart(stats_result)
    labels = legend_texts(fig)
    assert len(bands(fig)) == 2
    assert not any(t.startswith("Fitted") for t in labels)  # no growth curve to show
    sub = [t for t in texts(fig) if "Statistical model" in t]
    assert sub and "anchors are not used to calibrate" in " ".join(sub[0].split())
    assert by_gid(fig, "anchor-2030")


def test_fan_chart_draws_into_a_given_axes(base: ScenarioResult) -> None:
    outer = Figure(figsize=(8, 4))
    ax = outer.add_subplot(1, 2, 2)
    fig = fan_chart(base, ax=ax)
    assert fig is outer
    assert len(bands(outer)) == 2 and ax.get_ylabel() == "Market size (USD)"


# ------------------------------------------------------------------------------------------------
# Scenario comparison, segments, shares
# ------------------------------------------------------------------------------------------------


def _table_cells(fig: Figure) -> list[list[str]]:
    (table,) = by_gid(fig, "values-table")
    cells = table.get_celld()  # type: ignore[attr-defined]
    rows = 1 + max(r for r, _ in cells)
    cols = 1 + max(c for _, c in cells)
    return [
        [unescaped(cells[r, c].get_text().get_text()) for c in range(cols)] for r in range(rows)
    ]


def test_comparison_chart_lines_and_table(trio: list[ScenarioResult | StatsScenarioResult]) -> None:
    fig = comparison_chart(trio)
    labels = legend_texts(fig)
    names = [r.scenario.name for r in trio]
    for name in names:
        assert f"{name} (logistic)" in labels
    assert len(by_gid(fig, "scenario")) == 3
    cells = _table_cells(fig)
    assert cells[0][:3] == ["Scenario", "Projection", "80% interval"]
    assert cells[0][3].startswith("CAGR from 2025")
    assert [row[0] for row in cells[1:]] == names
    for row, res in zip(cells[1:], trio, strict=True):  # the common anchor year: 2030
        v = res.value_at(2030)
        assert row[1] == money(v["mean"])
        assert row[2] == f"{money(v['lo-80'])} – {money(v['hi-80'])}"
    assert any("Values in 2030" in unescaped(t) for t in texts(fig))
    assert fig.axes[0].get_ylabel() == "Market size (USD)"


def test_comparison_chart_year_and_single_scenario(base: ScenarioResult) -> None:
    fig = comparison_chart([base], year=2035)
    cells = _table_cells(fig)
    assert len(cells) == 2 and cells[1][1] == money(base.value_at(2035)["mean"])
    with pytest.raises(ForecastError, match="at least one scenario"):
        comparison_chart([])


def test_comparison_chart_mixes_statistical_and_curve_results(
    base: ScenarioResult, stats_result: StatsScenarioResult
) -> None:
    fig = comparison_chart([base, stats_result])
    assert len(_table_cells(fig)) == 3
    assert any(t.startswith("global-ai-auto (") for t in legend_texts(fig))


def test_segments_chart_stacks_to_the_total(sectors: ScenarioResult) -> None:
    fig = segments_chart(sectors)
    (ax,) = fig.axes
    names = [s.name for s in sectors.scenario.segments]
    assert len(by_gid(fig, "segment")) == len(names) == 5
    labels = [unescaped(t) for t in legend_texts(fig)]
    assert labels[0] == "Total"
    assert [lab.split(":")[0] for lab in labels[1:]] == names[::-1]  # top of the stack first
    (total,) = by_gid(fig, "total")
    assert total.get_ydata()[-1] == pytest.approx(sectors.value_at(2035)["mean"])  # type: ignore[attr-defined]
    assert "sector" in "".join(texts(fig)) and ax.get_ylabel() == "Market size (USD)"


def test_shares_chart(sectors: ScenarioResult) -> None:
    fig = shares_chart(sectors)
    (ax,) = fig.axes
    assert len(by_gid(fig, "share")) == 5
    assert ax.get_ylim() == (0, 1)
    assert ax.get_ylabel() == "Share of the total market"
    assert ax.get_title(loc="left") == "Share of each sector in the total, 2025–2035"
    assert "Finance: 13.7% → 10.5%" in legend_texts(fig)


def test_segment_charts_need_segments(base: ScenarioResult) -> None:
    with pytest.raises(ForecastError, match=r"\[\[segments\]\]"):
        segments_chart(base)
    with pytest.raises(ForecastError, match=r"\[\[segments\]\]"):
        shares_chart(base)


# ------------------------------------------------------------------------------------------------
# Sensitivity and distribution
# ------------------------------------------------------------------------------------------------


def test_tornado_chart(sens: ScenarioSensitivity) -> None:
    fig = tornado_chart(sens)
    (ax,) = fig.axes
    t = sens.tornado
    drawn = t[~t["contradictory"]]
    assert len(by_gid(fig, "tornado-bar")) == 2 * len(drawn)
    ticks = [unescaped(x.get_text()) for x in ax.get_yticklabels()]
    assert ticks[0].startswith("2030 value (anchor)")  # ticks top down: largest swing on top
    assert "Saturation level" in "".join(ticks)
    assert ax.get_xlabel() == "Market size in 2035 (USD)"
    assert {"Input at its 10th percentile", "Input at its 90th percentile"} == set(
        legend_texts(fig)
    )
    shown = [unescaped(x) for x in texts(fig)]
    assert f"All inputs at their medians: {money(t['output_at_medians'].iloc[0])}" in shown
    assert "no effect on the total" in shown  # the share inputs split the total only


def test_spider_chart(sens: ScenarioSensitivity) -> None:
    fig = spider_chart(sens)
    (ax,) = fig.axes
    assert len(by_gid(fig, "spider")) == sens.spider["input"].nunique() == 5
    labels = [unescaped(x) for x in legend_texts(fig)]
    assert any(x.startswith("Saturation level ($") for x in labels)
    assert any(x.endswith(": no effect") for x in labels)
    assert ax.get_xticklabels()[0].get_text() == "P5"
    assert ax.get_ylabel() == "Market size in 2035 (USD)"


def test_distribution_chart_prints_the_anchor_probability(sim: ScenarioSimulation) -> None:
    fig = distribution_chart(sim)
    (ax,) = fig.axes
    row = sim.anchors.iloc[0]
    (prob,) = by_gid(fig, "probability")
    expected = f"P(≥ $1.57T in 2030) = {pct(row['probability'])}"
    assert unescaped(prob.get_text()) == expected  # type: ignore[attr-defined]
    assert expected in svg_text(fig)
    assert by_gid(fig, "anchor-2030")
    assert ax.get_xlabel() == "Market size in 2030 (USD)" and ax.get_ylabel() == "Share of draws"
    assert unescaped(ax.get_title(loc="left")).endswith("against the $1.57T anchor")
    heights = sum(p.get_height() for p in by_gid(fig, "histogram"))  # type: ignore[attr-defined]
    assert heights == pytest.approx(1.0)
    labels = [unescaped(x) for x in legend_texts(fig)]
    assert labels == ["Draws below $1.57T", "Draws at or above $1.57T"]


def test_distribution_chart_of_the_metric_year(sim: ScenarioSimulation) -> None:
    fig = distribution_chart(sim, year=2035)
    (prob,) = by_gid(fig, "probability")
    assert unescaped(prob.get_text()).startswith("Median $")  # type: ignore[attr-defined]
    with pytest.raises(ForecastError, match=r"2030, 2035.*got 2031"):
        distribution_chart(sim, year=2031)


def test_distribution_chart_names_the_years_with_draws(sim: ScenarioSimulation) -> None:
    with pytest.raises(ForecastError) as err:
        distribution_chart(sim, year=np.int64(2031))  # type: ignore[arg-type]
    assert str(err.value) == (
        "distribution_chart: year must be one whose draws are kept (anchor years and the metric "
        "year: 2030, 2035); got 2031"
    )


def test_anchor_draws_match_the_anchor_probability(sim: ScenarioSimulation) -> None:
    r = sim.result
    assert set(r.anchor_draws) == {2030}
    draws = r.anchor_draws[2030]
    assert draws.dtype == np.float64 and draws.shape == (r.valid,)
    assert float(np.mean(draws >= 1570.0)) == r.anchors[0]["probability"]
    i = list(r.years).index(2030)
    assert np.median(draws) == pytest.approx(r.values[0, r.quantiles.index(0.5), i], rel=1e-6)


def test_anchor_draws_do_not_depend_on_the_chunk(sim: ScenarioSimulation) -> None:
    from dataclasses import replace

    sc = sim.scenario
    spec = replace(sim.spec, draws=700, block=256)
    years = sc.projection_years
    a = simulate(sim.fit, years, sc.assumptions, spec, chunk=100)  # type: ignore[arg-type]
    b = simulate(sim.fit, years, sc.assumptions, spec, chunk=65_536)  # type: ignore[arg-type]
    assert np.array_equal(a.anchor_draws[2030], b.anchor_draws[2030])


# ------------------------------------------------------------------------------------------------
# Published estimates and model comparison
# ------------------------------------------------------------------------------------------------


def test_estimates_chart_places_the_claim(estimates: pd.DataFrame, base: ScenarioResult) -> None:
    definition = "research_firm_market_size"
    fig = estimates_chart(estimates, definition=definition, result=base)
    (ax,) = fig.axes
    rows = estimates[estimates["definition"] == definition]
    points = sum(len(line.get_xdata()) for line in by_gid(fig, "estimate"))  # type: ignore[attr-defined]
    assert points == len(rows)
    (claim,) = by_gid(fig, "claim")
    assert (claim.get_xdata()[0], claim.get_ydata()[0]) == (2030, 1570.0)  # type: ignore[attr-defined]
    (rank,) = by_gid(fig, "claim-rank")
    in_2030 = rows.loc[rows["year"] == 2030, "value_usd_bn"]
    text = unescaped(rank.get_text())  # type: ignore[attr-defined]
    assert text.startswith(f"{len(in_2030)} published figures for 2030")
    assert f"{(in_2030 > 1570).sum()} above it, {(in_2030 < 1570).sum()} below" in text
    labels = [unescaped(x) for x in legend_texts(fig)]
    assert "Grand View Research (8)" in labels
    assert "Claim: $1.57T claim, 2030" in labels
    assert "Scenario: global-ai-2030" in labels
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "Market size (USD, log scale)"
    assert any(t.startswith("Source: published estimates") for t in texts(fig))


def test_estimates_chart_filters_and_explicit_claim(estimates: pd.DataFrame) -> None:
    fig = estimates_chart(
        estimates,
        definition="research_firm_market_size",
        region="Global",
        claim=(2030, 1345.2, "MarketsandMarkets $1.35T"),
    )
    (claim,) = by_gid(fig, "claim")
    assert claim.get_ydata()[0] == 1345.2  # type: ignore[attr-defined]
    assert "(Global)" in "".join(texts(fig))
    with pytest.raises(ForecastError, match="definition must be one in the estimates"):
        estimates_chart(estimates, definition="research_firm_marketsize")
    with pytest.raises(ForecastError, match="value_usd_bn"):
        estimates_chart(estimates.drop(columns=["value_usd_bn"]))


def test_estimates_chart_takes_a_minimal_frame() -> None:
    frame = pd.DataFrame(
        {
            "publisher": ["A", "A", "B"],
            "year": [2024, 2030, 2030],
            "value_usd_bn": [100, 900, 1.5e3],
        }
    )
    fig = estimates_chart(frame, source="a test frame")
    assert len(by_gid(fig, "estimate")) == 2
    assert not by_gid(fig, "claim")
    assert "Source: a test frame." in texts(fig)


def test_model_comparison_chart_ranks_by_aicc() -> None:
    years = np.arange(2010, 2024, dtype=float)
    rng = np.random.default_rng(1)
    values = 2000 / (1 + np.exp(-0.45 * (years - 2022))) * np.exp(rng.normal(0, 0.03, years.size))
    fits = [
        GrowthModel(family=f).fit(years, values) for f in ("exponential", "logistic", "gompertz")
    ]
    fig = model_comparison_chart(years, values, fits, horizon=2030)
    labels = legend_texts(fig)
    assert len(labels) == 4 and labels[-1] == "Reported"
    best = min(fits, key=lambda f: f.aicc)
    # without an out-of-sample comparison no family is called best (issue 12)
    assert labels[0] == f"{best.model.family}: AICc {best.aicc:.1f} (Δ 0.0)"
    assert all("Δ" in x for x in labels[1:3]) and not any("best" in x for x in labels)
    assert len(by_gid(fig, "fit")) == 3
    assert fig.axes[0].get_legend().get_title().get_text() == "Family"
    assert "3 families compared" in fig.axes[0].get_title(loc="left")


def test_model_comparison_chart_without_history_or_anchors_is_one_line() -> None:
    """Nothing to place the curves by (no history year, no anchor): a one-line error, not a
    bare ValueError from an empty min()."""
    years = np.arange(2015, 2024, dtype=float)
    fits = [GrowthModel(family="exponential").fit(years, 50 * 1.2 ** (years - 2015))]
    with pytest.raises(ForecastError, match="to place the curves; got no history") as exc:
        model_comparison_chart([], [], fits)
    assert "\n" not in str(exc.value)


def test_model_comparison_chart_names_best_only_when_separated() -> None:
    from forecast.models.select import compare_families

    years = np.arange(2010, 2024, dtype=float)
    rng = np.random.default_rng(1)
    values = 50 * 1.2 ** (years - 2010) * np.exp(rng.normal(0, 0.01, years.size))
    comp = compare_families(years, values, ["exponential", "linear"])
    assert comp.best == "exponential"
    fig = model_comparison_chart(years, values, list(comp.fits), comparison=comp)
    labels = legend_texts(fig)
    assert labels[0].startswith("exponential: error ") and labels[0].endswith(" (best)")
    assert "best" not in labels[1]
    assert any("best out of sample: exponential" in t for t in texts(fig))
    short = compare_families(years[-4:], values[-4:], ["exponential", "linear"])
    fig = model_comparison_chart(years[-4:], values[-4:], list(short.fits), comparison=short)
    assert not any(x.endswith("(best)") for x in legend_texts(fig))
    assert any("none is called best out of sample" in t for t in texts(fig))


def test_model_comparison_chart_with_too_few_points(base: ScenarioResult) -> None:
    h = base.scenario.history
    assert h is not None
    fits = [GrowthModel(family=f).fit(h.years, h.values) for f in ("logistic", "exponential")]
    fig = model_comparison_chart(h.years, h.values, fits)
    assert all(x.endswith("AICc n/a") for x in legend_texts(fig)[:2])
    assert any("too few points" in t for t in texts(fig))
    with pytest.raises(ForecastError, match="at least one fit"):
        model_comparison_chart(h.years, h.values, [])


# ------------------------------------------------------------------------------------------------
# Export
# ------------------------------------------------------------------------------------------------


def test_figure_bytes_are_deterministic(base: ScenarioResult) -> None:
    fig = fan_chart(base)
    png1, png2 = figure_bytes(fig, "png"), figure_bytes(fig, "png")
    svg1, svg2 = figure_bytes(fig, "svg"), figure_bytes(fig, "svg")
    assert png1 == png2 and svg1 == svg2
    again = fan_chart(base)  # a fresh figure from the same results: same bytes too
    assert figure_bytes(again, "png") == png1 and figure_bytes(again, "svg") == svg1
    assert png1.startswith(b"\x89PNG\r\n\x1a\n")
    assert svg1.lstrip().startswith(b"<?xml") and b"<dc:date>" not in svg1
    # 16:9 at 150 dpi: 2000 x 1125 pixels
    width, height = int.from_bytes(png1[16:20], "big"), int.from_bytes(png1[20:24], "big")
    assert (width, height) == (2000, 1125)
    with pytest.raises(ForecastError, match="'png' or 'svg'"):
        figure_bytes(fig, "pdf")  # type: ignore[arg-type]


def test_figure_files_lay_out_once_for_the_bytes_of_each_format_alone(
    base: ScenarioResult, sens: ScenarioSensitivity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's path (one layout, then PNG and SVG) gives each format's bytes as a figure
    laid out for that format alone does."""
    from forecast.plotting import export

    settled: list[object] = []
    settle = export._settle
    monkeypatch.setattr(export, "_settle", lambda fig: (settled.append(fig), settle(fig))[1])
    for draw in (lambda: fan_chart(base), lambda: tornado_chart(sens)):
        fig = draw()
        both = export.figure_files(fig)
        assert settled == [fig]  # one layout for both formats
        settled.clear()
        assert list(both) == ["png", "svg"]
        assert both["png"] == figure_bytes(draw(), "png")
        assert both["svg"] == figure_bytes(draw(), "svg")
        settled.clear()
    with pytest.raises(ForecastError, match="'png' or 'svg'"):
        export.figure_files(fan_chart(base), ("png", "pdf"))  # type: ignore[arg-type]


def test_every_chart_exports(
    trio: list[ScenarioResult | StatsScenarioResult],
    sectors: ScenarioResult,
    sim: ScenarioSimulation,
    sens: ScenarioSensitivity,
) -> None:
    figs = [
        comparison_chart(trio),
        segments_chart(sectors),
        shares_chart(sectors),
        distribution_chart(sim),
        tornado_chart(sens),
        spider_chart(sens),
    ]
    for fig in figs:
        svg = figure_bytes(fig, "svg")
        assert svg == figure_bytes(fig, "svg")
        assert len(figure_bytes(fig, "png")) > 10_000


@pytest.mark.parametrize("window", [3, 5, 7])
@pytest.mark.parametrize("order", [1, 2])
def test_band_smoothing_is_scipys_savitzky_golay(window: int, order: int) -> None:
    """The fan chart's own Savitzky-Golay (numpy, to spare the chart scipy.signal's import)
    against scipy.signal.savgol_filter(mode="interp") on random series of every length from
    the window up: equal to rounding (3e-16 of the series' scale was the worst seen)."""
    from scipy.signal import savgol_filter

    from forecast.plotting.projection import savgol

    rng = np.random.default_rng(window * 10 + order)
    for n in range(window, 40):
        y = rng.normal(size=n) * rng.uniform(0.01, 10) + rng.uniform(-5, 5)
        ref = savgol_filter(y, window, order, mode="interp")
        got = savgol(y, window, order)
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-13 * np.abs(y).max())
    line = 3.0 + 0.5 * np.arange(12.0)  # a polynomial of the fit's degree comes back unchanged
    np.testing.assert_allclose(savgol(line, window, order), line, rtol=1e-13)


@pytest.mark.parametrize("shape", ["walk", "rising", "ties", "falling", "spike"])
def test_band_interpolation_is_scipys_pchip_to_the_bit(shape: str) -> None:
    """The fan chart's monotone cubic (numpy, to spare the chart workers scipy.interpolate's
    import) is scipy.interpolate.PchipInterpolator to the bit, signed zeros included: every
    length from 2 points to 40, on whole years and on uneven steps, at the chart's fine grid
    and at random points."""
    from scipy.interpolate import PchipInterpolator

    from forecast.plotting.projection import pchip

    rng = np.random.default_rng(len(shape))
    for n in range(2, 41):
        for even in (True, False):
            x = 2020.0 + (np.arange(n) if even else np.cumsum(rng.uniform(0.1, 2.0, n)))
            y = {
                "walk": rng.normal(size=n),
                "rising": np.cumsum(rng.random(n)),
                "ties": np.round(rng.normal(size=n), 1),
                "falling": -np.cumsum(rng.random(n)) * 0.3,
                "spike": np.where(np.arange(n) == n // 2, 1.0, 0.0),
            }[shape]
            at = np.concatenate(
                [np.linspace(x[0], x[-1], (n - 1) * 8 + 1), rng.uniform(x[0], x[-1], 50)]
            )
            got, want = pchip(x, y, at), PchipInterpolator(x, y)(at)
            assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))


def test_a_chart_is_laid_out_and_rendered_on_one_renderer(
    base: ScenarioResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart's figure carries an Agg canvas, so its layout rounds and its PNG share one
    renderer and the text sizes it has measured; without one, each round built a new
    2000 x 1125 renderer and measured every text again (the PNG's bytes are the same)."""
    from matplotlib.backends import backend_agg

    from forecast.plotting.export import figure_files

    made: list[int] = []
    build = backend_agg.RendererAgg.__init__

    def counted(self: object, *args: object, **kwargs: object) -> None:
        made.append(1)
        build(self, *args, **kwargs)  # type: ignore[arg-type]

    fig = fan_chart(base)
    assert isinstance(fig.canvas, backend_agg.FigureCanvasAgg)
    monkeypatch.setattr(backend_agg.RendererAgg, "__init__", counted)
    out = figure_files(fig, ("png", "svg"))
    assert out["png"].startswith(b"\x89PNG") and b"<svg" in out["svg"]
    assert len(made) == 1
