"""Settings of bank sync (env prefix ``SVERKA_SYNC_``).

They live beside the feature rather than in ``shared.config`` so the sync area can be read,
tuned and tested on its own; every knob is an environment variable like the rest of Sverka's.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.banks.apis import RetryPolicy


class SyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SVERKA_SYNC_", env_file=".env", extra="ignore")

    tick_seconds: float = Field(default=60.0, description="How often the scheduler looks for due accounts.")
    default_every_minutes: int = Field(default=60, description="Pull interval of a new connection.")
    overlap_days: int = Field(default=3, description="Already-complete days re-read by every pull (late bookings).")
    first_sync_days: int = Field(default=31, description="How far back the first pull of an account reaches.")
    max_window_days: int = Field(default=92, description="Longest window one pull asks for (catch-up in steps).")
    tbank_page_limit: int = Field(default=1000, description="Operations per page asked of a T-Bank-style API.")
    connect_timeout_seconds: float = Field(default=5.0, description="TCP/TLS connect timeout per bank request.")
    timeout_seconds: float = Field(default=20.0, description="Read/write timeout per bank request.")
    retry_attempts: int = Field(default=4, description="Attempts per bank request before the pull fails.")
    retry_base_delay: float = Field(default=0.5, description="First retry delay, doubled per attempt (jittered).")
    retry_max_delay: float = Field(default=30.0, description="Longest backoff between two attempts.")
    retry_max_after: float = Field(default=60.0, description="Longest Retry-After honoured before giving up.")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_attempts,
            base_delay=self.retry_base_delay,
            max_delay=self.retry_max_delay,
            max_retry_after=self.retry_max_after,
        )


@lru_cache(maxsize=1)
def get_sync_settings() -> SyncSettings:
    """The process-wide sync settings (tests clear the cache after changing the environment)."""
    return SyncSettings()
