"""Shared fixtures and helpers for the scenario and CLI tests.

Scenario files are written into pytest's ``tmp_path`` from plain dicts with :func:`to_toml`, a
small hand-written TOML writer (``tomli_w`` is not a declared test dependency, so the suite does
not rely on it).  :func:`minimal_doc` returns a valid minimal scenario that a test mutates one key
at a time.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import shutil
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forecast import cli

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
DATA = REPO / "data"
GVR_HISTORY = DATA / "history" / "global_ai_gvr.csv"
ESTIMATES = DATA / "ai_market_estimates.csv"
DEFAULT_SCENARIO = SCENARIOS / "global-ai-2030.toml"

# A small clean history (year,value_usd_bn) used by the minimal scenario.
HISTORY_ROWS: tuple[tuple[int, float], ...] = (
    (2020, 62.35),
    (2022, 136.55),
    (2024, 279.22),
    (2025, 390.9),
)


# ------------------------------------------------------------------------------------------------
# TOML writing
# ------------------------------------------------------------------------------------------------


def _key(k: str) -> str:
    bare = k and all(c.isalnum() or c in "-_" for c in k) and k.isascii()
    return k if bare else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        assert math.isfinite(v), v
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, Sequence):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _is_table_array(v: Any) -> bool:
    return (
        isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)
    )  # [[name]] blocks


def to_toml(doc: Mapping[str, Any]) -> str:
    """Serialise a scenario-shaped dict: top-level tables become ``[table]`` blocks (their own
    nested tables stay inline), lists of tables become ``[[name]]`` blocks."""
    head: list[str] = []
    blocks: list[str] = []
    for k, v in doc.items():
        if isinstance(v, Mapping):
            lines = [f"[{_key(k)}]"] + [f"{_key(kk)} = {_value(vv)}" for kk, vv in v.items()]
            blocks.append("\n".join(lines))
        elif _is_table_array(v):
            for item in v:
                lines = [f"[[{_key(k)}]]"] + [
                    f"{_key(kk)} = {_value(vv)}" for kk, vv in item.items()
                ]
                blocks.append("\n".join(lines))
        else:
            head.append(f"{_key(k)} = {_value(v)}")
    text = "\n".join(head) + "\n\n" + "\n\n".join(blocks) + "\n"
    assert tomllib.loads(text) == json.loads(json.dumps(doc)), "to_toml round trip failed"
    return text


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Sequence[Any]], header: str = "year,value_usd_bn") -> Path:
    """Write a small CSV (a header line and one line per row)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(",".join(str(c) for c in r) + "\n" for r in rows)
    path.write_text(header + "\n" + body, encoding="utf-8")
    return path


def minimal_doc(history: str = "history.csv") -> dict[str, Any]:
    """A valid minimal scenario: logistic, 4 history points, one hard anchor in 2030."""
    return {
        "name": "mini",
        "description": "minimal test scenario",
        "history": {"file": history, "value_column": "value_usd_bn", "source": "test rows"},
        "anchors": [{"year": 2030, "value": "1.57 trillion USD", "source": "unsourced: test"}],
        "model": {"family": "logistic", "bounds": {"K": ["1.6 trillion USD", "40 trillion USD"]}},
        "projection": {"horizon": 2035, "levels": [80, 95], "draws": 200, "seed": 7},
    }


def monte_carlo_scenario(folder: Path) -> Path:
    """A scenario whose Monte Carlo exercises every statistic at little cost (issue 17): a drawn
    base (per-draw growth rates), a drawn saturation and segment share, every layer (noise with
    heavy tails), a hard anchor (its probability) and two crossing thresholds, 2025-2030."""
    write_csv(folder / "history.csv", HISTORY_ROWS)
    doc = minimal_doc()
    doc["name"] = "mc"
    doc["projection"]["horizon"] = 2030
    doc["segments"] = [
        {"name": "A", "share": 0.6, "source": "test"},
        {"name": "B", "share": 0.4, "source": "test"},
    ]
    doc["assumptions"] = {
        "base": "375 to 407 billion USD",
        "saturation": {
            "dist": "triangular",
            "min": "2.2 trillion USD",
            "mode": "3.1 trillion USD",
            "max": "9 trillion USD",
        },
        "share_A": {"dist": "uniform", "min": 0.5, "max": 0.7},
    }
    doc["simulation"] = {
        "draws": 20_000,
        "sampler": "lhs",
        "cross": ["1 trillion USD", "1.5 trillion USD"],
        "metric_year": 2029,
    }
    path = folder / "mc.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


@dataclass
class Workspace:
    """A tmp folder with a history CSV, helpers to write scenarios, and an --out folder."""

    root: Path

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def history(self) -> Path:
        return self.root / "history.csv"

    def doc(self) -> dict[str, Any]:
        return copy.deepcopy(minimal_doc())

    def write(self, doc: Mapping[str, Any] | str, name: str = "scenario.toml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc if isinstance(doc, str) else to_toml(doc), encoding="utf-8")
        return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path)
    write_csv(w.history, HISTORY_ROWS)
    return w


# ------------------------------------------------------------------------------------------------
# Running the CLI
# ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Call ``forecast.cli.main(argv)`` and return its exit code and captured output."""

    def _run(*argv: str | Path) -> Result:
        capsys.readouterr()  # drop anything captured before
        code = cli.main([str(a) for a in argv])
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return _run


def assert_user_error(res: Result, *fragments: str) -> str:
    """Exit 2, exactly one stderr line starting 'forecast: error: ', no traceback anywhere,
    and every fragment in the message. Returns the line."""
    assert res.code == 2, (res.code, res.err)
    assert "Traceback" not in res.err + res.out
    lines = res.err_lines
    assert len(lines) == 1, res.err
    line = lines[0]
    assert line.startswith("forecast: error: "), line
    for frag in fragments:
        assert frag in line, f"{frag!r} not in {line!r}"
    return line


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (empty when the folder does not exist)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def copy_scenarios(dest: Path) -> Path:
    """Copy scenarios/ and data/ into ``dest`` (keeping their relative layout); returns the
    copied scenarios folder."""
    shutil.copytree(SCENARIOS, dest / "scenarios")
    shutil.copytree(DATA, dest / "data")
    return dest / "scenarios"


def call_main(*argv: str | Path) -> Result:
    """Call ``forecast.cli.main`` outside a test function (e.g. in a module-scoped fixture)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return Result(code, out.getvalue(), err.getvalue())
