"""Errors of the rights-request service; each carries the HTTP status it answers with."""

from __future__ import annotations

from custos.errors import CustosError


class ServiceError(CustosError):
    """Root of the service's errors: a 4xx answer with ``code`` and ``message``."""

    code = "bad_request"
    status = 400


class InvalidRequestError(ServiceError):
    """The request is well formed but asks for something the service cannot do."""

    code = "invalid_request"
    status = 422


class NotFoundError(ServiceError):
    """Nothing is there, or the caller may not know whether something is."""

    code = "not_found"
    status = 404


class AuthenticationError(ServiceError):
    """No credentials, or credentials that are not valid."""

    code = "unauthenticated"
    status = 401


class PermissionDeniedError(ServiceError):
    """Valid credentials whose role or scopes do not allow the action."""

    code = "forbidden"
    status = 403


class ConflictError(ServiceError):
    """The action does not fit the request's current state."""

    code = "conflict"
    status = 409


class GoneError(ServiceError):
    """A link that has expired or been used up."""

    code = "gone"
    status = 410


class RateLimitedError(ServiceError):
    """Too many calls from one client in a short time."""

    code = "rate_limited"
    status = 429
