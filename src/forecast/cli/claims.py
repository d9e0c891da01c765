"""The ``claims`` and ``audit`` commands: quantitative projections found in a text, and a
claim checked against the published record and history-fitted models.

The error boundary is :func:`forecast.cli.main`'s.

Longer than 500 lines because ``claims`` writes a scenario stub (TOML written value by value,
never by string formatting) and ``audit`` converts currencies with cited rates; both are
command-line work the library does not need.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from .._textfmt import money, output_line, pct
from .._version import __version__
from ..errors import ForecastError, MoneyError, message
from ..money import parse_money
from ..units import USD_BILLION
from .options import json_option

if TYPE_CHECKING:
    from ..audit.result import AuditResult
    from ..conversion import Rates


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``claims`` and ``audit`` to ``sub``."""
    cl = sub.add_parser(
        "claims",
        parents=parents,
        help="find the quantitative projections in a text",
        description="Find the quantitative projections in a text file: value with currency and "
        "scale, year or period, CAGR and its span, the subject, and the exact character span.",
    )
    cl.add_argument("text", metavar="FILE.txt")
    json_option(cl, "print the claims as JSON")
    cl.add_argument("--to-scenario", metavar="FILE.toml", help="write a scenario stub")
    cl.add_argument(
        "--encoding", help="text encoding of FILE.txt (default UTF-8; e.g. latin-1, cp1252)"
    )
    cl.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="CUR=USD",
        help="USD per unit of a currency, e.g. EUR=1.08 (repeatable); without one, non-USD "
        "claims are kept but not converted",
    )
    cl.add_argument("--force", action="store_true", help="overwrite an existing --to-scenario")

    cl.set_defaults(handler=cmd_claims)

    au = sub.add_parser(
        "audit",
        parents=parents,
        help="check a claim against published forecasts and history-fitted models",
        description="Check a claim (from a claims/seed file, or --value/--year/--market) "
        "against published forecasts of the same definition, the CAGRs it implies, and the "
        "probability history-fitted models give it.",
    )
    au.add_argument("claim", nargs="?", metavar="CLAIMS_FILE")
    au.add_argument("--value", help="claimed value, e.g. 1.57T")
    au.add_argument("--year", type=int, help="claimed year")
    au.add_argument("--market", help='market, e.g. "global AI"')
    json_option(au, "print the audit as JSON")
    au.add_argument("--estimates", help="published estimates CSV (default: data/ of the checkout)")
    au.add_argument("--history", help="history CSV with year,value_usd_bn (default: GVR series)")
    au.add_argument("--out", help="write audit.json, audit.csv, report.html, report.md here")
    au.add_argument("--force", action="store_true", help="replace different results in --out")
    au.add_argument(
        "--convert",
        action="store_true",
        help="convert a claim in another currency (EUR, GBP, ...) to USD through the rates "
        "table at --rate-year (the conversion is stated in the audit)",
    )
    au.add_argument(
        "--rates",
        metavar="FILE.csv",
        help="rates table for --convert (default: data/rates/fed_g5a_annual.csv, Federal "
        "Reserve G.5A annual averages)",
    )
    au.add_argument(
        "--rate-year",
        type=int,
        metavar="YEAR",
        help="year of the average rate --convert uses (default: the latest the table has for "
        "the claim's currency)",
    )
    au.set_defaults(handler=cmd_audit)


# ------------------------------------------------------------------------------------------------
# claims
# ------------------------------------------------------------------------------------------------


