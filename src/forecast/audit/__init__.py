"""Checking a claimed market figure: the claims found in a text, the published record of the
market, and the verdict.

* :mod:`.scan` and :mod:`.claims`: quantitative projections found in a text (value, currency,
  scale, year, CAGR, subject), linear-time; :mod:`.claims_file` reads a saved claims file;
* :mod:`.record`: the markets the toolkit knows, their definitions and published estimates;
* :mod:`.verdict`: the computations (a claim's place among the published figures, the CAGRs it
  implies, its probability under models fitted to the history alone);
* :mod:`.result`: one claim's audit as an object, its verdict in plain words, its table and
  console text;
* :mod:`.evidence`: a scenario's evidence for its report (the history-only fits compared, the
  published estimates of its definition, the audit of its headline anchor), gathered once.

The report reads an audit (:mod:`forecast.report.audit`); nothing here imports the report.
"""

from .claims import Claim, extract, read_bytes, read_text, sentences
from .claims_file import ClaimRecord, read_claims_file
from .record import (
    DEFINITION_LABELS,
    MARKETS,
    Market,
    default_data_dir,
    default_history_file,
    definition_label,
    load_estimates_frame,
    resolve_market,
)
from .result import AuditResult, audit_claim, audit_text
from .verdict import history_probability, implied_cagrs, published_position

__all__ = [
    "DEFINITION_LABELS",
    "MARKETS",
    "AuditResult",
    "Claim",
    "ClaimRecord",
    "Market",
    "audit_claim",
    "audit_text",
    "default_data_dir",
    "default_history_file",
    "definition_label",
    "extract",
    "history_probability",
    "implied_cagrs",
    "load_estimates_frame",
    "published_position",
    "read_bytes",
    "read_claims_file",
    "read_text",
    "resolve_market",
    "sentences",
]
