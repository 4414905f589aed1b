"""Errors of the rule sets: a malformed or unknown rule set, a request a law does not cover."""

from __future__ import annotations

from collections.abc import Iterable

from custos.errors import CustosError


class RuleSetError(CustosError):
    """A rule set file is malformed; names the file and the key that is wrong."""

    code = "invalid_rule_set"
    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        if file and key:
            where: str | None = f"{file} ({key})"
        else:
            where = file or key
        super().__init__(message, where=where)


class UnknownJurisdictionError(RuleSetError):
    """A jurisdiction key that no rule set defines."""

    code = "unknown_jurisdiction"
    status = 422
    public = True

    def __init__(self, key: str, valid: Iterable[str]) -> None:
        super().__init__(f"unknown jurisdiction {key!r}; valid: {', '.join(valid)}")
        self.key = key


class RequestNotCoveredError(CustosError):
    """A request type the jurisdiction does not provide for, or an extension it does not allow."""

    code = "request_not_covered"
    exit_code = 2
    status = 422
    public = True
