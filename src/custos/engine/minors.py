"""People under the age limit found in the stores, for the minors sweep.

A collection marked ``minors:`` has one field that gives a person's age (a birth date, or
an age in years). The store finds, in one query per batch of keys, the rows of people
under the limit on the given day whose parent's consent is not recorded (where the map
names the consent field); their identity fields become the subjects the service erases
or opens an erasure request for, as the map says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from custos.engine.subject import Subject, normalize
from custos.errors import IdentityError, StoreError

if TYPE_CHECKING:
    from custos.engine.core import Engine


@dataclass(frozen=True)
class Minor:
    collection: str  # qualified
    then: str  # erase | review
    subject: Subject


def find_minors(engine: Engine, today: date, age: int) -> list[Minor]:
    """Every person under ``age`` on ``today`` in the collections the map marks ``minors:``."""
    found: list[Minor] = []
    for info in engine.datamap.collections.values():
        rule = info.collection.minors
        if rule is None:
            continue
        age_field = next(f for f in info.fields if f.age)
        identities = [f for f in info.fields if f.identity]
        store = engine.store(info.system)
        finder = getattr(store, "younger_than", None)
        if finder is None:
            raise StoreError(f"the store of system {info.system!r} cannot look for minors", system=info.system)
        keys = info.primary_key
        after: tuple[Any, ...] | None = None
        while True:
            rows = finder(info.name, age_field.name, age_field.age, age, today, rule.consent,
                          [f.name for f in identities], keys, after, engine.batch_size)
            for row in rows:
                values: dict[str, set[str]] = {}
                for data_field in identities:
                    raw = row.get(data_field.name)
                    if raw is None:
                        continue
                    try:
                        values.setdefault(str(data_field.identity), set()).add(
                            normalize(str(data_field.identity), str(raw)))
                    except IdentityError:
                        continue  # a stored value that is no usable identity finds nobody
                if values:
                    found.append(Minor(info.qualified, rule.then, Subject({k: frozenset(v) for k, v in values.items()})))
            if not keys or len(rows) < engine.batch_size:
                break
            after = tuple(rows[-1][k] for k in keys)
    return found
