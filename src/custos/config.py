"""Settings from ``CUSTOS_*`` environment variables (and an optional ``custos.toml``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from custos.errors import ConfigError

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "custos"}


class Settings(BaseSettings):
    """Every setting, its default and what it is for."""

    model_config = SettingsConfigDict(env_prefix="CUSTOS_", toml_file="custos.toml", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development", description="production refuses insecure defaults such as a generated secret key"
    )
    database_url: str = Field(
        "sqlite:///custos.db", description="control-plane store: requests, consent, audit log"
    )
    datamap: str = Field("custos.yaml", description="path of the data map (a file or a folder)")
    secret_key: str = Field(
        "", description="key for mask_hash, signed links and tokens; generated per state folder in development"
    )
    state_dir: str = Field(".custos", description="folder for the erasure journal and generated keys")
    smtp_url: str = Field("", description="SMTP server for mail; empty writes mail to the outbox folder")
    outbox_dir: str = Field(".custos/outbox", description="where mail is written when no SMTP server is set")
    broker_url: str = Field("", description="Redis or RabbitMQ URL for Celery workers; empty runs jobs in-process")
    default_region: str = Field("US", description="region for phone numbers given without a country code")
    unverified_deletion_opt_out: str = Field(
        "ccpa",
        description="jurisdictions (comma-separated) where a deletion that cannot be verified is "
        "treated as an opt-out of sale and sharing; empty turns it off",
    )
    batch_size: int = Field(500, ge=1, le=10000, description="keys per statement in store queries")
    rules_dir: str = Field(
        "", description="folder of the company's own law files (<key>.yaml: a new law, or a built-in one "
                        "adjusted); read at start, in addition to the laws Custos ships"
    )
    plugins: bool = Field(
        True, description="load the plug-ins installed packages register under the `custos` entry-point "
                          "group; false loads Custos's own parts only"
    )
    # -- rights-request service -----------------------------------------------------------
    public_url: str = Field(
        "http://127.0.0.1:8000", description="base URL of the service, used in links sent by mail"
    )
    mail_from: str = Field("privacy@localhost", description="sender address of the service's mail")
    require_approval: str = Field(
        "erasure,correction,appeal",
        description="comma-separated request types an operator must approve before they run",
    )
    package_ttl_hours: int = Field(168, ge=1, le=8760, description="how long an access package link works")
    package_downloads: int = Field(5, ge=1, le=100, description="how many times a package may be downloaded")
    rate_limit_per_minute: int = Field(
        60, ge=1, description="requests per minute and client address on public endpoints"
    )
    near_due_days: int = Field(5, ge=0, le=60, description="days before the due date a request shows as near")
    job_attempts: int = Field(3, ge=1, le=20, description="attempts of a failing job before it is marked failed")
    recipient_notice_hours: int = Field(
        72, ge=1, le=24 * 60, description="how long a notice to a recipient may stay undelivered before the "
                                          "console lists it and its request shows as not yet complete")
    retention_every_hours: int = Field(
        24, ge=1, le=24 * 31, description="how often the worker sweeps the stores for data past its retention period")
    scan_every_hours: int = Field(
        0, ge=0, le=24 * 31, description="how often the worker scans the stores for personal data the map does "
                                         "not list (custos scan); 0 scans only when asked")
    retention_retry_minutes: int = Field(
        60, ge=1, le=24 * 60, description="how soon a retention sweep that failed is tried again")
    job_lease_seconds: int = Field(
        60, ge=5, le=3600, description="how long a running job stays its worker's without a heartbeat; a job "
                                       "whose worker died runs again once this has passed"
    )
    agents_file: str = Field(
        "", description="YAML or TOML file listing the authorized agents (DRP) the company trusts; "
                        "empty: agents are managed in the admin console only"
    )
    # -- verification through the company's signed-in accounts ----------------------------
    account_token_key: str = Field(
        "", description="key that checks the account tokens the company's site issues: an HMAC secret "
                        "(HS256, at least 32 bytes) or a PEM public key (RS256, ES256/384/512, EdDSA); "
                        "empty: account tokens are not accepted"
    )
    account_token_issuer: str = Field(
        "", description="the `iss` account tokens must carry; empty: the issuer is not checked"
    )
    account_token_audience: str = Field(
        "", description="the `aud` account tokens must carry; empty: CUSTOS_PUBLIC_URL"
    )
    account_reauth_seconds: int = Field(
        600, ge=1, le=86400,
        description="an account token's `auth_time` must be at most this many seconds old "
                    "(re-authentication before disclosure, deletion or correction)",
    )
    account_identity: str = Field(
        "user_id", pattern=r"^[a-z][a-z0-9_]*$",
        description="the data map's identity name for the account id an account token names in `sub`",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def journal_path(self) -> Path:
        return Path(self.state_dir) / "journal.db"

    @property
    def audit_checkpoint(self) -> str:
        """The file outside the database where the audit chain's signed head is kept."""
        return str(Path(self.state_dir) / "audit-checkpoint.json")

    def secret(self) -> bytes:
        """The secret key; in development a random one is kept in the state folder."""
        if self.secret_key.strip().lower() not in _PLACEHOLDERS:
            if self.env == "production" and len(self.secret_key) < 32:
                raise ConfigError("CUSTOS_SECRET_KEY must be at least 32 characters in production")
            return self.secret_key.encode()
        if self.env == "production":
            raise ConfigError("CUSTOS_SECRET_KEY is not set (or is a placeholder); production needs a real key")
        path = Path(self.state_dir) / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


def get_settings(**overrides: Any) -> Settings:
    """The settings as the environment gives them now."""
    return Settings(**overrides)
