"""A request type added in one module: the opt-out of profiling in furtherance of decisions
with legal or similarly significant effects (Conn. Gen. Stat. §42-518(a)(5)(C)).

This module is the whole of the type's code: its name and label, and its handler. The
laws that provide for it say so in their files (``requests.opt_out_profiling``).
"""

from __future__ import annotations

from custos.hooks import hookimpl
from custos.rules import RequestTypeSpec
from custos.service.requests.handlers import Outcome, RequestHandler, Run

SPEC = RequestTypeSpec("opt_out_profiling", "opt-out of profiling", changes_data=True)


def opt_out_of_profiling(run: Run) -> Outcome:
    """Recorded as the person's standing choice; the company's scoring reads it from the request."""
    return Outcome("recorded", result={"recorded": run.kind, "identities": sorted(run.subject.identities)},
                   summary="We no longer use your personal information for profiling.")


@hookimpl
def custos_request_types() -> list[RequestTypeSpec]:
    return [SPEC]


@hookimpl
def custos_request_handlers() -> dict[str, RequestHandler]:
    return {SPEC.name: opt_out_of_profiling}
