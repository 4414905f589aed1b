"""The access package a person receives: data.json, a CSV per collection, report.html, zipped."""

from custos.package.build import build_package, package_files

__all__ = ["build_package", "package_files"]
