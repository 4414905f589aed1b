"""``custos demo``: a sample shop, one person's plan, access and erasure, a second run, and a dry run of retention."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from custos.config import Settings
from custos.datamap import DataMap, load_datamap
from custos.demo import build_shop, demo_map_text
from custos.engine import Engine, Subject
from custos.engine.minors import find_minors
from custos.engine.retention import Retention
from custos.notice import render_notice
from custos.package import build_package
from custos.rules import rule_set
from custos.terminal import print_erasure, print_plan

DEFAULT_URL = "${SHOP_DB_URL:-sqlite:///shop.db}"


def _say(text: str = "") -> None:
    typer.echo(text)


def run_demo(directory: Path, *, customers: int = 200, seed: int = 7) -> None:
    """Build the shop in ``directory``, then run one person's requests against it."""
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    database = (directory / "shop.db").resolve()
    database.unlink(missing_ok=True)
    summary = build_shop(f"sqlite:///{database}", customers=customers, seed=seed)
    map_path = directory / "custos.yaml"
    map_path.write_text(
        demo_map_text().replace(DEFAULT_URL, "${SHOP_DB_URL:-sqlite:///" + str(database) + "}"),
        encoding="utf-8",
    )
    total = sum(summary.counts.values())
    _say(f"Custos demo: Acme Shop, Inc. in {directory}/")
    _say(f"  database  {database.name}: {customers} customers, {total:,} rows in {len(summary.counts)} tables")
    _say(f"  data map  {map_path.name}")

    datamap = load_datamap(map_path)
    settings = Settings(state_dir=str(directory / ".custos"))
    engine = Engine(datamap, secret_key=settings.secret(), journal=settings.journal_path)
    subject = Subject.of(email=summary.demo_subject)
    try:
        engine.check_schema()
        _say("  validate  the map fits the live database (tables, columns, types, strategies)")
        _say()
        _say("1. Plan (a dry run)")
        print_plan(engine.plan(subject))
        _say()
        _say("2. Access")
        access = engine.access(subject)
        package = directory / "access.zip"
        package.write_bytes(build_package(datamap, access))
        for dataset, collections in access.datasets().items():
            for name, rows in collections.items():
                _say(f"  {dataset}.{name}: {len(rows)} row(s)")
        _say(f"  package   {package} (data.json, one CSV per table, report.html)")
        _say()
        _say("3. Erasure")
        print_erasure(engine.erase(subject))
        _say()
        _say("4. The same erasure again")
        again = engine.erase(subject)
        _say(f"  {again.status}: {again.rows_changed} row(s) changed, {again.rows_deleted} deleted")
        _say()
        _say("5. Retention (a dry run of the scheduled sweep)")
        plan = Retention(engine).plan(datetime.now(UTC))
        for rule in plan.rules:
            if rule.due:
                _say(f"  {rule.collection}: {rule.due} row(s) past {rule.period} ({rule.purpose}), would {rule.action}")
        age, source = max((r.children.age, r.children.source) for r in map(rule_set, datamap.organization.jurisdictions)
                          if r.children is not None)
        children = find_minors(engine, date.today(), age)
        _say(f"  minors    {len(children)} customer(s) under {age} ({source}) with no parent's consent: "
             "the sweep opens an erasure request for an operator to review")
        notice = _write_notice(datamap, directory)
    finally:
        engine.close()
    _say()
    _say(f"Privacy notice generated from the same map: {notice}")
    elapsed = time.perf_counter() - started
    other = next((s for s in summary.subjects if s != summary.demo_subject), summary.sample_email(1))
    _say(f"Done in {elapsed:.1f} s. Try another person from the shop:")
    _say(f"  custos access --map {map_path} --email {other}")
    _say(f"  custos plan --map {map_path} --email {other}")
    _say("Serve the privacy center, the admin console and the API on this shop:")
    _say(f"  CUSTOS_DATAMAP={map_path} custos serve")


def _write_notice(datamap: DataMap, directory: Path) -> Path:
    """The privacy notice rendered from the same map the requests ran on."""
    rendered = render_notice(datamap, "html", date.today())
    path = directory / "notice.html"
    path.write_text(rendered.text, encoding="utf-8")
    return path
