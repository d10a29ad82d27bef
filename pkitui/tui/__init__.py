"""The Textual console: a thin front end over :mod:`pkitui.core` (never its own copy of the logic).

:class:`pkitui.tui.app.PkiConsole` is the App; the entry point (:func:`pkitui.cli.run_console`,
:func:`pkitui.cli.run_lab`) opens it. The console never imports the lab, which sits above it.
"""
