"""Settings read from the environment, one small dataclass per concern.

Every setting has a safe development default; production refuses to start without a real
secret key. The README's "Settings" table documents each variable.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field
from datetime import time
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
    clock_offset_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_CLOCK_OFFSET_SECONDS", 0)
    )
    reload_templates: bool = field(
        default_factory=lambda: _env_bool("PORTAL_RELOAD_TEMPLATES", False)
    )
    """Look at template and static files for changes on every page (``serve --reload`` turns it
    on while editing); otherwise each is read once per process."""
    access_log: bool = field(default_factory=lambda: _env_bool("PORTAL_ACCESS_LOG", False))
    """One log line per request from the server. Off by default: a proxy in front usually keeps
    its own, and a line per request costs more than a page's database work."""
    processes: int = field(default_factory=lambda: _env_int("PORTAL_PROCESSES", 1))
    """How many processes serve the site (``serve --workers`` sets it). With one and no Redis,
    pages keep what they read between requests while its tables are unchanged
    (portal/db/generations.py); with more, each process would miss the others' writes."""
    freeze_heap: bool = field(default_factory=lambda: _env_bool("PORTAL_FREEZE_HEAP", False))
    """Once started, move every object made while starting (models, routes, templates, the
    catalogs) out of the garbage collector's sight, so its full collections stop walking them
    on every request burst. ``serve`` turns it on; tests, which build many apps, do not."""

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
            raise SettingsError(
                "PORTAL_CLOCK_OFFSET_SECONDS is for tests and demos, never production"
            )


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
    # Connections per process; a request that finds them all busy waits for one (up to
    # ``wait_seconds``) instead of failing, so a surge slows down rather than erroring.
    max_connections: int = field(
        default_factory=lambda: _env_int("PORTAL_REDIS_MAX_CONNECTIONS", 50)
    )
    wait_seconds: float = 10.0


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
        default_factory=lambda: _env_int("PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR", 300)
    )
    logins_per_address_per_minute: int = field(
        default_factory=lambda: _env_int("PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE", 120)
    )
    session_max_age_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_SESSION_MAX_AGE", 14 * 86400)
    )
    """Idle lifetime: a login not used for this long ends."""
    login_lifetime_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_LOGIN_LIFETIME", 30 * 86400)
    )
    """Absolute lifetime: a login ends this long after it began, however often it is used."""
    sms_sender: str = field(default_factory=lambda: _env("PORTAL_SMS_SENDER", "console"))
    sms_gateway_url: str = field(
        default_factory=lambda: os.environ.get("PORTAL_SMS_GATEWAY_URL", "")
    )
    sms_gateway_token: str = field(
        default_factory=lambda: os.environ.get("PORTAL_SMS_GATEWAY_TOKEN", "")
    )
    max_patients_per_account: int = 5
    elder_age: int = 60

    def check(self, production: bool) -> None:
        """Production must send real text messages: the console sender only keeps them locally.
        A gateway without its address or token would fail at the first login, not at start-up."""
        if not 0 < self.session_max_age_seconds <= self.login_lifetime_seconds:
            raise SettingsError(
                "PORTAL_SESSION_MAX_AGE must be more than 0 and at most PORTAL_LOGIN_LIFETIME"
            )
        if self.sms_sender not in {"console", "http"}:
            raise SettingsError(
                f"PORTAL_SMS_SENDER must be console or http, not {self.sms_sender!r}"
            )
        if production and self.sms_sender == "console":
            raise SettingsError("PORTAL_SMS_SENDER must name a real SMS gateway in production")
        if self.sms_sender == "http" and not (
            self.sms_gateway_url.strip() and self.sms_gateway_token.strip()
        ):
            raise SettingsError(
                "PORTAL_SMS_SENDER=http needs PORTAL_SMS_GATEWAY_URL and PORTAL_SMS_GATEWAY_TOKEN"
            )


def _parse_clock(text: str) -> time:
    """``07:30`` or ``07:30:15`` as a time of day."""
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(f"{text!r} is not a time of day like 07:30") from exc


