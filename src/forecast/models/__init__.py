"""Growth-curve models: pure kernels (:mod:`.curves`), the fit (:mod:`.fit`) and its
parametric-bootstrap projection (:mod:`.simulate`)."""

from .curves import FAMILIES, Family, get_family
from .fit import GrowthFit, GrowthModel, cagr

__all__ = ["FAMILIES", "Family", "GrowthFit", "GrowthModel", "cagr", "get_family"]
