"""The privacy notice, the records of processing, request metrics and the policy check.

All four read the data map through one view of the company's practice
(``custos.notice.practice``), so the published notice can never drift from what the map
says the company does.
"""

from custos.notice.contents import NoticeContents, notice_contents, privacy_center_url
from custos.notice.metrics import (
    METRIC_TYPES,
    Metrics,
    MetricsError,
    MetricType,
    Outcome,
    RequestRecord,
    TypeFigures,
    compute_metrics,
    metric_type,
)
from custos.notice.metrics_report import metrics_html, metrics_table
from custos.notice.practice import Practice, read_practice
from custos.notice.render import (
    NoticeFormatError,
    RenderedNotice,
    content_version,
    render_notice,
)
from custos.notice.request_records import load_records
from custos.notice.rights import RightInForce, rights_catalogue, rights_in_force
from custos.notice.ropa import (
    ProcessingRecord,
    RopaFormatError,
    records_of_processing,
    render_ropa,
    ropa_csv,
    ropa_html,
)
from custos.notice.versions import NoticeVersion, NoticeVersionError, NoticeVersions, publish

__all__ = [
    "METRIC_TYPES",
    "MetricType",
    "Metrics",
    "MetricsError",
    "NoticeContents",
    "NoticeFormatError",
    "NoticeVersion",
    "NoticeVersionError",
    "NoticeVersions",
    "Outcome",
    "Practice",
    "ProcessingRecord",
    "RenderedNotice",
    "RequestRecord",
    "RightInForce",
    "RopaFormatError",
    "TypeFigures",
    "compute_metrics",
    "content_version",
    "load_records",
    "metric_type",
    "metrics_html",
    "metrics_table",
    "notice_contents",
    "privacy_center_url",
    "publish",
    "read_practice",
    "records_of_processing",
    "render_notice",
    "render_ropa",
    "rights_catalogue",
    "rights_in_force",
    "ropa_csv",
    "ropa_html",
]