@dataclass(frozen=True)
class BookingSettings:
    """The booking rules the hospital sets (预约挂号规则). Each one bites with a plain message."""

    release_days_ahead: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_RELEASE_DAYS", 7)
    )
    release_time: str = field(default_factory=lambda: _env("PORTAL_BOOKING_RELEASE_TIME", "07:30"))
    max_active_per_account: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_MAX_ACTIVE_PER_ACCOUNT", 5)
    )
    cancel_cutoff_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_CANCEL_CUTOFF_MINUTES", 120)
    )
    no_show_window_days: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_NO_SHOW_WINDOW_DAYS", 90)
    )
    no_show_limit: int = field(default_factory=lambda: _env_int("PORTAL_BOOKING_NO_SHOW_LIMIT", 3))
    no_show_lock_days: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_NO_SHOW_LOCK_DAYS", 90)
    )
    waitlist_hold_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_WAITLIST_HOLD_MINUTES", 30)
    )
    rerelease_delay_min_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_RERELEASE_DELAY_MIN_MINUTES", 5)
    )
    rerelease_delay_max_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_RERELEASE_DELAY_MAX_MINUTES", 30)
    )
    requests_per_account_per_minute: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_REQUESTS_PER_ACCOUNT_PER_MINUTE", 20)
    )
    requests_per_address_per_minute: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_REQUESTS_PER_ADDRESS_PER_MINUTE", 100)
    )
    arrive_early_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_ARRIVE_EARLY_MINUTES", 30)
    )
    housekeeping_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_BOOKING_HOUSEKEEPING_SECONDS", 30)
    )

    @property
    def release_clock(self) -> time:
        """The time of day new places open, in the hospital's time zone."""
        return _parse_clock(self.release_time)

    def check(self) -> None:
        """Refuse rules that contradict each other."""
        self.release_clock  # noqa: B018 - parses, or raises SettingsError
        if self.release_days_ahead < 0:
            raise SettingsError("PORTAL_BOOKING_RELEASE_DAYS must be 0 or more")
        if not 0 <= self.rerelease_delay_min_minutes <= self.rerelease_delay_max_minutes:
            raise SettingsError(
                "PORTAL_BOOKING_RERELEASE_DELAY_MIN_MINUTES must be between 0 and "
                "PORTAL_BOOKING_RERELEASE_DELAY_MAX_MINUTES"
            )
        if self.max_active_per_account < 1 or self.no_show_limit < 1:
            raise SettingsError(
                "PORTAL_BOOKING_MAX_ACTIVE_PER_ACCOUNT and PORTAL_BOOKING_NO_SHOW_LIMIT must be 1 or more"
            )


@dataclass(frozen=True)
class InsuranceScheme:
    """One insurance scheme's outpatient rules for a calendar year: the deductible (起付线) the
    patient pays first, the share insurance pays of the rest, and the most it pays in a year."""

    deductible_fen: int
    percent: int
    annual_cap_fen: int


def _scheme(prefix: str, deductible: int, percent: int, cap: int) -> InsuranceScheme:
    return InsuranceScheme(
        deductible_fen=_env_int(f"{prefix}_DEDUCTIBLE_FEN", deductible),
        percent=_env_int(f"{prefix}_PERCENT", percent),
        annual_cap_fen=_env_int(f"{prefix}_CAP_FEN", cap),
    )


@dataclass(frozen=True)
class InsuranceSettings:
    """The development settlement's rules (the real one asks the national insurance platform).

    Item classes: 甲 (A) fully covered, 乙 (B) a self-paid part first
    (``class_b_self_percent``) and the rest covered, 丙 (C) self-paid."""

    class_b_self_percent: int = field(
        default_factory=lambda: _env_int("PORTAL_INSURANCE_CLASS_B_SELF_PERCENT", 10)
    )
    employee: InsuranceScheme = field(
        default_factory=lambda: _scheme("PORTAL_INSURANCE_EMPLOYEE", 10_000, 70, 2_000_000)
    )
    resident: InsuranceScheme = field(
        default_factory=lambda: _scheme("PORTAL_INSURANCE_RESIDENT", 0, 50, 300_000)
    )

    def check(self) -> None:
        for name, scheme in (("EMPLOYEE", self.employee), ("RESIDENT", self.resident)):
            if not 0 <= scheme.percent <= 100:
                raise SettingsError(f"PORTAL_INSURANCE_{name}_PERCENT must be from 0 to 100")
            if scheme.deductible_fen < 0 or scheme.annual_cap_fen < 0:
                raise SettingsError(f"PORTAL_INSURANCE_{name}_* amounts must be 0 or more")
        if not 0 <= self.class_b_self_percent <= 100:
            raise SettingsError("PORTAL_INSURANCE_CLASS_B_SELF_PERCENT must be from 0 to 100")


