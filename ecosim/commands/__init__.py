"""Subcommands of the ``ecosim`` command line, one module each."""
