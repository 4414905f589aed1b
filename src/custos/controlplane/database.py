"""The connection to the control-plane database: its unit of work, the lock that keeps one
SQLite writer at a time across processes, and the migrations."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import (
    Session,
    sessionmaker,
)

try:
    import fcntl
except ImportError:  # not POSIX: writers of several processes rely on SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]


MIGRATIONS = Path(__file__).parent / "migrations"


class ControlPlane:
    """The connection to the control-plane database and its unit of work."""

    def __init__(self, url: str, *, audit_key: bytes | None = None, checkpoint: str | None = None) -> None:
        """``audit_key`` signs the audit chain's head; ``checkpoint`` is a file outside the
        database where the signed head is written as the chain grows (``custos.service.audit``)."""
        from custos.stores.sql import normalize_url

        self.url = url
        self.audit_key = audit_key
        self.checkpoint = checkpoint
        anchors = {"custos.audit.key": audit_key, "custos.audit.checkpoint": checkpoint}
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = sa.create_engine(normalize_url(url), **kwargs)
        self._lock_file: int | None = None
        self._holding = False
        self._depth = 0  # write() may nest within one thread; the lock file is let go by the outermost
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if database and database != ":memory:" and not database.startswith("file:") and fcntl is not None:
                self._lock_file = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT, 0o600)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", self._sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=anchors)
        # writers' connections carry a mark, so that their transaction begins as a writer's
        self._writer_sessions = sessionmaker(self.engine.execution_options(**{_WRITER: True}),
                                             expire_on_commit=False, info=anchors)
        self._write = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing is committed."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together, or not at all.

        Writers in one process take turns, so the audit chain gets one successor per entry.
        Across processes (several ``custos serve`` workers, ``custos worker``) a writer takes
        the database's write lock at its transaction's first statement (on SQLite a lock file,
        then ``BEGIN IMMEDIATE``; elsewhere the chain head's row lock), so writers queue
        instead of failing, and work done before that statement overlaps with other
        processes' writes. The unique ``seq`` still refuses any fork.
        Callables in ``session.info["after_commit"]`` run once the transaction has committed.
        """
        with self._write:
            self._depth += 1
            try:
                with self._writer_sessions() as session:
                    with session.begin():
                        yield session
                    callbacks = session.info.pop("after_commit", [])
            finally:
                self._depth -= 1
                if not self._depth:
                    self._release()
        for callback in callbacks:
            callback()

    def _sqlite_begin(self, connection: sa.Connection) -> None:
        """Begin each transaction ourselves: a writer first queues on the lock file (a blocked
        ``flock`` wakes the moment the previous writer is done, where SQLite's busy handler
        polls with sleeps of up to 100 ms), then takes the write lock at once
        (``IMMEDIATE``), so it never reads, finds another process has written since, and fails."""
        if not connection.get_execution_options().get(_WRITER):
            connection.exec_driver_sql("BEGIN")
            return
        if self._lock_file is not None and not self._holding:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._holding = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def _release(self) -> None:
        if self._holding and self._lock_file is not None:
            self._holding = False
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None


_WRITER = "custos_writer"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # the driver's own implicit BEGIN is off; _sqlite_begin begins
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives a crash of the process; only a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Any:
    """An Alembic configuration built in code: works from an installed package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: sa.Engine, revision: str = "heads") -> None:
    """Run the Alembic migrations up to ``revision`` (every branch head by default) on ``engine``."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