@dataclass(frozen=True)
class ReceiptSettings:
    """PDF receipts embed a CJK font (the subset they use): Noto Sans CJK SC from Debian's
    fonts-noto-cjk by default (index 2 of its collection is Simplified Chinese)."""

    font_path: str = field(
        default_factory=lambda: _env(
            "PORTAL_RECEIPT_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
        )
    )
    font_index: int = field(default_factory=lambda: _env_int("PORTAL_RECEIPT_FONT_INDEX", 2))
    hospital_name: str = field(
        default_factory=lambda: _env("PORTAL_HOSPITAL_NAME", "一码通示范医院")
    )

    def check(self, production: bool) -> None:
        if not Path(self.font_path).is_file():
            message = (
                f"PORTAL_RECEIPT_FONT: no font at {self.font_path} (install fonts-noto-cjk, or "
                "name a CJK font): PDF receipts cannot be made"
            )
            if production:
                raise SettingsError(message)
            logger.warning(message)


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


SANDBOX = "sandbox"
WECHATPAY = "wechatpay"


@dataclass(frozen=True)
class PaymentSettings:
    """Paying through a gateway that speaks WeChat Pay API v3.

    ``sandbox`` (development only) is the app's own stand-in at ``/dev/pay``, with keys it makes
    and keeps in its tables; ``wechatpay`` is a merchant account, named entirely by the settings
    below (the code is the same for both)."""

    gateway: str = field(default_factory=lambda: _env("PORTAL_PAY_GATEWAY", SANDBOX))
    wechatpay_url: str = field(
        default_factory=lambda: _env("PORTAL_WECHATPAY_URL", "https://api.mch.weixin.qq.com")
    )
    mchid: str = field(default_factory=lambda: _env("PORTAL_WECHATPAY_MCHID", ""))
    appid: str = field(default_factory=lambda: _env("PORTAL_WECHATPAY_APPID", ""))
    merchant_serial: str = field(
        default_factory=lambda: _env("PORTAL_WECHATPAY_MERCHANT_SERIAL", "")
    )
    merchant_key_file: str = field(
        default_factory=lambda: _env("PORTAL_WECHATPAY_MERCHANT_KEY_FILE", "")
    )
    platform_serial: str = field(
        default_factory=lambda: _env("PORTAL_WECHATPAY_PLATFORM_SERIAL", "")
    )
    platform_key_file: str = field(
        default_factory=lambda: _env("PORTAL_WECHATPAY_PLATFORM_KEY_FILE", "")
    )
    api_v3_key: str = field(default_factory=lambda: _env("PORTAL_WECHATPAY_API_V3_KEY", ""))
    notify_url: str = field(default_factory=lambda: _env("PORTAL_WECHATPAY_NOTIFY_URL", ""))
    """The public HTTPS address of ``/api/v1/payments/notify/wechatpay``."""
    order_minutes: int = field(default_factory=lambda: _env_int("PORTAL_PAY_ORDER_MINUTES", 15))
    """How long an order can be paid (its ``time_expire``)."""
    settle_after_seconds: int = field(
        default_factory=lambda: _env_int("PORTAL_PAY_SETTLE_AFTER_SECONDS", 120)
    )
    """An order still open this long is asked about (its notification may be lost)."""
    task_seconds: int = field(default_factory=lambda: _env_int("PORTAL_PAY_TASK_SECONDS", 5))
    """How often pending orders and refunds are followed up (0: never, tests drive it)."""
    sandbox_tick_seconds: float = field(
        default_factory=lambda: _env_float("PORTAL_PAY_SANDBOX_TICK_SECONDS", 1.0)
    )
    """How often the sandbox sends its due notifications (0: never, tests drive it)."""
    sandbox_retry_scale: float = field(
        default_factory=lambda: _env_float("PORTAL_PAY_SANDBOX_RETRY_SCALE", 1.0)
    )
    """The sandbox retries an unanswered notification on WeChat Pay's schedule (15 s, 15 s,
    30 s, 3 min … 6 h) times this."""

    @property
    def is_sandbox(self) -> bool:
        return self.gateway == SANDBOX

    def check(self, production: bool) -> None:
        if self.gateway not in {SANDBOX, WECHATPAY}:
            raise SettingsError(
                f"PORTAL_PAY_GATEWAY must be sandbox or wechatpay, not {self.gateway!r}"
            )
        if self.gateway == SANDBOX:
            if production:
                raise SettingsError(
                    "PORTAL_PAY_GATEWAY=sandbox takes no money: name a merchant account "
                    "(PORTAL_PAY_GATEWAY=wechatpay and PORTAL_WECHATPAY_*) in production"
                )
            return
        missing = [
            name
            for name, value in (
                ("MCHID", self.mchid),
                ("APPID", self.appid),
                ("MERCHANT_SERIAL", self.merchant_serial),
                ("MERCHANT_KEY_FILE", self.merchant_key_file),
                ("PLATFORM_SERIAL", self.platform_serial),
                ("PLATFORM_KEY_FILE", self.platform_key_file),
                ("API_V3_KEY", self.api_v3_key),
                ("NOTIFY_URL", self.notify_url),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                "PORTAL_PAY_GATEWAY=wechatpay needs "
                + ", ".join(f"PORTAL_WECHATPAY_{m}" for m in missing)
            )
        if len(self.api_v3_key.encode()) != 32:
            raise SettingsError("PORTAL_WECHATPAY_API_V3_KEY must be the 32-character API v3 key")
        for name, path in (
            ("MERCHANT_KEY_FILE", self.merchant_key_file),
            ("PLATFORM_KEY_FILE", self.platform_key_file),
        ):
            if not Path(path).is_file():
                raise SettingsError(f"PORTAL_WECHATPAY_{name}: no file at {path}")
        if production and not self.notify_url.startswith("https://"):
            raise SettingsError("PORTAL_WECHATPAY_NOTIFY_URL must be an https:// address")


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
class QueueSettings:
    """Check-in and calling."""

    checkin_opens_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_CHECKIN_OPENS_MINUTES", 60)
    )
    elder_priority_age: int = field(
        default_factory=lambda: _env_int("PORTAL_QUEUE_PRIORITY_AGE", 80)
    )
    default_service_minutes: int = field(
        default_factory=lambda: _env_int("PORTAL_QUEUE_DEFAULT_MINUTES", 6)
    )
    alert_when_ahead: int = field(default_factory=lambda: _env_int("PORTAL_QUEUE_ALERT_AHEAD", 2))
    poll_seconds: int = field(default_factory=lambda: _env_int("PORTAL_QUEUE_POLL_SECONDS", 10))


