"""The command line parses its arguments before it imports the numerical stack: ``--help``,
``--version`` and every command's ``--help`` load none of numpy, pandas, scipy, matplotlib or
statsmodels (issue 16's start-up budget; its timings are in benchmarks/cli_latency.py). Checked
in a fresh interpreter, since this test process has them all loaded already."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from forecast.cli import build_parser

HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "statsmodels", "pydantic", "jinja2", "dask")

_PROBE = """
import contextlib, io, json, sys
from forecast.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(json.loads(sys.argv[1]))
heavy = sorted(set(sys.modules) & set(json.loads(sys.argv[2])))  # a submodule loads its package
print(json.dumps({"code": code, "heavy": heavy, "chars": len(out.getvalue())}))
"""


def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def _probe(argv: list[str], watched: Sequence[str] = HEAVY) -> dict[str, object]:
    """Run ``forecast argv`` in a fresh interpreter: its exit code, which of the ``watched``
    modules (packages or submodules, by full name) it loaded, and how much it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(list(watched))],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_every_command_is_listed() -> None:
    assert _commands() == sorted(
        "run validate implied fit backtest simulate sensitivity report claims audit batch "
        "deck".split()
    )


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    got = _probe(argv)
    assert got["code"] == 0 and got["heavy"] == []
    assert int(str(got["chars"])) > 10  # something was printed


def test_every_command_help_imports_nothing_heavy() -> None:
    # one interpreter per command would take seconds; each --help runs main() again in one
    script = _PROBE.replace(
        "    code = main(json.loads(sys.argv[1]))",
        "    code = max(main([c, '--help']) for c in json.loads(sys.argv[1]))",
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(_commands()), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["code"] == 0 and got["heavy"] == []
    assert got["chars"] > 100 * len(_commands())


def test_validate_reads_the_schema_and_the_csv_only() -> None:
    """``validate`` on the default scenario: numpy and pydantic (the schema); the history is
    read without pandas, and no scipy, matplotlib, statsmodels or report stack is loaded."""
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "global-ai-2030.toml"
    got = _probe(["validate", str(scenario)])
    assert got["code"] == 0
    assert got["heavy"] == ["numpy", "pydantic"]


def test_z95_is_scipys_normal_quantile() -> None:
    """The constant written out (so that the schema imports no scipy) is scipy's to the bit."""
    from scipy import special

    from forecast.uncertainty.distributions import Z95

    assert Z95 == float(special.ndtri(0.95))


def test_the_version_is_written_once() -> None:
    """``forecast --version`` reads a constant; the installed metadata (from pyproject's
    dynamic version) says the same."""
    from importlib.metadata import version

    from forecast import __version__

    assert version("forecast") == __version__
    assert _probe(["--version"])["chars"] == len(f"forecast {__version__}\n")


def test_an_uncertain_scenario_is_read_and_simulated_without_scipy_stats(tmp_path: Path) -> None:
    """The uncertain scenario's quantiles (PERT, triangular, the empirical estimates), its Latin
    hypercube and its draws need scipy.special only: validate and a run without the report do
    not load scipy.stats (0.5 s to import); the report's Sobol indices (SALib) do."""
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "global-ai-2030-uncertain.toml"
    watched = ["scipy.stats", "scipy.stats.qmc", "matplotlib", "statsmodels"]
    checked = _probe(["validate", str(scenario)], watched)
    assert checked["code"] == 0 and checked["heavy"] == []
    ran = _probe(["run", str(scenario), "--no-report", "--out", str(tmp_path)], watched)
    assert ran["code"] == 0 and ran["heavy"] == []
    assert (tmp_path / "global-ai-2030-uncertain" / "projection.csv").is_file()


def test_a_run_loads_what_it_uses_only(tmp_path: Path) -> None:
    """``forecast run`` on the default scenario: the fit needs scipy.optimize and
    scipy.special, not scipy.stats (0.3 s to import); the fan chart's smoothing needs no
    scipy.signal (0.4 s); and where the charts are drawn in worker processes, this process does
    not load matplotlib at all (the report's versions come from the packages' metadata)."""
    from forecast.report.charts import WORKERS

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "global-ai-2030.toml"
    watched = ["scipy.optimize", "scipy.stats", "scipy.signal", "matplotlib", "statsmodels"]
    got = _probe(["run", str(scenario), "--out", str(tmp_path)], watched)
    assert got["code"] == 0
    assert (tmp_path / "global-ai-2030" / "report.html").is_file()
    expected = ["scipy.optimize"] if WORKERS > 1 else ["matplotlib", "scipy.optimize"]
    assert got["heavy"] == expected
