"""Custos: keeps the promises of a privacy policy against the company's real databases."""

__version__ = "0.1.0"