@dataclass(frozen=True)
class Settings:
    """Everything, grouped by concern."""

    app: AppSettings = field(default_factory=AppSettings)
    db: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    i18n: I18nSettings = field(default_factory=I18nSettings)
    login: LoginSettings = field(default_factory=LoginSettings)
    ecard: EcardSettings = field(default_factory=EcardSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    booking: BookingSettings = field(default_factory=BookingSettings)
    insurance: InsuranceSettings = field(default_factory=InsuranceSettings)
    receipts: ReceiptSettings = field(default_factory=ReceiptSettings)
    payments: PaymentSettings = field(default_factory=PaymentSettings)

    def check_exposure(self, host: str) -> None:
        """Refuse to listen beyond this machine on the published development secret: anyone who
        read the repository could sign sessions and forge e-cards with it. A deployment that
        forgot PORTAL_ENV stops here instead of running with public keys. (The demo's API
        clients, whose tokens are published too, are refused by ``serve``: they live in the
        database.)"""
        if is_loopback(host):
            return
        if self.app.secret_key == DEVELOPMENT_SECRET:
            raise SettingsError(
                "PORTAL_SECRET_KEY still holds the development value, which is published; "
                f"set a long random value before listening on {host} (only 127.0.0.1 is served "
                "with development values)"
            )
        if self.payments.is_sandbox:
            raise SettingsError(
                "PORTAL_PAY_GATEWAY is the development sandbox, which marks bills paid without "
                f"taking money; name a merchant account before listening on {host} "
                "(PORTAL_PAY_GATEWAY=wechatpay and PORTAL_WECHATPAY_*)"
            )


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
