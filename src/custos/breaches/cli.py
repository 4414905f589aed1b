"""``custos breach``: the register from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from custos.cli.options import MapOption, user_errors
from custos.config import get_settings
from custos.errors import CustosError

breach_app = typer.Typer(help="The breach register: record, count, tell the authority and the people.",
                         no_args_is_help=True)
Id = Annotated[str, typer.Argument(help="The breach's id (custos breach list shows them).")]
ACTOR = "cli"


@contextmanager
def _service(map_path: object) -> Iterator[Any]:
    from custos.service import Service

    service = Service(get_settings(datamap=str(map_path)) if map_path else get_settings())
    try:
        yield service
    finally:
        service.close()


def _moment(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CustosError(f"{what} is an ISO 8601 date and time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _line(breach: Any, service: Any) -> str:
    from custos.breaches.admin import public

    view = public(service, breach)
    if view.authority_due_at is None:
        clock = "no hour count"
    elif view.authority_notified_at is not None:
        clock = "authority told" + (" (late)" if view.late_reason else "")
    elif view.hours_left is not None and view.hours_left < 0:
        clock = f"authority OVERDUE by {-view.hours_left} h"
    else:
        clock = f"{view.hours_left} h left for the authority"
    people = "people not counted" if view.people_count is None else f"{view.people_count} people"
    return f"{view.id}  {view.aware_at:%Y-%m-%d %H:%M}  {clock}; {people}; {view.summary[:60]}"


@breach_app.command("record")
@user_errors
def record(
    summary: Annotated[str, typer.Option(help="What happened.")],
    aware_at: Annotated[str, typer.Option("--aware-at", help="When the company became aware (ISO 8601; UTC if no offset).")],
    target: Annotated[list[str], typer.Option("--target", help="system:KEY, dataset:KEY or dataset.collection (repeatable).")],
    detected_at: Annotated[str | None, typer.Option("--detected-at", help="When it was detected (default: --aware-at).")] = None,
    encrypted: Annotated[bool, typer.Option("--encrypted", help="The data affected was encrypted.")] = False,
    map_path: MapOption = None,
) -> None:
    """Enter a breach; what it affects is worked out from the data map."""
    from custos.breaches import register

    aware = _moment(aware_at, "--aware-at")
    assert aware is not None
    with _service(map_path) as service:
        breach = register.record(service, summary=summary, aware_at=aware, detected_at=_moment(detected_at, "--detected-at"),
                                 targets=target, encrypted=encrypted, actor=ACTOR)
        typer.echo(_line(breach, service))


@breach_app.command("list")
@user_errors
def listed(map_path: MapOption = None) -> None:
    """The register, newest first, with the authority's clock."""
    from custos.breaches import register

    with _service(map_path) as service:
        for breach in register.all_breaches(service):
            typer.echo(_line(breach, service))


def _act(map_path: object, action: Callable[[Any], Any]) -> None:
    with _service(map_path) as service:
        typer.echo(_line(action(service), service))


@breach_app.command("count")
@user_errors
def count(breach_id: Id, map_path: MapOption = None) -> None:
    """Count the people and records affected, on the stores."""
    from custos.breaches import register

    _act(map_path, lambda service: register.count(service, breach_id, actor=ACTOR))


@breach_app.command("notify-people")
@user_errors
def notify_people(breach_id: Id, map_path: MapOption = None) -> None:
    """Mail each person affected whose email the stores hold (run by the worker, in batches)."""
    from custos.breaches import notices

    _act(map_path, lambda service: notices.start(service, breach_id, actor=ACTOR))


@breach_app.command("authority")
@user_errors
def authority(
    breach_id: Id,
    late_reason: Annotated[str | None, typer.Option("--late-reason", help="Why it is later than 72 hours.")] = None,
    map_path: MapOption = None,
) -> None:
    """Record that the supervisory authority was told."""
    from custos.breaches import register

    _act(map_path, lambda service: register.notify_authority(service, breach_id, actor=ACTOR, late_reason=late_reason))


@breach_app.command("draft")
@user_errors
def draft(breach_id: Id, map_path: MapOption = None) -> None:
    """Print the notification to the authority with the contents of GDPR Art. 33(3)."""
    from custos.breaches import register

    with _service(map_path) as service:
        typer.echo(register.authority_draft(service, register.load(service, breach_id)), nl=False)


@breach_app.command("export")
@user_errors
def export(map_path: MapOption = None) -> None:
    """The register as JSON (the Art. 33(5) documentation)."""
    from custos.breaches import register
    from custos.breaches.admin import public

    with _service(map_path) as service:
        rows = [public(service, b).model_dump(mode="json") for b in register.all_breaches(service)]
    typer.echo(json.dumps(rows, indent=2))
