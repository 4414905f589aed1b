"""``custos worker`` delivers agent status callbacks as well as jobs."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from custos.cli.service_commands import register
from tests.agents.conftest import CallbackServer, Harness
from tests.shop import ALICE


def test_worker_once_delivers_agent_callbacks(
    harness: Harness, callback_server: CallbackServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("sale:opt_out", email=ALICE, status_callback=callback_server.url)["request_id"]
    harness.run_jobs()
    settings = harness.service.settings
    for name, value in (("DATABASE_URL", settings.database_url), ("STATE_DIR", settings.state_dir),
                        ("OUTBOX_DIR", settings.outbox_dir), ("PUBLIC_URL", settings.public_url),
                        ("AGENTS_FILE", settings.agents_file)):
        monkeypatch.setenv(f"CUSTOS_{name}", value)
    cli = typer.Typer()
    register(cli)
    result = CliRunner().invoke(cli, ["worker", "--once", "--map", settings.datamap])
    assert result.exit_code == 0, result.output
    assert [(b["request_id"], b["status"]) for b in callback_server.received] == [(request_id, "fulfilled")]
