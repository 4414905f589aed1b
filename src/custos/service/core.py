"""The service's shared parts, built once per process: settings, store, keys, mail, engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from custos.config import Settings
from custos.controlplane import ControlPlane, now
from custos.datamap import DataMap, load_datamap
from custos.engine import Engine
from custos.rules import RequestType, RuleSet, load_rule_sets, request_kind, rule_set
from custos.rules import configure as configure_laws
from custos.service.errors import InvalidRequestError
from custos.service.mail import Mailer
from custos.service.vault import Vault
from custos.service.work.batching import WriteBehind

if TYPE_CHECKING:
    from custos.service.requests.intake import Created, Intake

Clock = Callable[[], datetime]


class Service:
    """Everything a request handler or a job needs, with the data map and engine opened lazily.

    ``clock`` gives the current instant (tests pass a fixed one); the engine is used by
    one thread at a time through ``engine_lock``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = now,
        datamap: DataMap | None = None,
        migrate: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        configure_laws(settings.rules_dir or None)  # a company's own law files, read with the built-in ones
        load_rule_sets()  # a company's law file that does not hold stops the service here, naming it
        self.plane = ControlPlane(settings.database_url, audit_key=settings.secret(),
                                  checkpoint=settings.audit_checkpoint)
        if migrate:
            self.plane.migrate()
        self.vault = Vault(settings.secret())
        self.mailer = Mailer(sender=settings.mail_from, smtp_url=settings.smtp_url, outbox=settings.outbox_dir)
        self.engine_lock = threading.RLock()
        # Called after a transaction that queued a job commits, with the delay before it is due;
        # set by the Celery integration so a worker wakes up (in-process runners poll instead).
        self.wake: Callable[[float], None] | None = None
        self._datamap = datamap
        self._engine: Engine | None = None
        self._intake: WriteBehind[Intake, Created] | None = None
        self._intake_lock = threading.Lock()
        # Jurisdictions where a deletion request that cannot be verified is treated as an
        # opt-out of sale and sharing (CUSTOS_UNVERIFIED_DELETION_OPT_OUT, comma-separated).
        self.unverified_deletion_opt_out: frozenset[str] = frozenset(
            key.strip().lower() for key in settings.unverified_deletion_opt_out.split(",") if key.strip())

    @property
    def datamap(self) -> DataMap:
        if self._datamap is None:
            self._datamap = load_datamap(self.settings.datamap)
        return self._datamap

    @property
    def engine(self) -> Engine:
        """The engine for the data map; hold ``engine_lock`` while using it."""
        if self._engine is None:
            Path(self.settings.state_dir).mkdir(parents=True, exist_ok=True)
            self._engine = Engine(
                self.datamap,
                secret_key=self.settings.secret(),
                journal=self.settings.journal_path,
                batch_size=self.settings.batch_size,
            )
        return self._engine

    @property
    def intake(self) -> WriteBehind[Intake, Created]:
        """Group commit for new requests: ``intake.submit(Intake)`` gives a future of the
        created request, its token and its mail (already sent), once committed."""
        with self._intake_lock:
            if self._intake is None:
                from custos.service.requests.intake import create_and_send

                self._intake = WriteBehind(lambda items: create_and_send(self, items),
                                           name="custos-intake-writer", max_batch=128)
            return self._intake

    @property
    def jurisdictions(self) -> list[str]:
        """The rule sets the data map's organization is bound by, the default first."""
        return list(self.datamap.organization.jurisdictions)

    def rule_set(self, key: str | None) -> RuleSet:
        """The rule set ``key`` (default: the data map's first), if the organization uses it."""
        chosen = key or self.jurisdictions[0]
        if chosen not in self.jurisdictions:
            raise InvalidRequestError(
                f"jurisdiction {chosen!r} is not one this organization answers under; "
                f"valid: {', '.join(self.jurisdictions)}"
            )
        return rule_set(chosen)

    @cached_property
    def approval_types(self) -> frozenset[RequestType | str]:
        """Request types an operator approves before they run (``CUSTOS_REQUIRE_APPROVAL``)."""
        names = [n.strip() for n in self.settings.require_approval.split(",") if n.strip()]
        return frozenset(request_kind(n) for n in names)

    def link(self, path: str) -> str:
        return self.settings.public_url.rstrip("/") + path

    def close(self) -> None:
        if self._intake is not None:
            self._intake.stop()  # what is queued is written before the store closes
        if self._engine is not None:
            self._engine.close()
        self.plane.close()
