"""Options shared by several commands, and the turning of errors into one line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from custos.config import get_settings
from custos.datamap import DataMap, load_datamap
from custos.engine import Engine, Subject
from custos.errors import CustosError, IdentityError

F = TypeVar("F", bound=Callable[..., Any])

MapOption = Annotated[
    Path | None,
    typer.Option("--map", "-m", help="Data map file or folder (default: $CUSTOS_DATAMAP, else ./custos.yaml)."),
]
EmailOption = Annotated[list[str] | None, typer.Option("--email", help="Subject's email (repeatable).")]
PhoneOption = Annotated[list[str] | None, typer.Option("--phone", help="Subject's phone number (repeatable).")]
IdOption = Annotated[
    list[str] | None, typer.Option("--id", help="Other identity as NAME=VALUE, e.g. user_id=42 (repeatable).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
FromOption = Annotated[Path | None, typer.Option(
    "--from", help="A CSV file of people: a header of identity types (email, phone, ...), one person per line.")]


#: how the command line names the parameter an error asks for (``CustosError.option``)
FLAGS = {"identity": "use --email, --phone or --id NAME=VALUE", "map": "or pass --map",
         "confirm_kept": "--confirm-kept on the command line", "notice_versions": "custos notice --list shows them"}


def user_errors(function: F) -> F:
    """A CustosError becomes one line on stderr and its exit code; no traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CustosError as exc:
            lines = str(exc).splitlines() or [exc.__class__.__name__]
            if exc.option and lines:
                lines[0] += f" ({FLAGS.get(exc.option, '--' + exc.option.replace('_', '-'))})"
            typer.echo(f"error: {lines[0]}", err=True)
            for line in lines[1:]:
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except ValidationError as exc:  # a setting from the environment that is out of range
            for problem in exc.errors():
                name = "CUSTOS_" + "_".join(str(p) for p in problem["loc"]).upper()
                typer.echo(f"error: setting {name}: {problem['msg']} (got {problem.get('input')!r})", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:  # a path that cannot be written or read: unwritable, a folder, missing
            where = f" {exc.filename}" if exc.filename else ""
            typer.echo(f"error: cannot use{where}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None
        except sa_exc.ArgumentError as exc:  # a database URL SQLAlchemy cannot read
            typer.echo(f"error: bad database URL: {str(exc).splitlines()[0][:200]}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def subject_from(email: list[str] | None, phone: list[str] | None, ids: list[str] | None) -> Subject:
    values: dict[str, list[str]] = {}
    if email:
        values["email"] = email
    if phone:
        values["phone"] = phone
    for item in ids or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise IdentityError(f"--id takes NAME=VALUE, got {item!r}")
        values.setdefault(name.strip(), []).append(value)
    return Subject.of(**values)


def known_identities(subject: Subject, datamap: DataMap) -> Subject:
    """Refuse an identity type the map does not declare, naming the ones it does."""
    unknown = sorted(set(subject.identities) - set(datamap.identity_types))
    if unknown:
        raise IdentityError(
            f"the data map declares no identity {', '.join(unknown)}; "
            f"its identities: {', '.join(datamap.identity_types)}"
        )
    return subject


def open_map(path: Path | list[Path] | None) -> DataMap:
    return load_datamap(path if path else get_settings().datamap)


def open_engine(datamap: DataMap) -> Engine:
    settings = get_settings()
    return Engine(
        datamap, secret_key=settings.secret(), journal=settings.journal_path, batch_size=settings.batch_size
    )
