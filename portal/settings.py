"""Settings read from the environment, one small dataclass per concern.

Every setting has a safe development default; production refuses to start without a real
secret key. The README's "Settings" table documents each variable.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip() or default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


class SettingsError(RuntimeError):
    """The environment describes a configuration the app must not run with."""


@dataclass(frozen=True)
class AppSettings:
    """Who we are and how we run."""

    environment: str = field(default_factory=lambda: _env("PORTAL_ENV", "development"))
    secret_key: str = field(default_factory=lambda: _env("PORTAL_SECRET_KEY", DEVELOPMENT_SECRET))
    hospital_name: str = field(default_factory=lambda: _env("PORTAL_HOSPITAL_NAME", ""))
    clock_offset_seconds: int = field(default_factory=lambda: _env_int("PORTAL_CLOCK_OFFSET_SECONDS", 0))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_development(self) -> bool:
        return not self.is_production

    def check(self) -> None:
        """Refuse production without a real secret; warn in development."""
        if self.environment not in {"development", "production", "test"}:
            raise SettingsError(
                f"PORTAL_ENV must be development, production or test, not {self.environment!r}"
            )
        if self.secret_key == DEVELOPMENT_SECRET:
            if self.is_production:
                raise SettingsError(
                    "PORTAL_SECRET_KEY must be set to a long random value in production"
                )
            logger.warning("PORTAL_SECRET_KEY is not set: using the development secret")
        elif len(self.secret_key) < 32:
            raise SettingsError("PORTAL_SECRET_KEY must be at least 32 characters")
        if self.clock_offset_seconds and self.is_production:
            raise SettingsError("PORTAL_CLOCK_OFFSET_SECONDS is for tests and demos, never production")


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives: a SQLite file by default, PostgreSQL (asyncpg) in production."""

    url: str = field(
        default_factory=lambda: _env(
            "PORTAL_DATABASE_URL", f"sqlite+aiosqlite:///{BASE_DIR / 'var' / 'portal.db'}"
        )
    )
    echo: bool = field(default_factory=lambda: _env_bool("PORTAL_DATABASE_ECHO", False))
    pool_size: int = field(default_factory=lambda: _env_int("PORTAL_DATABASE_POOL_SIZE", 10))

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class RedisSettings:
    """Optional Redis: shared stores (sessions, rate limits) and live queue events."""

    url: str | None = field(default_factory=lambda: os.environ.get("PORTAL_REDIS_URL") or None)


@dataclass(frozen=True)
class I18nSettings:
    """Languages and the hospital's clock."""

    default_locale: str = field(default_factory=lambda: _env("PORTAL_DEFAULT_LOCALE", "zh_Hans"))
    time_zone: str = field(default_factory=lambda: _env("PORTAL_TIME_ZONE", "Asia/Shanghai"))
    currency: str = "CNY"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class LoginSettings:
    """One-time SMS codes for patients."""

    code_ttl_seconds: int = field(default_factory=lambda: _env_int("PORTAL_CODE_TTL_SECONDS", 300))
    code_max_attempts: int = field(default_factory=lambda: _env_int("PORTAL_CODE_MAX_ATTEMPTS", 5))
    resend_after_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_CODE_RESEND_SECONDS", 60)
    )
    codes_per_hour: int = field(default_factory=lambda: _env_int("PORTAL_CODES_PER_HOUR", 5))
    requests_per_address_per_hour: int = field(
        default_factory=lambda: _env_int("PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR", 30)
    )
    logins_per_address_per_minute: int = field(
        default_factory=lambda: _env_int("PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE", 20)
    )
    session_max_age_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_SESSION_MAX_AGE", 14 * 86400)
    )
    sms_sender: str = field(default_factory=lambda: _env("PORTAL_SMS_SENDER", "console"))
    max_patients_per_account: int = 5
    elder_age: int = 60


@dataclass(frozen=True)
class EcardSettings:
    """Signing keys for the dynamic card code.

    ``PORTAL_ECARD_KEYS`` is ``id:hexsecret`` pairs separated by commas (several keys let codes in
    flight survive a rotation); ``PORTAL_ECARD_CURRENT_KEY`` names the one that signs new codes.
    Unset, one key is derived from the secret key.
    """

    keys: str = field(default_factory=lambda: os.environ.get("PORTAL_ECARD_KEYS", ""))
    current_key: str = field(default_factory=lambda: _env("PORTAL_ECARD_CURRENT_KEY", "K1"))


@dataclass(frozen=True)
class Settings:
    """Everything, grouped by concern."""

    app: AppSettings = field(default_factory=AppSettings)
    db: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    i18n: I18nSettings = field(default_factory=I18nSettings)
    login: LoginSettings = field(default_factory=LoginSettings)
    ecard: EcardSettings = field(default_factory=EcardSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
