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
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    secret_key: str = Field(default="", description="Signs session cookies; empty = generated once in var_dir.")
    session_hours: int = Field(default=12, description="A workspace login lasts this long.")
    secure_cookies: bool = Field(default=False, description="Send cookies over HTTPS only (set behind TLS).")

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
