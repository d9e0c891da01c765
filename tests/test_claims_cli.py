"""`forecast claims` and `forecast audit` through the command line: output, the scenario stub,
currency rates, and bad input as one line on stderr with exit code 2."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecast import markets
from forecast.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXT = next((ROOT.parent / "shared" / "seeds").glob("*.txt"), None)


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("forecast: error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, err


@pytest.fixture()
def article(tmp_path: Path) -> Path:
    p = tmp_path / "article.txt"
    p.write_text(
        "Analysts expect the global AI market to grow from $196.6 billion in 2023 to "
        "$1.81 trillion by 2030, a CAGR of 37.3% from 2023 to 2030. The company employs "
        "1,200 people. The European cloud market could reach €200bn by 2027.",
        encoding="utf-8",
    )
    return p


def test_claims_table_and_json(article: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "claims", article)
    assert code == 0 and err == ""
    assert "2 quantitative projection(s)" in out and "$1.81T" in out and "2030" in out
    code, out, _ = _run(capsys, "claims", article, "--json")
    data = json.loads(out)
    claims = data["claims"]
    assert [c["year"] for c in claims] == [2030, 2027]
    usd, eur = claims
    assert usd["value_usd_bn"] == pytest.approx(1810.0)
    assert usd["cagr"] == pytest.approx(0.373)
    assert eur["currency"] == "EUR" and eur["value_usd_bn"] is None  # never EUR as USD
    text = article.read_text(encoding="utf-8")
    assert text[usd["start"] : usd["end"]] == usd["text"]


def test_claims_rate_converts_other_currencies(
    article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "claims", article, "--json", "--rate", "EUR=1.08")
    assert code == 0
    eur = json.loads(out)["claims"][1]
    assert eur["value_usd_bn"] == pytest.approx(216.0)
    code, _, err = _run(capsys, "claims", article, "--rate", "EUR=abc")
    _one_line_error(code, err, "--rate")


def test_claims_to_scenario_writes_a_valid_stub(
    article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = tmp_path / "stub.toml"
    code, out, _ = _run(capsys, "claims", article, "--to-scenario", stub)
    assert "wrote" in out
    assert code == 0 and stub.exists()
    assert "1.81" in stub.read_text(encoding="utf-8")
    before = stub.read_bytes()
    code, _, err = _run(capsys, "claims", article, "--to-scenario", stub)
    _one_line_error(code, err, "--force")
    assert stub.read_bytes() == before  # nothing already on disk is lost


@pytest.mark.skipif(SEED_TEXT is None, reason="the seed article is not beside the checkout")
def test_seed_article_yields_exactly_the_claim(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "claims", SEED_TEXT, "--json")
    assert code == 0
    (claim,) = json.loads(out)["claims"]
    assert claim["text"] == "$1.57 trillion by 2030"
    assert claim["value_usd_bn"] == pytest.approx(1570.0) and claim["year"] == 2030


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"", ("must hold some text", "empty")),
        (b"\x00\x01\x02binary\x00", ("binary",)),
        (
            "Le marché européen atteindra 1,5 milliard en 2030".encode("latin-1"),
            ("UTF-8", "--encoding"),
        ),
    ],
    ids=["empty", "binary", "latin-1"],
)
def test_claims_bad_files(
    tmp_path: Path, content: bytes, fragments: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "in.txt"
    p.write_bytes(content)
    code, _, err = _run(capsys, "claims", p)
    _one_line_error(code, err, str(p), *fragments)


def test_claims_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "claims", tmp_path / "nope.txt")
    _one_line_error(code, err, "nope.txt")


def test_audit_seed_claims_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = ROOT / "seeds" / "global-ai-1.57t-2030.claims.json"
    code, out, err = _run(capsys, "audit", seed, "--out", tmp_path)
    assert code == 0, err
    assert "plausible but unsourced" in out
    folder = next(tmp_path.iterdir())
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"audit.json", "audit.csv", "report.html", "report.md"} <= names
    summary = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
    assert summary["verdict"].startswith("plausible but unsourced")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "plausible but unsourced" in html and "<script>alert" not in html


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--value", "1.57T", "--market", "global AI"], ("year",)),
        (["--value", "€200bn", "--year", "2027", "--market", "global AI"], ("USD",)),
        (["--value", "1.57T", "--year", "2030", "--market", "mars AI"], ("global AI", "mars AI")),
        (["--value", "1.57", "--year", "2030", "--market", "global AI"], ("--value",)),
    ],
    ids=["no-year", "euro", "unknown-market", "no-unit"],
)
def test_audit_bad_claims(
    argv: list[str], fragments: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "audit", *argv)
    _one_line_error(code, err, *fragments)


@pytest.mark.parametrize(
    ("sentence", "market"),
    [
        ("The AI in healthcare market is expected to reach US$ 187.95 billion by 2030.",
         "AI in healthcare"),
        ("China's AI market is expected to reach $100 billion by 2030.", "China AI"),
        ("The U.S. AI market is projected to reach $594 billion by 2032.", "US AI"),
    ],
    ids=["healthcare", "china", "us"],
)  # fmt: skip
def test_audit_accepts_the_subjects_claims_produces(
    tmp_path: Path, sentence: str, market: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "in.txt"
    text.write_text(sentence, encoding="utf-8")
    code, out, err = _run(capsys, "claims", text, "--json")
    assert code == 0, err
    claims = tmp_path / "in.json"
    claims.write_text(out, encoding="utf-8")
    code, out, err = _run(capsys, "audit", claims)
    assert code == 0, err
    assert out.splitlines()[0].split(", ", 1)[1].startswith(f"{market} (")


def test_audit_market_flag_overrides_a_claims_file_and_errors_name_the_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "c.json"
    claims.write_text(
        json.dumps({"claims": [{"value_usd_bn": 900.0, "year": 2030, "subject": "quantum market"}]})
    )
    code, _, err = _run(capsys, "audit", claims)
    _one_line_error(code, err, f"{claims}: claim 1: subject", "'quantum market'", "--market")
    assert "--market: must" not in err  # the user never passed --market
    code, out, err = _run(capsys, "audit", claims, "--market", "global AI")
    assert code == 0, err
    assert out.startswith("audit: $900B in 2030, global AI (")


@pytest.mark.parametrize(
    ("sentence", "runs", "expect"),
    [
        ("The AI in healthcare market is expected to reach US$ 187.95 billion by 2030.",
         False, "# TODO: one anchor cannot fix a curve"),
        ("The AI in healthcare market is expected to reach US$ 187.95 billion by 2030 from "
         "US$ 20.65 billion in 2023.", True, "year = 2023"),
        ("The AI in healthcare market is expected to reach US$ 187.95 billion by 2030, a CAGR "
         "of 37.5%.", True, 'fixed = { cagr = "37.5%" }'),
    ],
    ids=["one-anchor", "with-base", "with-cagr"],
)  # fmt: skip
def test_to_scenario_for_another_market_has_no_global_history(
    tmp_path: Path, sentence: str, runs: bool, expect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "hc.txt"
    text.write_text(sentence, encoding="utf-8")
    stub = tmp_path / "hc.toml"
    code, _, err = _run(capsys, "claims", text, "--to-scenario", stub)
    assert code == 0, err
    body = stub.read_text(encoding="utf-8")
    assert "\n[history]" not in body and "global_ai_gvr" not in body
    assert 'family = "exponential"' in body and expect in body
    code, _, err = _run(capsys, "validate", stub)
    assert code == 0, err
    if runs:
        code, _, err = _run(capsys, "run", stub, "--out", tmp_path / "out", "--no-report")
        assert code == 0, err


def test_to_scenario_for_the_global_market_runs_on_the_global_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "g.txt"
    text.write_text(
        "The global AI market could reach $1.57 trillion by 2030. It could reach $2.5 trillion "
        "by 2032. The edge AI market will hit $66 billion by 2030.",
        encoding="utf-8",
    )
    stub = tmp_path / "g.toml"
    code, _, err = _run(capsys, "claims", text, "--to-scenario", stub)
    assert code == 0, err
    body = stub.read_text(encoding="utf-8")
    assert "global_ai_gvr.csv" in body and 'family = "logistic"' in body
    assert 'tolerance = "10%"' in body  # was 0.1, which `forecast validate` refuses
    assert "# Skipped (another subject)" in body and "edge AI market" in body
    assert body.count("[[anchors]]") == 2
    code, _, err = _run(capsys, "validate", stub)
    assert code == 0, err
    code, _, err = _run(capsys, "run", stub, "--out", tmp_path / "out", "--no-report")
    assert code == 0, err


# --- hostile file names and files (issue 14) ----------------------------------------------------

STUB_KEYS = {"name", "title", "description", "unit", "estimates", "history", "anchors", "model",
             "projection"}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('a\nextends = "evil.toml"\n#.txt', 'a\\nextends = "evil.toml"\\n#.txt'),
        ("quotes \"\"\" and ''' .txt", "quotes \"\"\" and ''' .txt"),
        ("back\\slash [model] = 1.txt", "back\\slash [model] = 1.txt"),
        ("bidi \u202egnp.txt \u001b[2J", "bidi \\u202egnp.txt \\x1b[2J"),
    ],
    ids=["newline-and-key", "triple-quotes", "backslash-and-table", "controls"],
)
def test_to_scenario_writes_a_file_name_as_a_value_never_as_toml(
    tmp_path: Path, name: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / name
    text.write_text("The global AI market could reach $1.57 trillion by 2030.", encoding="utf-8")
    stub = tmp_path / "stub.toml"
    code, _, err = _run(capsys, "claims", text, "--to-scenario", stub)
    assert code == 0, err
    body = stub.read_text(encoding="utf-8")
    doc = tomllib.loads(body)  # valid TOML, whatever the name holds
    assert set(doc) == STUB_KEYS  # no key from the name ("extends", "model" twice, ...)
    assert doc["history"]["file"].endswith("history/global_ai_gvr.csv")
    assert f"found in {tmp_path}/{shown}." in doc["description"]
    assert doc["anchors"][0]["source"].startswith(f"unsourced: {tmp_path}/{shown} chars ")
    assert len(doc["anchors"]) == 1 and doc["anchors"][0]["year"] == 2030
    assert not [line for line in body.splitlines() if line.startswith("extends")]
    assert not any(ch in body for ch in "\x1b\u202e\r")  # shown as escapes, never raw
    code, _, err = _run(capsys, "validate", stub)
    assert code == 0, err


def test_to_scenario_names_the_scenario_with_a_slug_of_the_target(
    article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = tmp_path / 'My "Stub"\n2030.toml'
    code, _, err = _run(capsys, "claims", article, "--to-scenario", stub)
    assert code == 0, err
    doc = tomllib.loads(stub.read_text(encoding="utf-8"))
    assert doc["name"] == "my-stub-2030"
    code, _, err = _run(capsys, "validate", stub)
    assert code == 0, err


def test_to_scenario_outside_the_checkout_names_the_fix_claims_has(
    article: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(markets, "toolkit_home", lambda: None)  # neither checkout nor package
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "claims", article, "--to-scenario", tmp_path / "stub.toml")
    _one_line_error(code, err, "ai_market_estimates.csv", "reinstall the toolkit")
    assert "--estimates" not in err  # an option claims does not have
    assert not (tmp_path / "stub.toml").exists()


@contextlib.contextmanager
def _fails_after(seconds: float) -> Iterator[None]:
    """A read that blocks (a FIFO with no writer) fails the test instead of hanging it."""

    def stop(signum: int, frame: object) -> None:
        raise AssertionError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", ["audit", "claims"])
def test_a_fifo_is_named_and_never_waited_on(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "in.json"
    os.mkfifo(fifo)
    with _fails_after(10):
        code, _, err = _run(capsys, command, fifo)
    _one_line_error(code, err, str(fifo), "must be a regular file; got a FIFO (named pipe)")


@pytest.mark.parametrize(
    ("encoding", "fragment"),
    [
        ("idna", "--encoding: must name an encoding of text files"),
        ("undefined", "--encoding: must name an encoding of text files"),
        ("rot13", "--encoding: must name a known text encoding; got 'rot13'"),
        ("base64", "--encoding: must name a known text encoding; got 'base64'"),
        ("utf-7", "must be UTF-7 text; got an undecodable byte 0x80 at offset 0"),
    ],
)
def test_claims_refuses_codecs_that_do_not_decode_text_files(
    tmp_path: Path, encoding: str, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "in.txt"
    text.write_bytes(b"\x80 The AI market could reach $2 trillion by 2031.")
    code, _, err = _run(capsys, "claims", text, "--encoding", encoding)
    _one_line_error(code, err, fragment)