def _rates(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        code, sep, raw = item.partition("=")
        try:
            value = float(raw)
            if not sep or not code.strip() or not value > 0:
                raise ValueError
        except ValueError:
            raise ForecastError(
                message("--rate", "must be CODE=USD_PER_UNIT such as EUR=1.08", item)
            ) from None
        out[code.strip().upper()] = value
    return out


def cmd_claims(args: argparse.Namespace) -> int:
    from ..audit.claims import extract, read_bytes, read_text

    text = read_text(args.text, encoding=args.encoding)
    claims = extract(text, rates=_rates(args.rate))
    raw = read_bytes(args.text, "the text file")
    payload = {
        "source": {
            "path": str(args.text),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "encoding": args.encoding or "utf-8",
        },
        "claims": [c.to_dict() for c in claims],
        "toolkit_version": __version__,
    }
    if args.to_scenario:
        target = Path(args.to_scenario)
        if target.exists() and not args.force:
            raise ForecastError(
                f"{target}: --to-scenario must not overwrite a file; got an existing file "
                "(use --force)"
            )
        stub = scenario_stub(claims, source=args.text, target=target)
        from ..output import write_file

        write_file(target, stub.encode("utf-8"), overwrite=args.force)
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(_claims_table(args.text, claims))
    if args.to_scenario and not args.json:
        print(f"  scenario    wrote {args.to_scenario}")
    return 0


def _claims_table(path: str, claims: list[Any]) -> str:
    if not claims:
        return f"{path}: no quantitative projection found"
    rows = [["#", "value", "USD", "year", "CAGR", "subject", "chars", "text"]]
    for i, c in enumerate(claims, 1):
        native = (
            "growth rate only"
            if getattr(c, "kind", "value") == "growth rate"
            else f"{c.currency} {c.number} {c.scale}"
        )
        year = str(c.year) if c.year else ("vague: " + c.year_text if c.vague else "none")
        rate = "n/a" if c.cagr is None else pct(c.cagr)
        if c.cagr_start:
            rate += f" {c.cagr_start}-{c.cagr_end}"
        rows.append(
            [str(i), native, money(c.value_usd_bn), year, rate, c.subject, f"{c.start}-{c.end}",
             repr(c.text)]
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"{path}: {len(claims)} quantitative projection(s)"]
    lines += ["  " + "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]  # fmt: skip
    for i, c in enumerate(claims, 1):
        if c.flags:
            lines.append(f"  #{i}: {'; '.join(c.flags)}")
    return "\n".join(lines)


def _toml(value: Any, *, multiline: bool = False) -> str:
    """``value`` as a TOML value. Strings, numbers and the items of lists and inline tables are
    written by tomli-w, which escapes every quote, backslash and control character (line
    breaks too, unless ``multiline``), so no text (a file name, a claim) can close the string,
    end the line or add a key."""
    if isinstance(value, dict):
        return "{ " + ", ".join(_assign(k, v) for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = tomli_w.dumps({"v": value}, multiline_strings=multiline)
    return text.removeprefix("v = ").removesuffix("\n")


def _assign(key: str, value: Any, *, multiline: bool = False) -> str:
    """``key = value`` (the key quoted by tomli-w when it is not a bare key)."""
    name = tomli_w.dumps({key: 0}).removesuffix(" = 0\n")
    return f"{name} = {_toml(value, multiline=multiline)}"


def _shown(text: str, limit: int = 200) -> str:
    """User text quoted inside a stub's value: control, format and other unprintable characters
    (a line break, a terminal escape, a right-to-left override, a lone surrogate from an
    undecodable file name) shown as escapes, and cut at ``limit`` characters."""
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _scenario_name(stem: str) -> str:
    """A scenario name from a file name: lower case, other characters as '-' (``name`` must be
    a slug); ``claims`` if nothing is left."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:80].rstrip("-._")
    return slug or "claims"


def _words(value_usd_bn: float, digits: int) -> str:
    """``1570`` -> ``"1.57 trillion USD"`` (the scenario files' money spelling)."""
    from ..money import format_money

    text = format_money(value_usd_bn, digits=digits).lstrip("$")
    for letter, word in (("T", "trillion"), ("B", "billion"), ("M", "million")):
        if text.endswith(letter):
            return f"{text[:-1]} {word} USD"
    return f"{text} USD"


def _market_name(subject: str) -> str | None:
    from ..audit.record import resolve_market

    try:
        return resolve_market(subject).name
    except ForecastError:
        return None


def scenario_stub(claims: list[Any], *, source: str, target: Path) -> str:
    """A scenario file calibrated to the extracted USD claims that have a year and share the
    first one's subject (one hard anchor for the first, soft anchors for the rest and for
    bases stated with them).

    Only when the subject resolves to the global AI market does the stub use the checkout's
    global history (``data/history/global_ai_gvr.csv``) and a logistic curve. Any other subject
    gets no history: an exponential curve on the anchors alone, with the claim's CAGR fixed
    when there is a single anchor year; with one anchor and no CAGR the file still validates
    but carries a TODO, since a curve cannot be fitted to one point.
    """
    from ..audit.record import default_data_dir
    from ..money import format_money

    usable = _usable_claims(claims)
    first = usable[0]
    market = _market_name(first.subject)
    same = [c for c in usable if c.subject == first.subject]
    skipped = [c for c in usable if c.subject != first.subject]
    global_total = market == "global AI"
    data = default_data_dir(
        hint="reinstall the toolkit (pip install .) from its checkout: the stub names that file"
    )
    rel = Path(os.path.relpath(data, target.resolve().parent)).as_posix()
    shown_source = _shown(str(source))
    title = f"{first.subject}: the claim of {format_money(first.value_usd_bn)} in {first.year}"
    lines = _stub_header(shown_source, target, skipped)
    description = (
        f"Calibrated to the claim(s) found in {shown_source}. The claims are written as anchors "
        "with their exact text; none is a published estimate unless its source says so.\n"
    )
    lines += [
        "",
        _assign("name", _scenario_name(target.stem)),
        _assign("title", _shown(title)),
        _assign("description", description, multiline=True),
        _assign("unit", "USD billion"),
        _assign("estimates", f"{rel}/ai_market_estimates.csv"),
    ]
    lines += _stub_history(rel, first.subject, market, global_total=global_total)
    anchor_lines, years = _stub_anchors(_claim_anchors(same, shown_source, global_total))
    lines += anchor_lines
    horizon = max(years) + 5
    lines += _stub_model(first, years, global_total=global_total)
    lines += [
        "",
        "[projection]",
        _assign("horizon", horizon),
        _assign("levels", [80, 95]),
        _assign("draws", 4000),
        _assign("seed", 20300157),
        _assign("report_years", sorted({c.year for c in same} | {horizon})),
        "",
    ]
    return "\n".join(lines)


def _usable_claims(claims: list[Any]) -> list[Any]:
    """The claims with a USD value and a year; an error when there is none."""
    usable = [c for c in claims if c.value_usd_bn is not None and c.year is not None]
    if not usable:
        raise ForecastError(
            f"--to-scenario: needs at least one USD claim with a year; got {len(claims)} "
            "claim(s), none usable (give --rate for other currencies)"
        )
    return usable


def _stub_header(shown_source: str, target: Path, skipped: list[Any]) -> list[str]:
    """The stub's opening comments: the command that made it and the claims it skipped."""
    lines = [  # comments are constant text; every value from the text or a file name is _toml()
        f"# Generated by: forecast claims {_toml(shown_source)} --to-scenario "
        f"{_toml(_shown(str(target)))}",
        "# A stub: read it, fix the subject's definition and bounds, then run it.",
    ]
    lines += [
        f"# Skipped (another subject): chars {c.start}-{c.end} {_toml(_shown(c.text))} "
        f"({_toml(_shown(c.subject))})"
        for c in skipped
    ]
    return lines


def _stub_history(rel: str, subject: str, market: str | None, *, global_total: bool) -> list[str]:
    """The global AI history for the global market; otherwise comments saying why there is none."""
    if global_total:
        return [
            "",
            "[history]",
            _assign("file", f"{rel}/history/global_ai_gvr.csv"),
            _assign("value_column", "value_usd_bn"),
            _assign(
                "source",
                "Grand View Research, Artificial Intelligence Market reports (2021, 2023, 2025 "
                "editions), as cited in data/ai_market_estimates.csv",
            ),
        ]
    return [
        "",
        "# No [history]: the only history in data/ is the global AI market's total, not "
        f"{_toml(_shown(subject))}",
        f"# (resolves to {_toml(market)})." if market else "# (no market the audit knows).",
        "# The curve is fitted to the anchors alone; add a [history] of this market if "
        "you have one.",
    ]


def _claim_anchors(
    same: list[Any], shown_source: str, global_total: bool
) -> list[tuple[int, float, str, str]]:
    """(year, USD bn, label, source) of each claim, and of the base stated with it (outside
    the global market, which has a history instead)."""
    from ..money import format_money

    anchors: list[tuple[int, float, str, str]] = []  # year, USD bn, label, source
    for c in same:
        quote = _shown(repr(c.text))
        where = f"{shown_source} chars {c.start}-{c.end}: {quote} (subject: {_shown(c.subject)})"
        anchors.append(
            (c.year, c.value_usd_bn, f"{format_money(c.value_usd_bn)} claim, {c.year}",
             f"unsourced: {where}")
        )  # fmt: skip
        if not global_total and c.base_native is not None and c.base_year is not None:
            usd = c.base_native * c.value_usd_bn / c.value_native
            anchors.append(
                (c.base_year, usd, f"{format_money(usd)} base stated with the claim, "
                 f"{c.base_year}", f"unsourced: {where}")
            )  # fmt: skip
    return anchors


def _stub_anchors(anchors: list[tuple[int, float, str, str]]) -> tuple[list[str], list[int]]:
    """One [[anchors]] table per year (the first hard, the rest soft within 10%), and the
    sorted anchor years."""
    lines: list[str] = []
    seen: set[int] = set()
    for i, (year, usd, label, src) in enumerate(anchors):
        if year in seen:
            continue
        seen.add(year)
        lines += [
            "",
            "[[anchors]]",
            _assign("year", year),
            _assign("value", _words(usd, 6)),
            _assign("kind", "hard" if i == 0 else "soft"),
        ]
        if i:
            lines.append(_assign("tolerance", "10%"))
        lines += [_assign("label", label), _assign("source", src)]
    return lines, sorted(seen)


def _stub_model(first: Any, years: list[int], *, global_total: bool) -> list[str]:
    """The [model] table: a bounded logistic for the global market, else an exponential with
    the claim's CAGR fixed (or a TODO) when there is one anchor year."""
    lines = ["", "[model]"]
    if global_total:
        return [
            *lines,
            _assign("family", "logistic"),
            _assign("error", "multiplicative"),
            _assign("bounds", {"K": [_words(first.value_usd_bn * 1.02, 3), "40 trillion USD"]}),
        ]
    lines += [_assign("family", "exponential"), _assign("error", "multiplicative")]
    if len(years) == 1 and first.cagr is not None:
        cagr = {"cagr": f"{100 * first.cagr:g}%"}
        lines.append(_assign("fixed", cagr) + "  # the claim's CAGR")
    elif len(years) == 1:
        lines.append(
            "# TODO: one anchor cannot fix a curve: add a base-year anchor or fix the "
            'growth rate, e.g. fixed = { cagr = "20%" }, before `forecast run`.'
        )
    return lines


# ------------------------------------------------------------------------------------------------
# audit
# ------------------------------------------------------------------------------------------------


class _Converter:
    """``audit --convert``: claims in another currency to USD through the rates table, each
    conversion said in the claim's source line."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.enabled = bool(args.convert)
        self.file = args.rates
        self.year = args.rate_year
        self._rates: Rates | None = None

    @property
    def rates(self) -> Rates:
        if self._rates is None:
            from ..conversion import RATES_FILE, load_rates, toolkit_data

            path = Path(self.file) if self.file else toolkit_data(RATES_FILE)
            name = str(path) if self.file else f"data/{RATES_FILE} (Federal Reserve G.5A)"
            self._rates = load_rates(path, name=name)
        return self._rates

    def to_usd(self, value_bn: float, currency: str, where: str) -> tuple[float, str]:
        """The amount in USD billion and the sentence saying how."""
        code = currency.upper()
        if code == "USD":
            return value_bn, ""
        year = self.year
        if year is None:
            have = self.rates.years(code)
            if not have:
                raise ForecastError(
                    f"{where}: --convert needs a {code} rate in {self.rates.source}; got none "
                    "(give a table with --rates)"
                )
            year = have[-1]
        try:
            rate = self.rates.rate(code, "USD", year, where)
        except ForecastError:
            have = self.rates.years(code)
            raise ForecastError(
                f"{where}: --rate-year: the rates table must hold a {code} rate for {year}; got "
                f"none in {self.rates.source} ({code} years: {', '.join(map(str, have)) or 'none'})"
            ) from None
        return value_bn * rate, f"converted at {self.rates.describe(code, 'USD', year)}"


def _claim_args(rec: Any, path: Path, i: int, convert: _Converter | None = None) -> dict[str, Any]:
    """The audit's arguments for one :class:`~forecast.audit.claims_file.ClaimRecord`."""
    where = f"{path}: claim {rec.id or i + 1}"
    usd = rec.value_usd_bn
    note = ""
    native = getattr(rec, "value_native", None)
    if usd is None and convert is not None and convert.enabled and isinstance(native, float | int):
        usd, note = convert.to_usd(float(native), rec.currency, where)
    if usd is None:
        raise ForecastError(
            f"{where}: must have a USD value; got a {rec.currency} amount the toolkit cannot "
            f"convert (pass --convert to convert it through the rates table, or re-extract "
            f"with --rate {rec.currency}=USD_PER_UNIT)"
        )
    number, scale = rec.number, rec.scale
    if not number and rec.value is not None:  # seed files: "1.57 trillion USD"
        parts = rec.value.split()
        number, scale = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
    text = rec.value_text or rec.text or ""
    return {
        "where": where,
        "value_usd_bn": usd,
        "year": rec.year,
        "subject": rec.subject,
        "label": f"{money(usd)} claim",
        "source": f"{path}: {text!r}"
        + (f" ({rec.id})" if rec.id else "")
        + (f"; {note}" if note else ""),
        "number": number,
        "scale": scale,
    }


def cmd_audit(args: argparse.Namespace) -> int:
    from ..audit.result import audit_text

    skipped: list[str] = []
    if args.claim:
        jobs, skipped = _file_jobs(args)
    elif args.value is not None:
        jobs = [_value_job(args)]
    else:
        raise ForecastError(
            "audit: needs a claims file or --value (with --year and --market); got neither"
        )
    results = [_audit_job(args, j) for j in jobs]
    lines = _write_audits(args, results) if args.out else []
    if args.json:
        payload: Any = [r.summary() for r in results]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, allow_nan=False))
        for line in skipped:  # stdout holds the JSON only
            print(line.strip(), file=sys.stderr)
        return 0
    print("\n\n".join(audit_text(r) for r in results))
    for line in [*skipped, *lines]:
        print(line)
    return 0


def _file_jobs(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """The audit's arguments for each claim of the claims file with a value, and a line for
    each growth-rate-only claim skipped."""
    from ..audit.claims_file import read_claims_file

    path = Path(args.claim)
    conv = _Converter(args)
    records = read_claims_file(path)
    rates_only = [i for i, r in enumerate(records) if _rate_only(r)]
    if len(rates_only) == len(records):
        raise ForecastError(
            f"{path}: must hold a claim with a value to audit; got "
            f"{len(records)} growth-rate-only claim(s) (a CAGR with no value stated)"
        )
    jobs = [_claim_args(r, path, i, conv) for i, r in enumerate(records) if not _rate_only(r)]
    skipped = [
        f"  skipped     {path}: claim {records[i].id or i + 1}: a growth rate only "
        "(no value stated), not audited"
        for i in rates_only
    ]
    for j in jobs:
        if args.year is not None:
            j["year"] = args.year
    return jobs, skipped


def _value_job(args: argparse.Namespace) -> dict[str, Any]:
    """The audit's arguments for ``--value`` (with ``--year`` and ``--market``)."""
    usd, note = _value_in_usd(args)
    number, scale = _number_scale(args.value)
    return {
        "value_usd_bn": usd,
        "year": args.year,
        "subject": args.market or "",
        "label": f"{money(usd)} claim",
        "source": f"--value {args.value}" + (f"; {note}" if note else ""),
        "number": number,
        "scale": scale,
    }


def _audit_job(args: argparse.Namespace, j: dict[str, Any]) -> AuditResult:
    """One claim audited in its market: ``--market``, else the claim's subject, else global AI."""
    from ..audit.record import resolve_market
    from ..audit.result import audit_claim

    if args.market:  # --market overrides the subject a claims file gives
        market = resolve_market(args.market)
    elif j.get("where") and j["subject"]:
        market = resolve_market(
            j["subject"], where=f"{j['where']}: subject", hint="; or pass --market NAME"
        )
    else:
        market = resolve_market("global AI")
    if j["year"] is None:
        raise ForecastError(
            f"claim: must state a year to be audited; got {j['source']} with no year "
            "(give one with --year)"
        )
    return audit_claim(
        j["value_usd_bn"],
        int(j["year"]),
        market,
        label=j["label"],
        source=j["source"],
        number=j["number"],
        scale=j["scale"],
        estimates=args.estimates,
        history=args.history,
    )


def _write_audits(args: argparse.Namespace, results: list[AuditResult]) -> list[str]:
    """Write each audit's files under ``--out``; the output line of each."""
    from ..output import publish
    from ..report.audit import audit_files

    lines = []
    for r in results:
        target = Path(args.out) / f"audit-{_slug(r)}"
        files = audit_files(r)
        outcome = publish(target, files, force=args.force)
        lines.append(output_line(outcome, target, sorted(files)))
    return lines


def _rate_only(rec: Any) -> bool:
    """Whether a claims-file record is a growth rate with no value (``kind = "growth rate"``
    from ``forecast claims --json``): nothing to audit against published values."""
    return getattr(rec, "kind", None) == "growth rate" and rec.value_usd_bn is None


def _value_in_usd(args: argparse.Namespace) -> tuple[float, str]:
    """``--value`` in USD billion, converted when ``--convert`` is given (and said how)."""
    if not args.convert:
        try:
            return parse_money(args.value, where="--value"), ""
        except MoneyError as exc:
            if "converts no currency" in str(exc):
                raise MoneyError(f"{exc} (or pass --convert to use the rates table)") from None
            raise
    conv = _Converter(args)
    notes: list[str] = []

    def convert(value: float, currency: str, where: str) -> float:
        usd, note = conv.to_usd(value, currency, where)
        notes.append(note)
        return usd

    usd = parse_money(args.value, where="--value", unit=USD_BILLION, convert=convert)
    return usd, "; ".join(notes)


def _number_scale(text: str) -> tuple[str, str]:
    # a number starts where no digit or ',' precedes it: one try per number, not per digit
    m = re.search(r"(?<![\d,])(\d[\d,]*(?:\.\d+)?)\s*([A-Za-z]+)", text)
    if not m:
        return "", ""
    word = m.group(2).lower()
    for full in ("trillion", "billion", "million", "thousand"):
        if (
            word == full
            or word.rstrip("s") == full
            or word
            in {
                "trillion": ("t", "tn", "trn"),
                "billion": ("b", "bn", "bln"),
                "million": ("m", "mn", "mm", "mln"),
                "thousand": ("k",),
            }[full]
        ):
            return m.group(1), full
    return m.group(1), ""


def _slug(r: Any) -> str:
    value = money(r.value_usd_bn).lstrip("$").lower()
    name = re.sub(r"[^a-z0-9]+", "-", r.market.name.lower()).strip("-")
    return f"{name}-{value}-{r.year}"
