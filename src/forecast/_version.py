"""The toolkit's version: the one place it is written (``pyproject.toml`` reads it from here,
so the installed package's metadata says the same), and a constant, so that ``forecast
--version`` reads no package metadata."""

__version__ = "0.1.0"
