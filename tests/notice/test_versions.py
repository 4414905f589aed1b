"""Published notice versions: recorded once, listed, named by prefix, compared."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from custos.datamap import DataMap
from custos.notice import NoticeVersionError, NoticeVersions, publish, render_notice
from tests.notice.conftest import by_key, variant


def test_record_keeps_the_text_under_its_version_and_is_idempotent(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path / "notices")
    notice = render_notice(demo_map, "html", date(2026, 1, 15))
    entry = store.record(notice, map_digest=demo_map.digest)
    assert entry.version == notice.version and entry.format == "html"
    assert (tmp_path / "notices" / f"{notice.version}.html").read_text(encoding="utf-8") == notice.text
    assert store.record(notice) == entry
    index = json.loads((tmp_path / "notices" / "index.json").read_text())
    assert [v["version"] for v in index["versions"]] == [notice.version]
    assert index["versions"][0]["map_digest"] == demo_map.digest
    assert store.text(notice.version[:8]) == notice.text


def test_list_in_recording_order_and_latest_per_format(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path)
    first = store.record(render_notice(demo_map, "html", date(2026, 1, 1)))
    markdown = store.record(render_notice(demo_map, "md", date(2026, 1, 1)))
    second = store.record(render_notice(demo_map, "html", date(2026, 2, 1)))
    assert [v.version for v in store.list()] == [first.version, markdown.version, second.version]
    assert store.latest("html") == second and store.latest("md") == markdown
    assert NoticeVersions(tmp_path / "empty").list() == []


def test_unknown_short_or_ambiguous_names_are_refused(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path)
    entry = store.record(render_notice(demo_map, "html", date(2026, 1, 1)))
    assert store.resolve(entry.version.upper()) == entry
    with pytest.raises(NoticeVersionError, match="at least 6"):
        store.resolve(entry.version[:4])
    unknown = "0" * 12 if not entry.version.startswith("000000") else "f" * 12
    with pytest.raises(NoticeVersionError, match="no notice version"):
        store.resolve(unknown)
    index = json.loads((tmp_path / "index.json").read_text())
    twins = [dict(index["versions"][0], version="abcdef" + str(n) * 58) for n in (1, 2)]
    (tmp_path / "index.json").write_text(json.dumps({"versions": twins}))
    with pytest.raises(NoticeVersionError, match="names several versions"):
        store.resolve("abcdef")
    assert store.resolve("abcdef2").version.startswith("abcdef2")


def test_a_changed_file_is_detected(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path)
    entry = store.record(render_notice(demo_map, "md", date(2026, 1, 1)))
    (tmp_path / entry.file_name).write_text("tampered", encoding="utf-8")
    with pytest.raises(NoticeVersionError, match="changed after it was recorded"):
        store.text(entry.version)


def test_diff_between_two_versions(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path)
    old = store.record(render_notice(demo_map, "md", date(2026, 1, 15)))
    changed = variant("demo.yaml", lambda d: by_key(d["recipients"], "carrier").update(name="Couriers"))
    new = store.record(render_notice(changed, "md", date(2026, 3, 1)))
    diff = store.diff(old.version[:10], new.version[:10])
    assert diff.startswith(f"--- {old.version[:12]} (md, updated 2026-01-15)\n+++ {new.version[:12]} (md, updated 2026-03-01)\n")
    assert "-Last updated: January 15, 2026." in diff and "+Last updated: March 1, 2026." in diff
    assert any(line.startswith("+") and "Couriers" in line for line in diff.splitlines())
    assert any(line.startswith("-") and "Parcel carriers" in line for line in diff.splitlines())
    assert store.diff(old.version, old.version) == ""


def test_publish_keeps_the_date_while_nothing_changes(tmp_path: Path, demo_map: DataMap) -> None:
    store = NoticeVersions(tmp_path)
    first, entry = publish(demo_map, "html", store, today=date(2026, 1, 15))
    assert first.updated == date(2026, 1, 15)
    again, same = publish(demo_map, "html", store, today=date(2026, 6, 1))
    assert same == entry and again.text == first.text and len(store.list()) == 1
    changed = variant("demo.yaml", lambda d: by_key(d["recipients"], "carrier").update(name="Couriers"))
    moved, newer = publish(changed, "html", store, today=date(2026, 6, 1))
    assert moved.updated == date(2026, 6, 1) and newer.version != entry.version
    forced, _ = publish(changed, "html", store, today=date(2026, 6, 1), updated=date(2026, 7, 4))
    assert forced.updated == date(2026, 7, 4) and len(store.list()) == 3
