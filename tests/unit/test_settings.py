"""Settings come from the environment, with safe development defaults; production is strict."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.settings import (
    BASE_DIR,
    DEVELOPMENT_SECRET,
    AppSettings,
    PaymentSettings,
    Settings,
    SettingsError,
    get_settings,
)

REAL_SECRET = "a-real-production-secret-of-at-least-32-characters"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment without any PORTAL_ variable."""
    for name in list(os.environ):
        if name.startswith("PORTAL_"):
            monkeypatch.delenv(name)


def test_defaults_are_a_development_portal_on_a_sqlite_file_in_chinese() -> None:
    settings = Settings()
    assert settings.app.environment == "development"
    assert settings.app.is_development and not settings.app.is_production
    assert settings.app.secret_key == DEVELOPMENT_SECRET
    assert settings.db.url == f"sqlite+aiosqlite:///{BASE_DIR / 'var' / 'portal.db'}"
    assert settings.db.is_sqlite
    assert settings.db.echo is False
    assert settings.redis.url is None
    assert settings.i18n.default_locale == "zh_Hans"
    assert settings.i18n.time_zone == "Asia/Shanghai"
    assert settings.i18n.zone == ZoneInfo("Asia/Shanghai")
    assert settings.i18n.currency == "CNY"


def test_login_defaults_follow_the_rules_patients_are_told() -> None:
    login = Settings().login
    assert login.code_ttl_seconds == 300  # "the code works for 5 minutes"
    assert login.code_max_attempts == 5
    assert login.resend_after_seconds == 60
    assert login.codes_per_hour == 5
    assert login.max_patients_per_account == 5
    assert login.elder_age == 60
    assert login.sms_sender == "console"
    assert login.session_max_age_seconds == 14 * 86400


@pytest.mark.parametrize(
    ("variable", "value", "read", "expected"),
    [
        ("PORTAL_ENV", "production", lambda s: s.app.environment, "production"),
        ("PORTAL_SECRET_KEY", REAL_SECRET, lambda s: s.app.secret_key, REAL_SECRET),
        ("PORTAL_HOSPITAL_NAME", "协和医院", lambda s: s.app.hospital_name, "协和医院"),
        (
            "PORTAL_DATABASE_URL",
            "postgresql+asyncpg://portal@db.internal/portal",
            lambda s: s.db.url,
            "postgresql+asyncpg://portal@db.internal/portal",
        ),
        ("PORTAL_DATABASE_ECHO", "true", lambda s: s.db.echo, True),
        ("PORTAL_DATABASE_POOL_SIZE", "25", lambda s: s.db.pool_size, 25),
        ("PORTAL_REDIS_URL", "redis://cache:6379/2", lambda s: s.redis.url, "redis://cache:6379/2"),
        ("PORTAL_DEFAULT_LOCALE", "en", lambda s: s.i18n.default_locale, "en"),
        ("PORTAL_TIME_ZONE", "Asia/Urumqi", lambda s: s.i18n.zone, ZoneInfo("Asia/Urumqi")),
        ("PORTAL_CODE_TTL_SECONDS", "120", lambda s: s.login.code_ttl_seconds, 120),
        ("PORTAL_CODE_MAX_ATTEMPTS", "3", lambda s: s.login.code_max_attempts, 3),
        ("PORTAL_CODE_RESEND_SECONDS", "90", lambda s: s.login.resend_after_seconds, 90),
        ("PORTAL_CODES_PER_HOUR", "8", lambda s: s.login.codes_per_hour, 8),
        (
            "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR",
            "100",
            lambda s: s.login.requests_per_address_per_hour,
            100,
        ),
        (
            "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE",
            "7",
            lambda s: s.login.logins_per_address_per_minute,
            7,
        ),
        ("PORTAL_SESSION_MAX_AGE", "3600", lambda s: s.login.session_max_age_seconds, 3600),
        ("PORTAL_SMS_SENDER", "console", lambda s: s.login.sms_sender, "console"),
        ("PORTAL_ECARD_KEYS", "K1:00ff,K2:11ee", lambda s: s.ecard.keys, "K1:00ff,K2:11ee"),
        ("PORTAL_ECARD_CURRENT_KEY", "K2", lambda s: s.ecard.current_key, "K2"),
    ],
)
def test_every_setting_can_be_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, read, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert read(Settings()) == expected


def test_a_postgresql_url_is_not_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+asyncpg://portal@db/portal")
    assert not Settings().db.is_sqlite


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PORTAL_DEFAULT_LOCALE", value)
    monkeypatch.setenv("PORTAL_REDIS_URL", "")
    settings = Settings()
    assert settings.i18n.default_locale == "zh_Hans"
    assert settings.redis.url is None


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("on", True), ("0", False), ("no", False)]
)
def test_yes_and_no_are_read_the_usual_ways(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_ECHO", value)
    assert Settings().db.echo is expected


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY"):
        AppSettings(environment="production", secret_key=DEVELOPMENT_SECRET).check()


def test_production_refuses_to_start_when_no_secret_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(SettingsError):
        Settings().app.check()


@pytest.mark.parametrize("environment", ["production", "development"])
def test_a_short_secret_is_refused(environment: str) -> None:
    with pytest.raises(SettingsError, match="32"):
        AppSettings(environment=environment, secret_key="short-secret").check()


def test_production_accepts_a_long_random_secret(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="portal.settings"):
        AppSettings(environment="production", secret_key=REAL_SECRET).check()
    assert not caplog.records


def test_development_warns_about_the_development_secret(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="portal.settings"):
        AppSettings(environment="development", secret_key=DEVELOPMENT_SECRET).check()
    assert any("PORTAL_SECRET_KEY" in r.getMessage() for r in caplog.records)


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(SettingsError, match="PORTAL_ENV"):
        AppSettings(environment="staging", secret_key=REAL_SECRET).check()


def test_the_app_refuses_to_start_in_production_without_a_real_secret(tmp_path: Path) -> None:
    from portal.app import create_app
    from portal.settings import DatabaseSettings

    settings = Settings(
        app=AppSettings(environment="production", secret_key=DEVELOPMENT_SECRET),
        db=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"),
    )
    with pytest.raises(SettingsError):
        create_app(settings)


def test_settings_are_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        first = get_settings()
        monkeypatch.setenv("PORTAL_HOSPITAL_NAME", "changed later")
        assert get_settings() is first
    finally:
        get_settings.cache_clear()


# -- a deployment that forgets a setting refuses to start ---------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_development_values_are_served_on_this_machine_only(host: str) -> None:
    Settings().check_exposure(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "portal.hospital.cn"])
