"""Property-based checks on random schemas, maps and data (hypothesis).

An independent model in plain Python computes which rows a subject reaches and what an
erasure must leave behind; the engine must agree with it exactly, touch nothing else,
change nothing on a second run, and end identical to a clean run after being killed.
Schemas have cycles, self-references, link tables, tables without keys, composite keys
(``id`` and ``part``) and tables in a second system, reached by edges across the two.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.datamap import parse_datamap
from custos.engine import REDACTED, Engine, Journal, Subject
from custos.stores.sql import normalize_url
from tests.conftest import Databases

SECRET = b"property-secret"
EMAILS = ["a@x.io", "b@x.io", "émile@x.io"]
#: how companies really store those addresses: other cases, spaces, and look-alikes that are
#: other addresses (a Cyrillic "а", an unaccented "e", a tab the trim does not remove)
STORED_EMAILS = [*EMAILS, "A@X.IO", " a@x.io", "a@x.io  ", "B@x.Io ", "ÉMILE@X.IO", "Émile@x.io",
                 "\u0430@x.io", "emile@x.io", "a@x.io\t", "aa@x.io"]
PHONES = ["+14155550100", "+14155550199", "+442079460000"]
STORED_PHONES = ["+14155550100", "(415) 555-0100", "415.555.0100", "+1 415 555 0100", "4155550100",
                 "1-415-555-0100", "415 555 0199", "+1 (415) 555-0199", "+44 20 7946 0000",
                 "+442079460000", "4155550101", "555-0100"]
STRATEGIES = ["mask_null", "mask_redact", "mask_hash", "keep"]


@dataclass
class Ref:
    field: str
    parent: int
    direction: str
    erase: str  # keep or mask_null


@dataclass
class Spec:
    name: str
    has_email: bool
    email_erase: str
    data_erase: str
    erase_rows: bool
    refs: list[Ref]
    has_phone: bool = False
    has_key: bool = True  # a table without a primary key is selected by the values that found it
    composite: bool = False  # the key is (id, part): several rows share an id
    system: int = 0  # 0: the first system (dataset d); 1: the second (dataset e)

    @property
    def dataset(self) -> str:
        return "de"[self.system]


def key_of(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row's identity in the model: its id, and its part where the key is composite."""
    return (row["id"], row.get("part"))


