"""Settings, read once from the environment (prefix ``SVERKA_``) and an optional ``.env`` file.

The defaults are the embedded mode: a SQLite file under ``./var/``, tasks run in-process. Setting
``SVERKA_DATABASE_URL`` to PostgreSQL and ``SVERKA_REDIS_URL`` switches to the production topology
without any code change.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SVERKA_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the embedded mode keeps its files.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite in var_dir.")
    redis_url: str = Field(default="", description="Celery broker; empty = tasks run in-process.")
    max_statement_bytes: int = Field(default=50 * 1024 * 1024, description="Refuse larger statement files.")
    csv_profiles_dir: Path | None = Field(default=None, description="Extra CSV column-mapping profiles.")
    auto_match_confidence: float = Field(default=0.9, description="Allocate automatically at or above this.")
    fee_tolerance_minor: int = Field(default=100_00, description="Bank-fee shortfall tolerated, minor units.")
    auto_migrate: bool = Field(default=True, description="Migrate on start (embedded mode); off in production.")
    # Webhooks (services/notifier; docs/webhooks.md explains the schedule and the safety rules).
    webhook_allow_private_targets: bool = Field(
        default=False, description="Allow webhook URLs on private/loopback/link-local addresses (tests, labs)."
    )
    webhook_connect_timeout_seconds: float = Field(default=5.0, description="TCP/TLS connect timeout per attempt.")
    webhook_timeout_seconds: float = Field(default=10.0, description="Read/write timeout per attempt.")
    webhook_max_attempts: int = Field(default=11, description="Attempts per delivery before it is given up.")
    webhook_retry_base_seconds: float = Field(default=20.0, description="Delay after the first failed attempt.")
    webhook_retry_factor: float = Field(default=3.0, description="Each retry waits this many times longer.")
    webhook_retry_max_delay_seconds: float = Field(default=6 * 3600.0, description="Longest wait between tries.")
    webhook_retry_jitter: float = Field(default=0.2, description="Delays vary by up to ± this fraction.")
    webhook_secret_grace_seconds: int = Field(default=24 * 3600, description="Old secret still signs this long.")
    webhook_disable_after_failing_seconds: int = Field(
        default=3 * 24 * 3600, description="Disable an endpoint that has not accepted anything for this long."
    )
    webhook_send_concurrency: int = Field(
        default=8, ge=1, description="Webhooks one notifier process sends at once (1 = one after another)."
    )
    webhook_endpoint_concurrency: int = Field(
        default=1,
        ge=1,
        description="Of those, at most this many to one endpoint (1: its order kept, a 410 stops the next at once).",
    )
    # Email, documents, partner page, reminders (services/notifier; docs/documents.md).
    smtp_host: str = Field(default="", description="SMTP server; empty = the email channel is off.")
    smtp_port: int = Field(default=587, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain).")
    smtp_security: str = Field(default="starttls", description="starttls | ssl | none.")
    smtp_user: str = Field(default="", description="SMTP login; empty = no AUTH.")
    smtp_password: str = Field(default="", description="SMTP password (never journaled).")
    smtp_from: str = Field(default="Sverka <sverka@localhost>", description="From: of every email.")
    smtp_timeout_seconds: float = Field(default=30.0, description="Per SMTP command.")
    accounting_email: str = Field(default="", description="Our accountants (comma-separated): payables reminders.")
    company_name: str = Field(default="", description="Our legal name, for documents where a statement lacks it.")
    company_inn: str = Field(default="", description="Our INN, for documents.")
    company_kpp: str = Field(default="", description="Our KPP, for documents.")
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Base of links sent to partners.")
    partner_link_secret: str = Field(default="", description="Signs partner links; empty = generated in var_dir.")
    partner_link_days: int = Field(default=30, description="A partner link works this many days.")
    reminder_offsets_days: list[int] = Field(
        default=[-3, 0, 7], description="Remind this many days from the due date (negative = before)."
    )
    document_max_bytes: int = Field(default=10 * 1024 * 1024, description="Largest payment-order scan accepted.")
    pdf_font_path: Path | None = Field(default=None, description="A TTF with Cyrillic glyphs; default DejaVu Sans.")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_rate_per_second: float = Field(default=50.0, gt=0, description="Requests per second an API key may sustain.")
    api_rate_burst: int = Field(default=200, ge=1, description="Requests a key may make at once after being idle.")
    notifier_claim_lease_seconds: int = Field(
        default=600, ge=60, description="A claimed webhook or email is taken over by another worker after this long."
    )
    secret_key: str = Field(default="", description="Signs session cookies; empty = generated once in var_dir.")
    session_hours: int = Field(default=12, description="A workspace login lasts this long.")
    secure_cookies: bool = Field(default=False, description="Send cookies over HTTPS only (set behind TLS).")
    # Operations (docs/operations.md).
    log_format: str = Field(default="text", description="'json' (one object per line, production) or 'text'.")
    log_level: str = Field(default="INFO", description="Root log level.")
    worker_metrics_port: int = Field(default=0, description="A Celery worker serves /metrics here (0: off).")
    ready_timeout_seconds: float = Field(default=2.0, description="Readiness probes give up after this long.")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'sverka.db').resolve()}"

    @property
    def redacted_database_url(self) -> str:
        """The URL without its password, for logs and summaries."""
        from sqlalchemy.engine import make_url

        return make_url(self.effective_database_url).render_as_string(hide_password=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache after changing the environment)."""
    return Settings()
