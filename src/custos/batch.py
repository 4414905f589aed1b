"""Requests for many people at once: a CSV of identities in, one result per person out.

A file's header names identity types of the map (``email``, ``phone``, ``user_id``...);
each row is one person, whose non-empty cells are their identities. ``read_people`` refuses
an unknown column or a malformed value, naming the file, line and column, before anything
runs. ``erase_each`` and ``access_each`` run one request per person through the engine and
yield each result as it is done, so a caller can show progress and a failure for one
person does not stop the others.

    from custos.batch import read_people, erase_each
    people = read_people(Path("people.csv"), engine.datamap)
    for result in erase_each(engine, people):
        print(result.line, result.status, result.changed, result.residual_ok)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custos.datamap import DataMap
from custos.engine.subject import Subject
from custos.errors import CustosError, IdentityError
from custos.package import build_package

if TYPE_CHECKING:
    from custos.engine.core import Engine

MAX_PEOPLE = 100_000


@dataclass(frozen=True)
class Person:
    line: int  # the CSV line, for the operator to find the person again
    subject: Subject


@dataclass
class PersonResult:
    line: int
    subject: dict[str, list[str]]
    status: str  # completed | nothing_found | incomplete | failed ...
    found: int = 0
    changed: int = 0
    deleted: int = 0
    kept: list[str] = field(default_factory=list)
    residual_ok: bool | None = None
    error: str | None = None
    package: str | None = None  # access: the file written

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_people(path: Path, datamap: DataMap) -> list[Person]:
    """The people of a CSV file; every problem is reported with its line before anything runs."""
    declared = set(datamap.identity_types)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CustosError(f"cannot read {path}: {exc.strerror or exc}") from None
    people: list[Person] = []
    problems: list[str] = []
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        unknown = [c for c in columns if c not in declared]
        if not columns or unknown:
            raise CustosError(f"{path}:1: the header names identity types of the data map "
                              f"({', '.join(sorted(declared))}); "
                              + (f"unknown: {', '.join(unknown)}" if unknown else "the file has no header"))
        for row in reader:
            line = reader.line_num
            if len(people) >= MAX_PEOPLE:
                raise CustosError(f"{path}: more than {MAX_PEOPLE:,} people; split the file")
            values = {k.strip(): v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}
            if not values:
                continue  # an empty line
            try:
                people.append(Person(line, Subject.of(**values)))
            except IdentityError as exc:
                problems.append(f"{path}:{line}: {exc.message}")
    if problems:
        raise CustosError("\n".join(problems[:20]) + (f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""))
    return people


def _subject(person: Person) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in person.subject.identities.items()}


def erase_each(engine: Engine, people: Iterable[Person]) -> Iterator[PersonResult]:
    """One erasure per person, with its residual check; a person whose erasure fails is reported
    and the next one runs."""
    for person in people:
        try:
            result = engine.erase(person.subject)
        except CustosError as exc:
            yield PersonResult(person.line, _subject(person), "failed", error=exc.message)
            continue
        kept = sorted({f"{c.collection}.{k.field}" for c in result.collections for k in c.fields_kept if c.rows_found})
        yield PersonResult(
            person.line, _subject(person), result.status,
            found=sum(c.rows_found for c in result.collections), changed=result.rows_changed,
            deleted=result.rows_deleted, kept=kept,
            residual_ok=result.residual.ok if result.residual is not None else None)


def access_each(engine: Engine, people: Iterable[Person], folder: Path) -> Iterator[PersonResult]:
    """One access package per person, written as ``folder/line-N.zip``."""
    folder.mkdir(parents=True, exist_ok=True)
    for person in people:
        try:
            result = engine.access(person.subject)
        except CustosError as exc:
            yield PersonResult(person.line, _subject(person), "failed", error=exc.message)
            continue
        target = folder / f"line-{person.line}.zip"
        target.write_bytes(build_package(engine.datamap, result))
        yield PersonResult(person.line, _subject(person), "completed" if result.row_count else "nothing_found",
                           found=result.row_count, package=str(target))
