"""A scenario's segments: shares of the total (constant or by year, summing to one) or
histories of their own (``[segment_history]`` or a per-segment ``history``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..conversion import (
    Conversions,
)
from ..errors import ScenarioError, message
from ..readpolicy import ReadPolicy
from .conversions import convert_history, load_history
from .origins import Origins, relative
from .parsed import InputFile, Segment
from .schema import HistoryDoc, ScenarioDoc, SegmentDoc


def parse_segments(docs: Sequence[SegmentDoc], where: str) -> tuple[Segment, ...]:
    segments = []
    names: set[str] = set()
    for i, s in enumerate(docs):
        key = f"{where}: segments[{i}]"
        if s.name in names:
            raise ScenarioError(f"{key}.name: segment names must be unique; got {s.name!r} twice")
        names.add(s.name)
        if s.share is None:
            segments.append(Segment(name=s.name, knots=(), source=s.source))
            continue
        if isinstance(s.share, dict):
            knots = []
            for y_txt, share in s.share.items():
                if not re.fullmatch(r"[0-9]{4}", y_txt):  # \d would take "２０２０"
                    raise ScenarioError(
                        message(f"{key}.share", "keys must be four-digit years", y_txt)
                    )
                knots.append((int(y_txt), float(share)))
            knots.sort()
            if not knots:
                raise ScenarioError(f"{key}.share: needs at least one year; got an empty table")
        else:
            knots = [(0, float(s.share))]
        for y, share in knots:
            if not 0 <= share <= 1:
                raise ScenarioError(
                    f"{key}.share: every share must lie in [0, 1]; got {share!r}"
                    + (f" for {y}" if y else "")
                )
        segments.append(Segment(name=s.name, knots=tuple(knots), source=s.source))
    shared = [seg for seg in segments if seg.knots]
    if shared and len(shared) < len(segments):
        missing = next(seg.name for seg in segments if not seg.knots)
        raise ScenarioError(
            f"{where}: segments: every segment needs a share, or every one a history (shares and "
            f"histories do not mix); got no share for {missing!r}"
        )
    if shared:
        years = sorted({y for seg in segments for y, _ in seg.knots})
        total = np.sum([seg.share(years) for seg in segments], axis=0)
        for y, tot in zip(years, total, strict=True):
            if abs(tot - 1) > 1e-6:
                at = f" in {y}" if y else ""
                raise ScenarioError(f"{where}: segments: shares must sum to 1{at}; got {tot:.6g}")
    return tuple(segments)


def segment_series(
    doc: ScenarioDoc,
    segments: tuple[Segment, ...],
    at: Origins,
    policy: ReadPolicy,
    conv: Conversions,
    inputs: list[InputFile],
    home: Path,
) -> tuple[Segment, ...]:
    """Segments with histories of their own: from ``[segment_history]`` (one long file, the rows
    of each segment) or each segment's own ``history`` table, in the scenario's unit."""
    shared = doc.segment_history
    column = (shared.segment_column if shared else None) or doc.segment_dimension
    out = []
    for i, (seg, sdoc) in enumerate(zip(segments, doc.segments, strict=True)):
        key = f"{at('segments', i)}: segments[{i}]"
        if sdoc.share is not None:
            raise ScenarioError(
                f"{key}.share: a segment with a history gets its path from it (forecast and "
                f"reconciled with the total), not from a share; got share = {sdoc.share!r}"
            )
        if sdoc.history is not None:
            keys: tuple[str | int, ...] = ("segments", i, "history")
            hdoc: HistoryDoc = sdoc.history
        elif shared is not None:
            keys = ("segment_history",)
            fields = {k: v for k, v in shared.model_dump().items() if k in HistoryDoc.model_fields}
            fields["filter"] = {**shared.filter, column: seg.name}
            hdoc = HistoryDoc(**fields)
        else:
            raise ScenarioError(
                f"{key}: every segment needs a history when one has (a segment_history table or "
                f"its own history); got none for {seg.name!r}"
            )
        label_keys = tuple(str(k) for k in keys)
        series = load_history(hdoc, label_keys, at, policy, conv)
        if len(series) < 3:
            raise ScenarioError(
                f"{key}: a segment history needs at least 3 years to fit its curve; got "
                f"{len(series)} for {seg.name!r}"
            )
        series = convert_history(series, hdoc, label_keys, at, conv)
        path = relative(hdoc.file, home)
        if not any(f.role == "segment history" and f.path == path for f in inputs):
            inputs.append(InputFile("segment history", path, series.sha256))
        out.append(replace(seg, history=series))
    return tuple(out)
