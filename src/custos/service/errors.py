"""The service's errors, each with the HTTP status it answers with (defined in
``custos.errors``, the one tree of Custos's errors)."""

from __future__ import annotations

from custos.errors import (
    AuthenticationError,
    ConflictError,
    GoneError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceError,
)

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "GoneError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServiceError",
]
