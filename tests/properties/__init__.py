"""Property-based tests (hypothesis); profiles in ``conftest.py``."""
