"""``python -m forecast.cli``: the command line."""

from .app import entry

entry()
