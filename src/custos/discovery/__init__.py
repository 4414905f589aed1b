"""Discovery: scan the stores, classify each column, report where the map and the data disagree.

``scan`` samples and classifies; ``drift`` compares the result with the map; ``proposal``
writes the entries that would close the gaps; ``report`` prints and renders it. The
service runs the same scan as a job (``custos.discovery.service``).
"""

from custos.discovery.classify import Verdict, classify
from custos.discovery.drift import Drift, drift
from custos.discovery.scan import ColumnScan, ScanReport, TableScan, scan

__all__ = ["ColumnScan", "Drift", "ScanReport", "TableScan", "Verdict", "classify", "drift", "scan"]
