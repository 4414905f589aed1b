"""The conformance suite a store adapter runs to prove it does what the engine relies on.

Subclass ``StoreConformance`` in a test module and give it a ``make_store`` fixture that
creates the collections it is handed (columns, key, rows) in the adapter's backend and
returns the adapter open on them; pytest then runs every check below against it::

    from custos.stores.testing import StoreConformance

    class TestMyStore(StoreConformance):
        @pytest.fixture
        def make_store(self, tmp_path):
            def make(collections):
                ...  # create and fill the collections, then
                return MyStore("crm", url)
            return make

Each check is a behaviour the engine depends on: a lookup finds a person whatever case and
spacing the identity is stored in and never matches an empty value; values are bound, not
written into statements, so quotes and wildcards match only themselves; masks are
idempotent and never fill an empty value; a failed transaction changes nothing; tables
without a key and with duplicate rows are handled as sets. The built-in reference store
(``custos.stores.memory``) and the SQL adapter on SQLite, PostgreSQL and MariaDB pass it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from custos.matching import BUILTIN
from custos.stores.base import Assignment, ColumnKind, Selector, Store
from custos.stores.memory import Collection

MakeStore = Callable[[Mapping[str, Collection]], Store]

PEOPLE = Collection(
    columns={"id": ColumnKind.INTEGER, "email": ColumnKind.STRING, "phone": ColumnKind.STRING,
             "name": ColumnKind.STRING, "note": ColumnKind.STRING},
    key=("id",),
    rows=[
        {"id": 1, "email": "mateo.185@Example.COM", "phone": "(415) 555-0100", "name": "Mateo", "note": "vip"},
        {"id": 2, "email": "  ana@example.com ", "phone": "+1 415 555 0101", "name": "Ana", "note": None},
        {"id": 3, "email": None, "phone": None, "name": None, "note": None},
        {"id": 4, "email": "o'brien%_@example.com", "phone": "4155550104", "name": "Seán", "note": "x"},
        {"id": 5, "email": "zoë@example.com", "phone": "415.555.0105", "name": "Zoë", "note": "y"},
    ],
)
# a log without a key, holding the same row twice
VISITS = Collection(
    columns={"person_id": ColumnKind.INTEGER, "email": ColumnKind.STRING, "page": ColumnKind.STRING},
    rows=[
        {"person_id": 1, "email": "mateo.185@example.com", "page": "/a"},
        {"person_id": 1, "email": "mateo.185@example.com", "page": "/a"},
        {"person_id": 2, "email": "ana@example.com", "page": "/b"},
        {"person_id": None, "email": None, "page": "/c"},
    ],
)
MANY = 2_500  # more keys than any adapter's single statement takes


def _many() -> Collection:
    return Collection(columns={"id": ColumnKind.INTEGER, "token": ColumnKind.STRING}, key=("id",),
                      rows=[{"id": i, "token": f"t{i}"} for i in range(MANY)])


def _ids(rows: list[dict[str, Any]]) -> list[Any]:
    return sorted(row["id"] for row in rows)


class StoreConformance:
    """The checks; a subclass provides the ``make_store`` fixture."""

    @pytest.fixture
    def store(self, make_store: MakeStore) -> Any:
        store = make_store({"people": PEOPLE, "visits": VISITS, "many": _many()})
        yield store
        store.close()

    def test_describe_names_each_field_its_key_and_a_missing_collection(self, store: Store) -> None:
        described = store.describe(["people", "visits", "no_such_collection"])
        assert described["no_such_collection"] is None
        people = described["people"]
        assert people is not None and set(people) == set(PEOPLE.columns)
        assert people["id"].primary_key and people["id"].kind is ColumnKind.INTEGER
        assert people["email"].kind is ColumnKind.STRING and not people["email"].primary_key
        visits = described["visits"]
        assert visits is not None and not any(column.primary_key for column in visits.values())

    def test_fetch_by_key_reads_exactly_the_fields_asked(self, store: Store) -> None:
        rows = store.fetch("people", Selector.by_keys(["id"], [(1,), (5,), (99,)]), ["id", "name"])
        assert sorted(rows, key=lambda r: r["id"]) == [{"id": 1, "name": "Mateo"}, {"id": 5, "name": "Zoë"}]

    def test_fetch_by_value_through_a_rule_finds_every_stored_form(self, store: Store) -> None:
        rule = BUILTIN["trim_casefold"]
        wanted = rule.candidates("MATEO.185@example.com") | rule.candidates("Ana@Example.com")
        rows = store.fetch("people", Selector.by_values({"email": wanted}, {"email": rule}), ["id"])
        assert _ids(rows) == [1, 2]

    def test_a_phone_rule_matches_every_stored_format(self, store: Store) -> None:
        rule = BUILTIN["phone"]
        wanted: set[str] = set()
        for number in ("415-555-0100", "(415) 555 0101", "+14155550104", "4155550105"):
            wanted |= rule.candidates(number, "US")
        rows = store.fetch("people", Selector.by_values({"phone": wanted}, {"phone": rule}), ["id"])
        assert _ids(rows) == [1, 2, 4, 5]

    def test_the_exact_rule_is_exact_whatever_the_column_compares(self, store: Store) -> None:
        # identity values always come with their rule; a selector without one (keys and the
        # references between collections) compares as the store itself compares values
        exact = {"email": BUILTIN["exact"]}
        assert store.fetch("people", Selector.by_values({"email": {"mateo.185@example.com"}}, exact), ["id"]) == []
        assert store.fetch("people", Selector.by_values({"email": {"  ana@example.com"}}, exact), ["id"]) == []
        rows = store.fetch("people", Selector.by_values({"email": {"mateo.185@Example.COM"}}, exact), ["id"])
        assert _ids(rows) == [1]

    def test_quotes_and_wildcards_match_only_themselves(self, store: Store) -> None:
        rows = store.fetch("people", Selector.by_values({"email": {"o'brien%_@example.com"}}), ["id"])
        assert _ids(rows) == [4]
        assert store.fetch("people", Selector.by_values({"email": {"%", "_", "' OR '1'='1"}}), ["id"]) == []

    def test_any_of_several_fields_and_never_an_empty_value(self, store: Store) -> None:
        rows = store.fetch("people", Selector.by_values({"email": {"zoë@example.com"}, "name": {"Seán"}}), ["id"])
        assert _ids(rows) == [4, 5]
        assert store.fetch("people", Selector.by_values({"email": set(), "name": set()}), ["id"]) == []

    def test_values_are_compared_as_the_columns_type(self, store: Store) -> None:
        # a key found in one store as text matches an integer key in another, and back
        rows = store.fetch("people", Selector.by_values({"id": {"1", "5", "not a number"}}), ["id"])
        assert _ids(rows) == [1, 5]
        assert _ids(store.fetch("people", Selector.by_keys(["id"], [("4",)]), ["id"])) == [4]

    def test_a_table_without_a_key_returns_each_duplicate(self, store: Store) -> None:
        rows = store.fetch("visits", Selector.by_values({"person_id": {1}}), ["person_id", "page"])
        assert rows == [{"person_id": 1, "page": "/a"}] * 2

    def test_more_keys_than_one_statement_takes(self, store: Store) -> None:
        keys = [(i,) for i in range(0, MANY + 100, 1)]
        rows = store.fetch("many", Selector.by_keys(["id"], keys), ["id"])
        assert _ids(rows) == list(range(MANY))

    def test_a_constant_mask_is_idempotent_and_never_fills_an_empty_value(self, store: Store) -> None:
        mask = [Assignment("note", set_constant=True, constant="[erased]")]
        selector = Selector.by_keys(["id"], [(1,), (2,), (3,)])
        with store.transaction() as tx:
            assert tx.update("people", selector, mask) == 1  # rows 2 and 3 hold no note
        with store.transaction() as tx:
            assert tx.update("people", selector, mask) == 0
        notes = {r["id"]: r["note"] for r in store.fetch("people", selector, ["id", "note"])}
        assert notes == {1: "[erased]", 2: None, 3: None}

    def test_a_correction_fills_an_empty_value_and_changes_case_exactly(self, store: Store) -> None:
        selector = Selector.by_keys(["id"], [(1,), (2,), (3,)])
        fill = [Assignment("note", set_constant=True, constant="checked", fill_empty=True)]
        upper = [Assignment("name", set_constant=True, constant="MATEO", fill_empty=True)]
        with store.transaction() as tx:
            assert tx.update("people", selector, fill) == 3  # row 1 changes; rows 2 and 3 held no note
            assert tx.update("people", Selector.by_keys(["id"], [(1,)]), upper) == 1
        with store.transaction() as tx:
            assert tx.update("people", selector, fill) == 0
            assert tx.update("people", Selector.by_keys(["id"], [(1,)]), upper) == 0
        rows = {r["id"]: (r["name"], r["note"]) for r in store.fetch("people", selector, ["id", "name", "note"])}
        # "Mateo" to "MATEO" is a change, even where the column compares without case
        assert rows == {1: ("MATEO", "checked"), 2: ("Ana", "checked"), 3: (None, "checked")}

    def test_a_mapping_replaces_only_the_values_it_names(self, store: Store) -> None:
        mapping = [Assignment("email", mapping={"mateo.185@example.com": "erased-1@invalid"})]
        with store.transaction() as tx:
            assert tx.update("visits", Selector.by_values({"person_id": {1, 2}}), mapping) == 2
        with store.transaction() as tx:
            assert tx.update("visits", Selector.by_values({"person_id": {1, 2}}), mapping) == 0
        emails = sorted(str(r["email"]) for r in store.fetch("visits", Selector.by_values({"person_id": {1, 2}}),
                                                             ["email"]))
        assert emails == ["ana@example.com", "erased-1@invalid", "erased-1@invalid"]

    def test_only_where_in_limits_a_mask_to_the_values_named(self, store: Store) -> None:
        clear = [Assignment("name", set_constant=True, constant=None, only_where_in=frozenset({"Mateo"}))]
        with store.transaction() as tx:
            assert tx.update("people", Selector.by_keys(["id"], [(1,), (2,)]), clear) == 1
        names = {r["id"]: r["name"] for r in store.fetch("people", Selector.by_keys(["id"], [(1,), (2,)]),
                                                         ["id", "name"])}
        assert names == {1: None, 2: "Ana"}

    def test_delete_by_key_and_by_value_without_a_key(self, store: Store) -> None:
        with store.transaction() as tx:
            assert tx.delete("people", Selector.by_keys(["id"], [(2,), (99,)])) == 1
            assert tx.delete("visits", Selector.by_values({"person_id": {1}})) == 2
        assert _ids(store.fetch("people", Selector.by_keys(["id"], [(i,) for i in range(6)]), ["id"])) == [1, 3, 4, 5]
        pages = sorted(str(r["page"]) for r in store.fetch("visits", Selector.by_values({"page": {"/a", "/b", "/c"}}),
                                                           ["page"]))
        assert pages == ["/b", "/c"]

    def test_a_transaction_that_fails_changes_nothing(self, store: Store) -> None:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.delete("people", Selector.by_keys(["id"], [(1,)]))
            tx.update("people", Selector.by_keys(["id"], [(4,)]),
                      [Assignment("note", set_constant=True, constant="[erased]")])
            raise RuntimeError("the process failed half-way")
        rows = store.fetch("people", Selector.by_keys(["id"], [(1,), (4,)]), ["id", "note"])
        assert sorted(rows, key=lambda r: r["id"]) == [{"id": 1, "note": "vip"}, {"id": 4, "note": "x"}]

    def test_reads_inside_a_transaction_see_its_writes(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.delete("people", Selector.by_keys(["id"], [(5,)]))
            assert tx.fetch("people", Selector.by_keys(["id"], [(5,)]), ["id"]) == []
        with store.reading():
            assert store.fetch("people", Selector.by_keys(["id"], [(5,)]), ["id"]) == []
            assert len(store.fetch("people", Selector.by_keys(["id"], [(1,)]), ["id"])) == 1
