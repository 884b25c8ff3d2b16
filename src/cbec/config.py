"""One settings object, read from ``CBEC_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CBEC_", env_file=".env", extra="ignore")

    #: ``sqlite:///…`` (embedded default) or ``postgresql+psycopg://…`` in production.
    database_url: str = "sqlite:///./var/cbec.sqlite3"
    #: Where the embedded database, uploads and analytics files live.
    data_dir: Path = Path("./var")
    #: The analytics store (DuckDB file of fact lines, stats/). Empty: beside the SQLite file
    #: (``cbec.sqlite3`` → ``cbec.analytics.duckdb``), or ``data_dir/analytics.duckdb`` on PostgreSQL.
    analytics_file: str = ""
    #: Secret for protecting personal data at rest and signing; must be set in production.
    secret_key: str = Field(default="dev-only-insecure-secret-change-me", min_length=16)
    #: Mark cookies Secure (HTTPS only). Unset: Secure whenever the request came over HTTPS
    #: (behind a proxy, run ``cbec serve`` with the proxy's X-Forwarded-Proto trusted).
    cookie_secure: bool | None = None
    #: Addresses of reverse proxies whose X-Forwarded-For / -Proto are trusted (comma-separated).
    #: Sign-in rate limiting counts per client address, so behind a proxy this must name it.
    forwarded_allow_ips: str = "127.0.0.1"
    session_hours: int = 12
    #: Failed sign-ins per username (or client address) within the window before a lock-out.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    #: Largest accepted upload, in bytes (a bulk-import workbook).
    max_upload_bytes: int = 20 * 1024 * 1024
    default_locale: str = "zh"
    #: Relative tolerance of the order arithmetic checks (practitioners cite 5 %; DOMAIN §5).
    arith_tolerance: Decimal = Decimal("0.05")
    #: The simulated customs endpoint (development and tests): per-mille of lists rejected or
    #: inspected before release. A real gateway adapter replaces the simulation in production.
    customs_reject_per_mille: int = 10
    customs_inspect_per_mille: int = 30
    #: Largest message accepted by intake, in bytes, and deepest XML nesting.
    max_message_bytes: int = 10 * 1024 * 1024
    #: Largest intake request (a batch of up to 10,000 messages), in bytes.
    max_batch_bytes: int = 100 * 1024 * 1024
    # Bureau-supplied additions to the working-day calendar (CSV, same shape as the packaged
    # kernel/data/cn_workdays.csv), for years announced after this release; comma-separated.
    workdays_files: str = ""
    # The 汇总申报 grouping keys (TOML like export/data/summary_keys.toml); empty = the packaged one.
    summary_keys_file: str = ""
    # Receipts-of-payment reconciliation: flag an enterprise-month whose unreceived or undeparted
    # share of released value exceeds this (DOMAIN §8).
    reconcile_threshold: Decimal = Decimal("0.05")
    demo_seed: int = 20241101
    demo_password: str = "cbec-demo-2024"  # noqa: S105 - printed by `make run`; demo accounts only


@cache
def get_settings() -> Settings:
    return Settings()


def analytics_path(settings: Settings) -> Path:
    """Where the analytics store lives for these settings (see ``Settings.analytics_file``)."""
    if settings.analytics_file:
        return Path(settings.analytics_file)
    prefix = "sqlite:///"
    if settings.database_url.startswith(prefix) and ":memory:" not in settings.database_url:
        database = Path(settings.database_url[len(prefix) :])
        return database.with_name(database.stem + ".analytics.duckdb")
    return settings.data_dir / "analytics.duckdb"
