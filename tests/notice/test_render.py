"""The rendered notice: golden files, contents drawn from the map, escaping of every value.

Refresh the golden files after an intended change with:

    CUSTOS_UPDATE_GOLDEN=1 PYTHONPATH=src python -m pytest tests/notice/test_render.py

then review the diff of ``tests/notice/golden/`` before committing it.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest

from custos.datamap import DataMap
from custos.notice import NoticeFormatError, notice_contents, privacy_center_url, render_notice
from tests.notice.conftest import GOLDEN, by_key, collection, variant

UPDATED = date(2026, 1, 15)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_golden_notice_of_the_demo_map(demo_map: DataMap, fmt: str) -> None:
    rendered = render_notice(demo_map, fmt, UPDATED)
    golden = GOLDEN / f"demo_notice.{fmt}"
    if os.environ.get("CUSTOS_UPDATE_GOLDEN") == "1":
        golden.write_text(rendered.text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; create it with CUSTOS_UPDATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    assert rendered.text == expected, (
        f"the rendered notice differs from {golden}; if the change is intended, refresh it with "
        "CUSTOS_UPDATE_GOLDEN=1 and review the diff"
    )


def test_version_is_the_sha256_of_the_text_and_stable(demo_map: DataMap) -> None:
    first = render_notice(demo_map, "html", UPDATED)
    again = render_notice(demo_map, "html", UPDATED)
    assert first.version == hashlib.sha256(first.text.encode()).hexdigest() == again.version
    assert first.short_version == first.version[:12]
    assert render_notice(demo_map, "html", date(2026, 1, 16)).version != first.version
    assert render_notice(demo_map, "md", UPDATED).version != first.version


def test_any_change_of_the_map_changes_the_version(demo_map: DataMap) -> None:
    before = render_notice(demo_map, "html", UPDATED).version
    changed = variant("demo.yaml", lambda d: by_key(d["recipients"], "carrier").update(countries=["US"]))
    assert render_notice(changed, "html", UPDATED).version != before


def test_unknown_format_is_a_user_error(demo_map: DataMap) -> None:
    with pytest.raises(NoticeFormatError, match="html or md"):
        render_notice(demo_map, "pdf", UPDATED)


def test_ccpa_table_says_yes_and_no_from_the_map(demo_map: DataMap) -> None:
    rows = {row.letter: row for row in notice_contents(demo_map, UPDATED).categories}
    assert list(rows) == list("ABCDEFGHIJKL")
    assert {k for k, row in rows.items() if row.collected} == {"A", "B", "C", "D", "F"}
    assert "User Contact Email" in rows["A"].held and "IP Address" in rows["F"].held
    assert rows["E"].examples.startswith("Genetic, physiological")
    assert rows["F"].shared_with == ("Ad network",) and rows["A"].sold_to == ()
    assert "Parcel carriers" in rows["D"].disclosed_to


def test_rights_carry_the_deadline_of_each_jurisdiction(demo_map: DataMap) -> None:
    rights = {r.key: r for r in notice_contents(demo_map, UPDATED).rights}
    know = {d.jurisdiction: d.deadline for d in rights["know"].deadlines}
    assert know["ccpa"].startswith("45 calendar days, extendable by 45 calendar days")
    assert know["gdpr"].startswith("1 month, extendable by 2 months")
    opt_out = {d.jurisdiction: d.deadline for d in rights["opt_out"].deadlines}
    assert opt_out == {"ccpa": "15 business days"}  # the demo shares, so the right is shown
    assert [d.jurisdiction for d in rights["complaint"].deadlines] == ["gdpr"]
    assert [d.jurisdiction for d in rights["restriction"].deadlines] == ["gdpr"]
    assert "limit" not in rights  # no sensitive data serves a purpose beyond 11 CCR 7027(m)


def test_opt_out_right_only_when_the_map_sells_or_shares() -> None:
    def no_sharing(data: dict[str, Any]) -> None:
        data["purposes"] = [p for p in data["purposes"] if p["key"] != "advertising"]
        by_key(data["recipients"], "ad_network")["shared"] = False

    contents = notice_contents(variant("demo.yaml", no_sharing), UPDATED)
    assert "opt_out" not in {r.key for r in contents.rights}
    assert contents.sold == () and contents.shared == ()


def test_two_methods_privacy_center_and_email(demo_map: DataMap) -> None:
    methods = notice_contents(demo_map, UPDATED).methods
    assert [(m.label, m.href) for m in methods[:2]] == [
        ("Privacy center", "https://shop.acme.example/privacy-center"),
        ("Email", "mailto:privacy@acme.example"),
    ]
    assert privacy_center_url(None) == "/privacy-center"
    assert privacy_center_url("www.example.com/") == "https://www.example.com/privacy-center"


def test_retention_per_category_with_the_exception_that_keeps_data(demo_map: DataMap) -> None:
    rows = {row.key: row for row in notice_contents(demo_map, UPDATED).retention}
    purchase = rows["user.behavior.purchase_history"]
    assert any("7 years from when we collect it" in p for p in purchase.periods)
    assert purchase.kept == ("Kept after a deletion request for 7 years: Legal obligation "
                             "(CCPA 1798.105(d)(8); GDPR Art. 17(3)(b))",)
    assert rows["user.demographic.date_of_birth"].periods == ("No set period",)


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []
        self.headers: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "th":
            self.headers.append(dict(attrs))
        if tag not in ("meta", "br", "link", "img", "input", "hr"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()


def test_html_is_well_formed_and_accessible(demo_map: DataMap) -> None:
    text = render_notice(demo_map, "html", UPDATED).text
    parser = _Structure()
    parser.feed(text)
    assert parser.errors == [] and parser.open == []
    assert '<html lang="en">' in text and "<main>" in text and "@media print" in text
    assert parser.headers and all(h.get("scope") in ("col", "row") for h in parser.headers)
    assert parser.tags.count("table") == parser.tags.count("caption")
    levels = [int(t[1]) for t in parser.tags if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert "<script" not in text  # no script at all: the page works printed and offline


HOSTILE = '<script>alert("x")</script>'


def _hostile(data: dict[str, Any]) -> None:
    organization = data["organization"]
    for key in ("name", "address", "phone", "dpo", "representative"):
        organization[key] = f"{key} {HOSTILE}"
    organization["privacy_contact"] = f"privacy{HOSTILE}@acme.example"
    organization["website"] = f"https://shop.acme.example/{HOSTILE}"
    organization["security_measures"] = [f"measure {HOSTILE}"]
    for purpose in data["purposes"]:
        purpose["name"] = f"{purpose['name']} {HOSTILE}"
        purpose["description"] = f"why {HOSTILE}"
        purpose["legitimate_interest"] = f"interest {HOSTILE}"
        purpose["automated_decisions"] = f"decisions {HOSTILE}"
        purpose["sources"] = [*purpose["sources"], "partner_<b>"]
    for recipient in data["recipients"]:
        recipient["name"] = f"{recipient['name']} {HOSTILE}"
        recipient["safeguards"] = f"clauses {HOSTILE}"
        recipient["countries"] = [*recipient["countries"], "<i>"]
    data["taxonomy"] = {"categories": [{"key": "user.custom", "name": f"Custom {HOSTILE}"}]}
    collection(data, "shop.customers")["fields"].append(
        {"name": "loyalty", "categories": ["user.custom"], "erase": "mask_null"}
    )
    data["exceptions"][0]["ccpa"] = f"1798 {HOSTILE}"


def test_every_value_from_the_map_is_escaped_in_html() -> None:
    text = render_notice(variant("demo.yaml", _hostile), "html", UPDATED).text
    assert "<script>" not in text and "<b>" not in text and "<i>" not in text
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for value in ("name " + escaped, "address " + escaped, "dpo " + escaped, "representative " + escaped,
                  "why " + escaped, "interest " + escaped, "decisions " + escaped, "clauses " + escaped,
                  "Custom " + escaped, "Partner &lt;b&gt;", "1798 " + escaped):
        assert value in text, value
    assert 'href="mailto:privacy&lt;script&gt;' in text


def test_every_value_from_the_map_is_escaped_in_markdown() -> None:
    text = render_notice(variant("demo.yaml", _hostile), "md", UPDATED).text
    assert "<script>" not in text and "<b>" not in text and "<i>" not in text
    assert '\\<script\\>alert("x")\\</script\\>' in text
    assert "Custom \\<script\\>" in text
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    widths = {line.count(" | ") - line.count("\\|") for line in table_rows}
    assert table_rows and all(w >= 2 for w in widths)


def test_markdown_keeps_tables_intact_when_a_value_holds_a_pipe() -> None:
    def pipe(data: dict[str, Any]) -> None:
        by_key(data["recipients"], "carrier")["name"] = "Carriers | couriers\nand posts"

    text = render_notice(variant("demo.yaml", pipe), "md", UPDATED).text
    assert "Carriers \\| couriers and posts" in text
