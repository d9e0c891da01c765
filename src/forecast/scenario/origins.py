"""Where a key of a scenario came from: the file of an ``extends`` chain that set it (for error
messages), and paths shown relative to the scenario's folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class Origins:
    """Which file of an ``extends`` chain a key came from, for error messages."""

    def __init__(self, chain: Sequence[Path], docs: Sequence[Mapping[str, Any]]) -> None:
        self.chain = tuple(chain)
        self.docs = tuple(docs)

    def __call__(self, *keys: str | int) -> str:
        """The path of the nearest file (child first) that sets ``keys``; the scenario's own
        file when none does."""
        found = self.setter(*keys)
        if found is not None:
            return str(found)
        return str(self.chain[0]) if self.chain else "scenario"

    def setter(self, *keys: str | int) -> Path | None:
        """The nearest file (child first) that sets ``keys``, or None."""
        for path, doc in zip(self.chain, self.docs, strict=True):
            node: Any = doc
            for key in keys:
                if isinstance(key, int) and isinstance(node, list) and key < len(node):
                    node = node[key]
                elif isinstance(key, str) and isinstance(node, Mapping) and key in node:
                    node = node[key]
                else:
                    break
            else:
                return path
        return None


def relative(path: str | Path, base: Path) -> str:
    """``path`` relative to ``base`` (provenance that does not depend on the working folder)."""
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()