@st.composite
def schemas(draw: st.DrawFn) -> tuple[list[Spec], dict[str, list[dict[str, Any]]], str]:
    count = draw(st.integers(2, 5))
    specs = []
    for i in range(count):
        refs = []
        for r in range(draw(st.integers(0, 2))):
            refs.append(Ref(f"ref{r}", draw(st.integers(0, count - 1)),
                            draw(st.sampled_from(["forward", "both", "reverse"])),
                            draw(st.sampled_from(["keep", "mask_null"]))))
        has_key = i == 0 or draw(st.integers(0, 3)) > 0
        specs.append(Spec(f"t{i}", i == 0 or draw(st.booleans()), draw(st.sampled_from(["mask_hash", "keep"])),
                          draw(st.sampled_from(STRATEGIES)), draw(st.booleans()) and i > 0, refs,
                          draw(st.booleans()), has_key, composite=has_key and draw(st.integers(0, 3)) == 0,
                          system=0 if i == 0 else draw(st.integers(0, 2)) // 2))
    data: dict[str, list[dict[str, Any]]] = {}
    sizes = [draw(st.integers(0, 6)) for _ in specs]
    for i, spec in enumerate(specs):
        rows = []
        for row_id in range(1, sizes[i] + 1):
            for part in range(1, (draw(st.integers(1, 2)) if spec.composite else 1) + 1):
                row: dict[str, Any] = {"id": row_id, "data": draw(st.sampled_from(["x", "y", None, "o'hara; --"]))}
                if spec.composite:
                    row["part"] = part
                if spec.has_email:
                    row["email"] = draw(st.sampled_from([*STORED_EMAILS, None]))
                if spec.has_phone:
                    row["phone"] = draw(st.sampled_from([*STORED_PHONES, None]))
                for ref in spec.refs:
                    parent_size = sizes[ref.parent]
                    row[ref.field] = draw(st.one_of(st.none(), st.integers(1, max(parent_size, 1) + 1)))
                rows.append(row)
        data[spec.name] = rows
    return specs, data, (draw(st.sampled_from(EMAILS)), draw(st.sampled_from([*PHONES, None])))


def datamap_text(specs: list[Spec], url: str, second_url: str | None = None) -> str:
    collections: dict[str, list[dict[str, Any]]] = {"d": [], "e": []}
    for spec in specs:
        fields: list[dict[str, Any]] = [{"name": "id", "primary_key": spec.has_key},
                                        {"name": "data", "categories": ["user.content"], "erase": spec.data_erase}]
        if spec.composite:
            fields.insert(1, {"name": "part", "primary_key": True})
        if spec.has_email:
            fields.append({"name": "email", "categories": ["user.contact.email"], "identity": "email",
                           "erase": spec.email_erase})
        if spec.has_phone:
            fields.append({"name": "phone", "categories": ["user.contact.phone_number"], "identity": "phone",
                           "erase": spec.email_erase})
        for ref in spec.refs:
            parent = specs[ref.parent]
            target = f"t{ref.parent}.id" if parent.system == spec.system else f"{parent.dataset}.t{ref.parent}.id"
            fields.append({"name": ref.field, "references": {"field": target, "direction": ref.direction},
                           "erase": ref.erase, **({"categories": ["user.unique_id"]} if ref.erase != "keep" else {})})
        collections[spec.dataset].append({"name": spec.name, "erase_rows": spec.erase_rows, "fields": fields})
    systems = [{"key": "db", "url": url, "datasets": ["d"]}]
    datasets = [{"key": "d", "collections": collections["d"]}]
    if collections["e"]:
        systems.append({"key": "db2", "url": second_url or url, "datasets": ["e"]})
        datasets.append({"key": "e", "collections": collections["e"]})
    document = {
        "organization": {"name": "P", "privacy_contact": "p@x.io", "jurisdictions": ["gdpr"]},
        "systems": systems, "datasets": datasets,
    }
    return yaml.safe_dump(document, sort_keys=False)


def build(urls: tuple[str, str], specs: list[Spec], data: dict[str, list[dict[str, Any]]]) -> None:
    for system, url in enumerate(urls):
        _build(url, [s for s in specs if s.system == system], data)


def _build(url: str, specs: list[Spec], data: dict[str, list[dict[str, Any]]]) -> None:
    engine = sa.create_engine(normalize_url(url))
    old = sa.MetaData()
    old.reflect(engine)
    old.drop_all(engine)
    meta = sa.MetaData()
    for spec in specs:
        columns = [sa.Column("id", sa.Integer, primary_key=spec.has_key, autoincrement=False),
                   sa.Column("data", sa.String(100))]
        if spec.composite:
            columns.append(sa.Column("part", sa.Integer, primary_key=True, autoincrement=False))
        if spec.has_email:
            columns.append(sa.Column("email", sa.String(100)))
        if spec.has_phone:
            columns.append(sa.Column("phone", sa.String(100)))
        columns += [sa.Column(ref.field, sa.Integer) for ref in spec.refs]
        sa.Table(spec.name, meta, *columns)
    meta.create_all(engine)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if data[table.name]:
                conn.execute(table.insert(), data[table.name])
    engine.dispose()


def same_phone(stored: str, given: str, region: str) -> bool:
    """The oracle's reading of the phone rule, independent of the engine's digit candidates:
    both strings parse to the same E.164 number."""
    try:
        a, b = phonenumbers.parse(stored, region), phonenumbers.parse(given, region)
    except phonenumbers.NumberParseException:
        return False
    fmt = phonenumbers.PhoneNumberFormat.E164
    return bool(phonenumbers.format_number(a, fmt) == phonenumbers.format_number(b, fmt))


def same_email(stored: Any, given: str) -> bool:
    """The oracle's own reading of the email rule: spaces trimmed, case ignored, nothing else."""
    return isinstance(stored, str) and stored.strip(" ").lower() == given.lower()


def model_reach(specs: list[Spec], data: dict[str, list[dict[str, Any]]], who: Any) -> dict[str, set[tuple[Any, ...]]]:
    """Brute force: keep adding rows whose lookup fields hold a wanted value until stable.

    Identity fields are compared the way a person would: an email whatever its case and
    surrounding spaces, a phone number whatever its format (``phonenumbers`` says whether two
    strings are the same number, independently of the engine's digit candidates)."""
    email, phone = who if isinstance(who, tuple) else (who, None)
    reached: dict[str, set[tuple[Any, ...]]] = {s.name: set() for s in specs}
    for spec in specs:
        for row in data[spec.name]:
            if (spec.has_email and same_email(row.get("email"), email)) or (
                    spec.has_phone and phone and row.get("phone") and same_phone(row["phone"], phone, "US")):
                reached[spec.name].add(key_of(row))
    while True:
        wanted: dict[tuple[str, str], set[Any]] = {}
        for spec in specs:
            for ref in spec.refs:
                parent = f"t{ref.parent}"
                if ref.direction in ("forward", "both"):
                    wanted.setdefault((spec.name, ref.field), set()).update(
                        r["id"] for r in data[parent] if key_of(r) in reached[parent])
                if ref.direction in ("both", "reverse"):
                    wanted.setdefault((parent, "id"), set()).update(
                        r[ref.field] for r in data[spec.name]
                        if key_of(r) in reached[spec.name] and r[ref.field] is not None)
        changed = False
        for spec in specs:
            for row in data[spec.name]:
                if key_of(row) in reached[spec.name]:
                    continue
                if any(row.get(f) is not None and row.get(f) in values
                       for (name, f), values in wanted.items() if name == spec.name):
                    reached[spec.name].add(key_of(row))
                    changed = True
        if not changed:
            return reached


def model_erase(specs: list[Spec], data: dict[str, list[dict[str, Any]]],
                reached: dict[str, set[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The state an erasure must leave: computed from the map's rules, not from the engine."""
    def masked(strategy: str, value: Any) -> Any:
        if value is None or strategy == "keep":
            return value
        if strategy == "mask_null":
            return None
        if strategy == "mask_redact":
            return REDACTED
        return hmac.new(SECRET, str(value).encode(), hashlib.sha256).hexdigest()

    result = {}
    for spec in specs:
        rows = []
        for row in data[spec.name]:
            new = dict(row)
            if key_of(row) in reached[spec.name]:
                if spec.erase_rows:
                    continue
                new["data"] = masked(spec.data_erase, row["data"])
                if spec.has_email:
                    new["email"] = masked(spec.email_erase, row["email"])
                if spec.has_phone:
                    new["phone"] = masked(spec.email_erase, row["phone"])
                for ref in spec.refs:
                    parent = f"t{ref.parent}"
                    if row[ref.field] in {r["id"] for r in data[parent] if key_of(r) in reached[parent]}:
                        new[ref.field] = masked(ref.erase, row[ref.field])
            rows.append(tuple(new[k] for k in sorted(new)))
        result[spec.name] = sorted(rows, key=repr)
    return result


def snapshot(urls: tuple[str, str], specs: list[Spec]) -> dict[str, list[tuple[Any, ...]]]:
    result = {}
    for system, url in enumerate(urls):
        engine = sa.create_engine(normalize_url(url))
        with engine.connect() as conn:
            for spec in specs:
                if spec.system != system:
                    continue
                rows = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {spec.name}"))]  # noqa: S608
                result[spec.name] = sorted((tuple(r[k] for k in sorted(r)) for r in rows), key=repr)
        engine.dispose()
    return {spec.name: result[spec.name] for spec in specs}


class Killed(BaseException):
    pass


def make_engine(specs: list[Spec], urls: tuple[str, str], journal: Path, kill_at: int | None = None) -> Engine:
    engine = Engine(parse_datamap(datamap_text(specs, *urls)), secret_key=SECRET, journal=Journal(journal))
    if kill_at is not None:
        count = [0]

        def tick(*_: Any) -> None:
            count[0] += 1
            if count[0] >= kill_at:
                raise Killed

        sa.event.listen(engine.store("db").engine, "before_cursor_execute", tick)  # type: ignore[attr-defined]
    return engine


SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}
#: about a thousand cases in CI (more on SQLite; the servers rebuild real tables each time);
#: ``bench/properties.py`` runs the same tests with CUSTOS_PROPERTY_SCALE=20 as a long run
SCALE = max(1, int(os.environ.get("CUSTOS_PROPERTY_SCALE", "1")))
EXAMPLES = {"sqlite": 300 * SCALE, "postgresql": 60 * SCALE, "mysql": 60 * SCALE}


@pytest.fixture
def property_url(databases: Databases, store_kind: str) -> tuple[str, str]:
    """Two databases on one server: the second system's tables live in the other one."""
    return databases.new(), databases.new()


def test_access_and_erasure_agree_with_the_model(property_url: tuple[str, str], store_kind: str) -> None:
    @settings(max_examples=EXAMPLES[store_kind], **SETTINGS)  # type: ignore[arg-type]
    @given(schemas())
    def check(case: tuple[list[Spec], dict[str, list[dict[str, Any]]], str]) -> None:
        agree_with_the_model(property_url, case)

    check()


def agree_with_the_model(url: tuple[str, str], case: tuple[list[Spec], dict[str, list[dict[str, Any]]], str]) -> None:
    specs, data, who = case
    subject = Subject.of(email=who[0], phone=who[1])
    with tempfile.TemporaryDirectory() as tmp:
        build(url, specs, data)
        engine = make_engine(specs, url, Path(tmp) / "j.db")
        try:
            reached = model_reach(specs, data, who)
            datasets = engine.access(subject).to_dict()["datasets"]
            found_rows = {s.name: {key_of(r) for r in datasets.get(s.dataset, {}).get(s.name, [])} for s in specs}
            assert found_rows == reached

            result = engine.erase(subject)
            assert snapshot(url, specs) == model_erase(specs, data, reached)
            assert result.residual is not None and result.residual.ok
            found = {c.collection.split(".")[1]: c.rows_found for c in result.collections}
            assert found == {name: len(ids) for name, ids in reached.items()}

            before = snapshot(url, specs)
            again = engine.erase(subject)
            assert again.rows_changed == 0 and again.rows_deleted == 0
            assert snapshot(url, specs) == before
        finally:
            engine.close()


def test_killed_run_then_rerun_equals_clean_run(property_url: tuple[str, str], store_kind: str) -> None:
    @settings(max_examples=EXAMPLES[store_kind], **SETTINGS)  # type: ignore[arg-type]
    @given(schemas(), st.integers(1, 60))
    def check(case: tuple[list[Spec], dict[str, list[dict[str, Any]]], str], kill_at: int) -> None:
        killed_then_rerun(property_url, case, kill_at)

    check()


def killed_then_rerun(url: tuple[str, str], case: tuple[list[Spec], dict[str, list[dict[str, Any]]], str], kill_at: int) -> None:
    specs, data, who = case
    subject = Subject.of(email=who[0], phone=who[1])
    expected = model_erase(specs, data, model_reach(specs, data, who))
    with tempfile.TemporaryDirectory() as tmp:
        build(url, specs, data)
        journal = Path(tmp) / "j.db"
        killed = make_engine(specs, url, journal, kill_at)
        try:
            killed.erase(subject)
        except Killed:
            pass
        finally:
            killed.close()
        engine = make_engine(specs, url, journal)
        try:
            engine.erase(subject)
        finally:
            engine.close()
        assert snapshot(url, specs) == expected


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_model_itself_masks_what_it_should(strategy: str) -> None:
    """Guards the model: a reached row's data changes unless kept."""
    specs = [Spec("t0", True, "keep", strategy, False, [])]
    data = {"t0": [{"id": 1, "data": "x", "email": "a@x.io"}, {"id": 2, "data": "x", "email": "b@x.io"}]}
    after = {row[2]: row for row in model_erase(specs, data, model_reach(specs, data, "a@x.io"))["t0"]}
    assert (after[1][0] == "x") == (strategy == "keep")
    assert after[2] == ("x", "b@x.io", 2)


def test_the_generator_makes_composite_keys_and_edges_across_systems() -> None:
    """The cases above include both shapes (a generator that lost them would pass silently)."""
    from hypothesis import find

    found = find(schemas(), lambda case: any(s.composite for s in case[0]) and any(
        s.system == 1 and any(case[0][r.parent].system == 0 for r in s.refs) for s in case[0]),
        settings=settings(max_examples=2000, database=None))
    assert found is not None


def test_a_composite_key_reached_across_systems(tmp_path: Path) -> None:
    """A person's row in the first system leads to two rows sharing an id (composite key) in
    the second; both are found and erased, and the third row with another id stays."""
    specs = [Spec("t0", True, "keep", "mask_null", False, []),
             Spec("t1", False, "keep", "mask_redact", False, [Ref("ref0", 0, "forward", "keep")], composite=True,
                  system=1)]
    data = {"t0": [{"id": 1, "data": "x", "email": "A@X.IO "}, {"id": 2, "data": "x", "email": "b@x.io"}],
            "t1": [{"id": 5, "part": 1, "data": "p", "ref0": 1}, {"id": 5, "part": 2, "data": "q", "ref0": 1},
                   {"id": 6, "part": 1, "data": "r", "ref0": 2}]}
    urls = (f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}")
    agree_with_the_model(urls, (specs, data, ("a@x.io", None)))
    assert snapshot(urls, specs)["t1"] == sorted([(REDACTED, 5, 1, 1), (REDACTED, 5, 2, 1),
                                                 ("r", 6, 1, 2)], key=repr)