def test_development_values_are_never_served_beyond_this_machine(host: str) -> None:
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY still"):
        Settings().check_exposure(host)


def test_real_values_may_be_served_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("PORTAL_PAY_GATEWAY", "wechatpay")
    Settings().check_exposure("0.0.0.0")


def test_the_payment_sandbox_is_never_served_beyond_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It marks bills paid without taking money: a real secret is not enough."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", REAL_SECRET)
    with pytest.raises(SettingsError, match="PORTAL_PAY_GATEWAY is the development sandbox"):
        Settings().check_exposure("0.0.0.0")
    Settings().check_exposure("127.0.0.1")


def test_production_refuses_the_sandbox_and_an_incomplete_merchant_account(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match="sandbox takes no money"):
        PaymentSettings().check(production=True)
    PaymentSettings().check(production=False)
    monkeypatch.setenv("PORTAL_PAY_GATEWAY", "wechatpay")
    with pytest.raises(SettingsError, match=r"PORTAL_WECHATPAY_MCHID.*PORTAL_WECHATPAY_NOTIFY_URL"):
        PaymentSettings().check(production=True)
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----")
    account = {
        "MCHID": "1900000109",
        "APPID": "wxd678efh567hg6787",
        "MERCHANT_SERIAL": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "MERCHANT_KEY_FILE": str(key),
        "PLATFORM_SERIAL": "PUB_KEY_ID_0114232134912410000000000000",
        "PLATFORM_KEY_FILE": str(key),
        "API_V3_KEY": "short",
        "NOTIFY_URL": "http://portal.hospital.cn/api/v1/payments/notify/wechatpay",
    }
    for name, value in account.items():
        monkeypatch.setenv(f"PORTAL_WECHATPAY_{name}", value)
    with pytest.raises(SettingsError, match="32-character API v3 key"):
        PaymentSettings().check(production=True)
    monkeypatch.setenv("PORTAL_WECHATPAY_API_V3_KEY", "0123456789abcdef0123456789abcdef")
    with pytest.raises(SettingsError, match="https"):
        PaymentSettings().check(production=True)
    monkeypatch.setenv(
        "PORTAL_WECHATPAY_NOTIFY_URL", "https://portal.hospital.cn/api/v1/payments/notify/wechatpay"
    )
    PaymentSettings().check(production=True)
    monkeypatch.setenv("PORTAL_WECHATPAY_PLATFORM_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match="no file"):
        PaymentSettings().check(production=True)


def test_an_sms_gateway_without_its_address_or_token_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_SMS_SENDER", "http")
    monkeypatch.setenv("PORTAL_SMS_GATEWAY_URL", "https://sms.example.cn/send")
    with pytest.raises(SettingsError, match="PORTAL_SMS_GATEWAY_TOKEN"):
        Settings().login.check(production=True)
    monkeypatch.setenv("PORTAL_SMS_GATEWAY_TOKEN", "   ")
    with pytest.raises(SettingsError):
        Settings().login.check(production=True)
    monkeypatch.setenv("PORTAL_SMS_GATEWAY_TOKEN", "gateway-token")
    Settings().login.check(production=True)
    monkeypatch.setenv("PORTAL_SMS_SENDER", "carrier-pigeon")
    with pytest.raises(SettingsError, match="console or http"):
        Settings().login.check(production=False)


def test_a_login_cannot_idle_longer_than_it_may_live(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().login.login_lifetime_seconds == 30 * 86400
    monkeypatch.setenv("PORTAL_SESSION_MAX_AGE", str(40 * 86400))
    with pytest.raises(SettingsError, match="PORTAL_LOGIN_LIFETIME"):
        Settings().login.check(production=False)


def _portal(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_seed_refuses_in_production(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}"
    assert _portal("migrate", PORTAL_DATABASE_URL=database).returncode == 0
    done = _portal("seed", PORTAL_ENV="production", PORTAL_DATABASE_URL=database)
    assert done.returncode == 2
    assert "refusing to seed" in done.stderr and "published" in done.stderr
    with sqlite3.connect(tmp_path / "prod.db") as db:
        assert db.execute("SELECT count(*) FROM staff").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM api_client").fetchone() == (0,)


def test_serve_refuses_to_listen_beyond_this_machine_on_development_values() -> None:
    done = _portal("serve", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert "refusing to serve" in done.stderr and "PORTAL_SECRET_KEY" in done.stderr
