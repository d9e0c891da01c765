"""The ``forecast`` command line.

One module per command (or group of commands), each with ``add_parser(sub, parents)``; the
options several commands share in :mod:`.options`; the run summary's terminal text in
:mod:`.terminal`; the parser and the one error boundary in :mod:`.app`. ``main(argv)`` returns
the exit code; ``entry()`` is the console script.
"""

from .app import build_parser, entry, main

__all__ = ["build_parser", "entry", "main"]
