"""The ``custos`` command: thin, every command parses, calls one function, prints."""

from custos.cli.app import app, main

__all__ = ["app", "main"]
