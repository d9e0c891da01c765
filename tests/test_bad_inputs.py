"""The catalogue of bad inputs in ``tests/bad_inputs/``, each run through the CLI.

One case per name: an input file ``<case>.<ext>`` and/or a command line ``<case>.args``, and the
expected stderr fragment ``<case>.expected``. Files starting with ``_`` are shared support files
(a clean history, the parent of a circular ``extends``), not cases.

Without ``.args`` the command depends on the input's extension: ``.toml`` runs
``run {input} --out {out} --no-report``, ``.csv`` runs ``fit {input}``, ``.txt`` runs
``claims {input}``. In ``.args``, ``{input}`` is the case's input file, ``{dir}`` the catalogue
folder and ``{out}`` a fresh output folder; arguments are split on whitespace.

Every case must exit with code 2, print exactly one line on stderr (``forecast: error: ...``,
containing the expected fragment), no traceback, and write no file: the output folder stays
absent and the catalogue folder is unchanged.

To add a case: drop the input (and ``.args`` if the default command does not fit) into the
folder, run ``pytest tests/test_bad_inputs.py`` once, check the message it prints is the one a
user should read, and save the part that matters as ``<case>.expected``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Result, assert_user_error, snapshot

CATALOGUE = Path(__file__).parent / "bad_inputs"
DEFAULT_ARGS = {
    ".toml": "run {input} --out {out} --no-report",
    ".csv": "fit {input}",
    ".txt": "claims {input}",
}
META = (".expected", ".args")


def _inputs(case: str) -> list[Path]:
    return [
        p
        for p in CATALOGUE.iterdir()
        if p.is_file() and p.name.startswith(case + ".") and p.suffix not in META and p.stem == case
    ]


def cases() -> list[str]:
    names = {
        p.stem
        for p in CATALOGUE.iterdir()
        if p.is_file() and not p.name.startswith("_") and p.suffix != ".expected"
    }
    return sorted(names)


def command(case: str, out: Path) -> list[str]:
    inputs = _inputs(case)
    assert len(inputs) <= 1, f"{case}: more than one input file: {inputs}"
    args_file = CATALOGUE / f"{case}.args"
    if args_file.exists():
        template = args_file.read_text(encoding="utf-8")
    else:
        assert inputs, f"{case}: needs an input file or {case}.args"
        template = DEFAULT_ARGS[inputs[0].suffix]
    fields = {"dir": str(CATALOGUE), "out": str(out), "input": str(inputs[0]) if inputs else ""}
    return [part.format(**fields) for part in template.split()]


def test_catalogue_is_complete() -> None:
    """Every case has its expected message, and the catalogue is not empty."""
    found = cases()
    assert len(found) >= 30, found
    missing = [c for c in found if not (CATALOGUE / f"{c}.expected").exists()]
    assert not missing, f"cases without a .expected file: {missing}"
    orphans = [p.name for p in CATALOGUE.glob("*.expected") if p.stem not in found]
    assert not orphans, f".expected files without a case: {orphans}"


@pytest.mark.parametrize("case", cases())
def test_bad_input(
    case: str, tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a command that ignores --out would write here: caught below
    out = tmp_path / "out"
    before = snapshot(CATALOGUE)
    res = run_cli(*command(case, out))
    expected_file = CATALOGUE / f"{case}.expected"
    expected = expected_file.read_text(encoding="utf-8").strip() if expected_file.exists() else ""
    assert_user_error(res, expected)
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
    assert snapshot(CATALOGUE) == before
