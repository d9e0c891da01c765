"""``python -m forecast``: the command line."""

from .cli.app import entry

entry()
