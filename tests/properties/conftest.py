"""Hypothesis profiles for the property suite.

``default`` (local runs) keeps example counts small; ``HYPOTHESIS_PROFILE=ci`` runs more
examples while the whole property suite stays within about three minutes on two shared cores;
``dev`` is the smallest, for editing. Every profile is derandomized (the same examples on every
run, so a failure reproduces) and keeps no example database in the working tree.

This folder is a package (``__init__.py``) so that this file is imported as
``properties.conftest`` and does not replace ``tests/conftest.py`` in ``sys.modules``: the test
modules import helpers from it as ``conftest``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.data_too_large),
}

settings.register_profile("dev", max_examples=10, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("default", max_examples=40, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("ci", max_examples=150, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(scale: float) -> int:
    """Examples for an expensive test: ``scale`` times the active profile's count (at least 3)."""
    return max(3, int(settings().max_examples * scale))
