"""The consent part's shared state: the service, its settings, purposes and notice version."""

from __future__ import annotations

import threading
import time
import weakref
from datetime import date
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request

from custos.consent.cache import StateCache
from custos.consent.purposes import ConsentPurpose, consent_purposes
from custos.consent.settings import ConsentSettings
from custos.consent.texts import load_texts
from custos.errors import CustosError
from custos.service.core import Service

if TYPE_CHECKING:
    from custos.consent.submission import Recorder
    from custos.service.http.security import RateLimiter

_NOTICE_TTL = 300.0


class Consent:
    """Built once per app by ``install``; handlers reach it through ``app.state.consent``."""

    def __init__(self, service: Service, settings: ConsentSettings | None = None) -> None:
        self.service = service
        self.settings = settings or ConsentSettings()
        self._lock = threading.Lock()
        self._notice: tuple[float, str, frozenset[str]] | None = None
        self._purposes: list[ConsentPurpose] | None = None
        self.wake: threading.Event = threading.Event()  # set when a webhook delivery is queued
        self.endpoint_cache: tuple[float, list[tuple[str, list[str]]]] | None = None
        self.states = _states_of(service, self.settings.state_cache_seconds)
        self._recorder: Recorder | None = None
        self.limiter: RateLimiter | None = None
        # the banner's texts, read (and checked) once: a bad texts file stops the app at start
        self.texts = load_texts(self.settings.texts_file)

    @property
    def recorder(self) -> Recorder:
        """The writer that groups concurrent choices into one transaction (started on first use)."""
        with self._lock:
            if self._recorder is None:
                from custos.consent.submission import Recorder

                self._recorder = Recorder(self)
            return self._recorder

    def stop(self) -> None:
        """Write what is queued and stop the writer."""
        with self._lock:
            recorder, self._recorder = self._recorder, None
        if recorder is not None:
            recorder.stop()

    @property
    def purposes(self) -> list[ConsentPurpose]:
        if self._purposes is None:
            self._purposes = consent_purposes(self.service.datamap)
        return self._purposes

    def purpose(self, key: str) -> ConsentPurpose | None:
        return next((p for p in self.purposes if p.key == key), None)

    @property
    def opt_out_keys(self) -> list[str]:
        return [p.key for p in self.purposes if p.opt_out]

    def notice_version(self) -> str:
        """The version (SHA-256) of the privacy notice a person sees now."""
        return self._notice_state()[1]

    def known_notice_version(self, version: str) -> bool:
        """Whether ``version`` is the current notice or one recorded earlier."""
        current, known = self._notice_state()[1:]
        return version == current or version in known

    def _notice_state(self) -> tuple[float, str, frozenset[str]]:
        with self._lock:
            if self._notice is None or time.monotonic() - self._notice[0] > _NOTICE_TTL:
                self._notice = (time.monotonic(), *self._read_notice())
            return self._notice

    def _read_notice(self) -> tuple[str, frozenset[str]]:
        from custos.notice import NoticeVersions, publish

        store = NoticeVersions.in_state_dir(self.service.settings.state_dir)
        today = self.service.clock().date()
        try:
            # Publishing records the text, so the version a consent points at can be shown later.
            notice, _ = publish(self.service.datamap, "html", store, today=today)
            current = notice.version
        except (CustosError, OSError):
            current = _rendered_version(self.service, today)
        try:
            known = frozenset(v.version for v in store.list())
        except CustosError:
            known = frozenset()
        return current, known


_STATES: weakref.WeakKeyDictionary[Service, StateCache] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _states_of(service: Service, ttl: float) -> StateCache:
    """One state cache per service, shared by every ``Consent`` built on it, so a choice
    recorded through any of them (an agent's opt-out, a rights request) drops stale entries."""
    with _STATES_LOCK:
        found = _STATES.get(service)
        if found is None:
            found = _STATES[service] = StateCache(ttl)
        return found


def _rendered_version(service: Service, today: date) -> str:
    from custos.notice import render_notice

    return render_notice(service.datamap, "html", today).version


async def get_consent(request: Request) -> Consent:
    consent: Consent = request.app.state.consent
    return consent


def attach(app: FastAPI, settings: ConsentSettings | None = None) -> Consent:
    """The app's consent state, created on first call."""
    existing = getattr(app.state, "consent", None)
    if isinstance(existing, Consent):
        return existing
    consent = Consent(app.state.service, settings)
    app.state.consent = consent
    with _STATES_LOCK:
        _INSTALLED[app.state.service] = consent
    return consent


_INSTALLED: weakref.WeakKeyDictionary[Service, Consent] = weakref.WeakKeyDictionary()


def installed(service: Service) -> Consent | None:
    """The consent part installed on an app over ``service``, if any."""
    with _STATES_LOCK:
        return _INSTALLED.get(service)


def consent_for(service: Service) -> Consent:
    """The consent part over ``service``: the app's, or one built from the settings in a
    process without the app (a worker running consent's jobs)."""
    with _STATES_LOCK:
        found = _INSTALLED.get(service)
        if found is None:
            found = _INSTALLED[service] = Consent(service)
        return found
