"""Consent settings, read from ``CUSTOS_CONSENT_*`` variables beside the service's own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsentSettings(BaseSettings):
    """Every consent setting, its default and what it is for."""

    model_config = SettingsConfigDict(env_prefix="CUSTOS_CONSENT_", extra="ignore")

    honor_dnt: bool = Field(
        False,
        description="treat a Do Not Track signal (DNT: 1) like Global Privacy Control; "
        "off by default, as the example policies say they do not honor it",
    )
    allowed_origins: str = Field(
        "*", description="comma-separated origins whose pages may call the consent API (CORS); * for any"
    )
    default_language: str = Field("en", description="banner language when the page names none it knows")
    texts_file: str = Field(
        "", description="YAML file of banner texts per language laid over the built-in English and German "
        "(a new language gives every text); empty for the built-in texts",
    )
    confirmation_hours: int = Field(48, ge=1, le=720, description="how long a double opt-in link works")
    unsubscribe_days: int = Field(
        400, ge=30, le=3650, description="how long an unsubscribe link works (RFC 8058 senders expect 30+ days)"
    )
    webhook_attempts: int = Field(8, ge=1, le=30, description="attempts of a webhook delivery before it fails")
    webhook_backoff_seconds: float = Field(
        30.0, gt=0, description="delay before the first retry; each later retry waits twice as long"
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="how long a webhook call may take")
    webhook_worker: bool = Field(True, description="deliver webhooks from a background thread of the app")
    gpc_last_update: str = Field(
        "2026-01-01", pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="the lastUpdate date published in /.well-known/gpc.json",
    )
    rate_limit_per_minute: int = Field(
        120, ge=1, description="calls per minute and client address to the public consent and email endpoints "
        "(a page load of the banner makes up to three)",
    )
    state_cache_seconds: float = Field(
        30.0, ge=0, description="how long a subject's current state is served from memory; "
        "0 turns the cache off (choices written by another process show after at most this long)",
    )
    batch_max: int = Field(256, ge=1, le=5000, description="choices written together in one transaction at most")
    batch_wait_ms: float = Field(
        0.0, ge=0, le=50, description="how long the writer waits for more choices before a transaction "
                                      "(0: none; choices that arrive while one is written still share the next)",
    )
    reask_days: int = Field(
        365, ge=365, le=3650,
        description="after an opt-out, days before the banner may ask to opt back in (CCPA 1798.135(c)(4))",
    )
