"""One exception hierarchy for everything a user can get wrong or a store can refuse.

Every error carries what was wrong and where, and its class says how each interface
answers it: ``exit_code`` for the command line (which prints ``str(error)`` on one line),
``status`` and ``code`` for the HTTP service. An error is ``public`` when the caller may read
its message (a bad identity, a request the law does not cover); otherwise an HTTP caller
gets ``public_code`` and ``public_message`` and the message goes to the log (a data map or
a store problem is the operator's to fix). ``option`` names the caller's own parameter that
resolves the error (``confirm_kept``): the command line shows it as its flag
(``--confirm-kept``), the HTTP service as the field it is.

The tree::

    CustosError
    ├── DataMapError ─ DataMapErrors      the data map (exit 2)
    ├── IdentityError                     an identity value (exit 2, HTTP 422)
    ├── StoreError                        a data store failed or refused (exit 3)
    ├── ConfigError                       a setting (exit 2, HTTP 503)
    ├── RuleSetError ─ UnknownJurisdictionError     (custos.rules)
    ├── RequestNotCoveredError                       (custos.rules)
    ├── UnknownTaxonomyKey                           (custos.taxonomy)
    ├── ServiceError                      a 4xx answer of the service
    │   ├── InvalidRequestError 422, NotFoundError 404, AuthenticationError 401,
    │   │   PermissionDeniedError 403, ConflictError 409, GoneError 410, RateLimitedError 429
    ├── JobFailure                        a queued job that did not finish (retried)
    └── ProtocolError                     a Data Rights Protocol message refused (custos.agents)
"""

from __future__ import annotations


class CustosError(Exception):
    """Root of every error Custos raises on purpose."""

    code = "custos_error"
    exit_code = 1
    status = 500
    public = False
    public_code = "internal_error"
    public_message = "the request could not be completed"

    def __init__(self, message: str, *, where: str | None = None, option: str | None = None) -> None:
        self.message = message
        self.where = where
        self.option = option
        super().__init__(f"{where}: {message}" if where else message)


class DataMapError(CustosError):
    """The data map is malformed or asks for something impossible."""

    code = "invalid_datamap"
    exit_code = 2
    status = 503
    public_code = "invalid_config"
    public_message = "the service is not configured correctly"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        option: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        parts = [p for p in (file, str(line) if line else None) if p]
        where = ":".join(parts) if parts else None
        if key:
            where = f"{where} ({key})" if where else key
        super().__init__(message, where=where, option=option)


class DataMapErrors(DataMapError):
    """Several data-map problems found in one pass; the message lists them all."""

    def __init__(self, errors: list[DataMapError]) -> None:
        self.errors = errors
        first = errors[0]
        CustosError.__init__(
            self,
            "\n".join(str(e) for e in errors) if len(errors) > 1 else first.message,
            where=None if len(errors) > 1 else first.where,
        )
        self.file, self.line, self.key = first.file, first.line, first.key


class IdentityError(CustosError):
    """An identity value that cannot be used (empty, malformed, unknown type)."""

    code = "invalid_identity"
    exit_code = 2
    status = 422
    public = True


class StoreError(CustosError):
    """A data store failed or refused; names the system key, never its credentials."""

    code = "store_error"
    exit_code = 3

    def __init__(self, message: str, *, system: str) -> None:
        self.system = system
        super().__init__(message, where=f"system {system!r}")


class ConfigError(CustosError):
    """A setting is missing or insecure."""

    code = "invalid_config"
    exit_code = 2
    status = 503
    public_code = "invalid_config"
    public_message = "the service is not configured correctly"


class ServiceError(CustosError):
    """Root of the service's errors: a 4xx answer with ``code`` and ``message``."""

    code = "bad_request"
    status = 400
    public = True


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


class JobFailure(CustosError):
    """A queued job that did not finish its work; it is retried, and its message is kept."""

    code = "job_failed"


class ProtocolError(CustosError):
    """A Data Rights Protocol message that is refused; the DRP routes answer it in the
    protocol's own shapes."""

    code = "drp_refused"
    status = 400
    public = True
