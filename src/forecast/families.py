"""The growth-curve families by name, with what callers branch on: the one registry.

Adding a family is one entry here plus its kernels in :mod:`forecast.models.curves` (which
refuses to import when the two disagree) and its tests; every caller that picks families by a
trait reads it from here:

* ``closed_form``: a hard anchor is met exactly in every Monte Carlo draw by solving the curve's
  level in closed form (:mod:`forecast.uncertainty.propagate`, ``cagr_<A>_<B>`` assumptions);
* ``compared``: fitted on the history alone and ranked by out-of-sample error in a report's
  evidence and in a claim's audit (:mod:`forecast.evidence`, :mod:`forecast.audit`).

This module imports nothing numerical, so that the command line can name the families in its
help without loading numpy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FamilyTraits:
    """A family's name and the traits callers branch on."""

    name: str
    closed_form: bool
    compared: bool


REGISTRY: tuple[FamilyTraits, ...] = (
    FamilyTraits("exponential", closed_form=True, compared=True),
    FamilyTraits("linear", closed_form=False, compared=True),
    FamilyTraits("logistic", closed_form=True, compared=True),
    FamilyTraits("gompertz", closed_form=True, compared=True),
    FamilyTraits("bass", closed_form=False, compared=False),
    FamilyTraits("bass_sales", closed_form=False, compared=False),
)

FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in REGISTRY)
"""Every family, in the registry's order (the order of ``forecast fit --model all``)."""

CLOSED_FORM: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.closed_form)
"""Families whose level is solved in closed form from a hard anchor in every draw."""

COMPARED: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.compared)
"""Families fitted on the history alone in the evidence and the audit."""
