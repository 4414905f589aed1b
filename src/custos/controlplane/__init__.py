"""The control plane: Custos's own database of requests, consent, users, jobs, holds and the
audit log (not the company's data stores, which are ``custos.stores``).

``models`` holds the tables, ``database`` the connection and its unit of work
(``ControlPlane``), the SQLite writer lock and ``migrate``; the Alembic migrations live in
``migrations/``.
"""

from custos.controlplane.database import MIGRATIONS, ControlPlane, alembic_config, migrate
from custos.controlplane.models import (
    ApiKey,
    AppendOnlyError,
    AuditEntry,
    AuditHead,
    Base,
    Hold,
    Identity,
    Job,
    Package,
    Request,
    RequestResult,
    RetentionRun,
    RevokedSession,
    User,
    UTCDateTime,
    VerificationAttempt,
    insert_new_in_bulk,
    new_id,
    now,
)

__all__ = [
    "MIGRATIONS",
    "ApiKey",
    "AppendOnlyError",
    "AuditEntry",
    "AuditHead",
    "Base",
    "ControlPlane",
    "Hold",
    "Identity",
    "Job",
    "Package",
    "Request",
    "RequestResult",
    "RetentionRun",
    "RevokedSession",
    "UTCDateTime",
    "User",
    "VerificationAttempt",
    "alembic_config",
    "insert_new_in_bulk",
    "migrate",
    "new_id",
    "now",
]
