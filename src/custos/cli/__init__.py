"""The ``custos`` command: thin, every command parses, calls one function, prints."""

from custos.cli.app import app, main, with_plugins

with_plugins()  # the commands plug-ins add (custos breach) are part of the command line

__all__ = ["app", "main"]
