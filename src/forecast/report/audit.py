"""A claim's audit as a report: its section (verdict, evidence, the published estimates
chart, the tables) and the files ``forecast audit --out`` writes. The audit itself is computed
in :mod:`forecast.audit`; the report reads it, never the reverse.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._textfmt import money, pct
from .._version import __version__
from ..audit.record import default_data_dir, load_estimates_frame
from ..audit.result import AuditResult, portable_path


def audit_chart(r: AuditResult) -> Any:
    """The published estimates of the claim's definition with the claim marked (a Figure
    block), or None when the plotting package cannot draw it."""
    from ..plotting import estimates_chart
    from .charts import figure

    est = load_estimates_frame(r.estimates_file or None)
    fig = estimates_chart(
        est,
        definition=r.market.definition,
        region=r.market.filters.get("region"),
        claim=(r.year, r.value_usd_bn, r.label),
    )
    return figure(
        "audit",
        fig,
        f"Published estimates of {r.definition_label} by publisher and edition, with the claim.",
        f"Published {r.definition_label} estimates and the {money(r.value_usd_bn)} claim",
    )


def audit_section(r: AuditResult, *, chart: bool = True) -> Any:
    """The audit as a report :class:`~forecast.report.document.Section`."""
    from .document import Facts, Paragraph, Table, section

    blocks: list[Any] = [
        Paragraph(f"Verdict: {r.verdict}.", kind="lead"),
        Facts(
            tuple(
                [("claim", f"{money(r.value_usd_bn)} in {r.year}, {r.market.name}")]
                + ([("source", r.source)] if r.source else [])
                + [("definition", f"{r.market.definition} ({r.definition_label})")]
                + [(f"evidence {i}", e) for i, e in enumerate(r.evidence, 1)]
            )
        ),
    ]
    if chart:
        blocks.append(audit_chart(r))
    table = r.table()
    blocks.append(
        Table.from_frame(
            table,
            caption=f"Published {r.year} figures; only rows marked comparable share the "
            "claim's definition. Notes are hypotheses, not facts.",
            formats={"value_usd_bn": money, "vs_claim_pct": lambda v: f"{v:+.1f}%"},
        )
    )
    if r.cagrs:
        blocks.append(
            Table.from_frame(
                pd.DataFrame(r.cagrs)[
                    [
                        "publisher",
                        "vintage",
                        "base_year",
                        "base_usd_bn",
                        "implied_cagr",
                        "stated_cagr",
                        "stated_start",
                        "stated_end",
                        "own_target",
                    ]
                ],
                caption=f"The CAGR the claim implies from recent published bases to {r.year}.",
                formats={
                    "base_usd_bn": money,
                    "implied_cagr": pct,
                    "stated_cagr": pct,
                    "own_target": money,
                },
            )
        )
    if r.probabilities:
        blocks.append(
            Table.from_frame(
                pd.DataFrame(r.probabilities)[
                    ["model", "probability_text", "median", "lo-80", "hi-80", "note", "method"]
                ],
                caption=f"Probability of reaching the claim by {r.year}, models fitted to the "
                "history alone.",
                formats={"median": money, "lo-80": money, "hi-80": money},
                header={"probability_text": "P(>= claim)"},
            )
        )
    blocks.append(
        Paragraph(
            "Near matches are hypotheses about where the figure could come from (a moved "
            "decimal point, a unit slip, a mis-typed nearby figure); none is established.",
            kind="note",
        )
    )
    return section(f"Audit of the {money(r.value_usd_bn)} {r.year} claim", blocks, id="audit")


def audit_files(r: AuditResult, *, chart: bool = True) -> dict[str, bytes]:
    """``audit.json``, ``audit.csv``, ``report.html``, ``report.md`` and the chart files."""
    from ..output import csv_bytes, json_bytes
    from .document import Document
    from .html import render_html
    from .markdown import render_markdown

    doc = Document(
        title=f"Claim audit: {money(r.value_usd_bn)} in {r.year} ({r.market.name})",
        sections=(audit_section(r, chart=chart),),
        subtitle=r.verdict,
        provenance={
            "estimates": portable_path(
                r.estimates_file or default_data_dir() / "ai_market_estimates.csv"
            ),
            "estimates_sha256": r.estimates_sha256,
            "history": r.history.get("file", ""),
            "history_sha256": r.history.get("sha256", ""),
            "toolkit_version": __version__,
        },
    )
    files = {
        "audit.json": json_bytes(r.summary()),
        "audit.csv": csv_bytes(r.table()),
        "report.html": render_html(doc),
    }
    files.update(render_markdown(doc))
    return files
