"""The Jinja environment: translations, formatting filters, masked data, static URLs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from portal.settings import BASE_DIR
from portal.web import i18n
from portal.web.masking import mask_id_number, mask_name, mask_phone
from portal.web.redirects import safe_next
from portal.web.shell import Shell, shell_of

TEMPLATE_DIR = BASE_DIR / "templates"
STATIC_DIR = BASE_DIR / "static"

_feature_globals: dict[str, Any] = {}


def register_globals(**helpers: Any) -> None:
    """Let a feature offer its own template helpers (labels, wording). Features register when
    their package is imported, which ``load_models()`` does before any environment is built."""
    _feature_globals.update(helpers)


@lru_cache(maxsize=512)
def _fingerprint(path: str, mtime: float) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """A static file's URL with a content fingerprint, so browsers may cache it for a year."""
    file = STATIC_DIR / path
    try:
        version = _fingerprint(path, file.stat().st_mtime)
    except FileNotFoundError:
        return f"/static/{path}"
    return f"/static/{path}?v={version}"


@pass_context
def _shell(context: Context) -> Shell:
    return shell_of(context["request"])


@pass_context
def _today(context: Context) -> Any:
    return context["request"].app.state.clock.today()


@pass_context
def _format_day(context: Context, value: Any) -> str:
    return i18n.format_day(value, context["request"].app.state.clock.today())


@pass_context
def _local_time(context: Context, value: Any) -> str:
    """A stored UTC moment as the hospital's local date and time."""
    return str(context["request"].app.state.clock.local(value).strftime("%Y-%m-%d %H:%M:%S"))


@pass_context
def _here(context: Context) -> str:
    """Where a header switch (elder mode, language) should bring the visitor back to: this page
    with its query; after a form was posted, the page the form was on (a POST URL has no GET)."""
    request = context["request"]
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return safe_next(request.url.path + (f"?{query}" if query else ""))
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/"


def group_digits(number: str) -> str:
    """1234567890123456 → 1234 5678 9012 3456."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def build_environment() -> Environment:
    from portal.db.base import load_models

    load_models()  # every feature's package is imported, so its template helpers are registered
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.get_locale()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.get_locale()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals.update(
        static_url=static_url,
        here=_here,
        shell=_shell,
        today=_today,
        html_lang=i18n.html_lang,
        locales=i18n.LOCALES,
        **_feature_globals,
    )
    env.filters.update(
        day=_format_day,
        full_date=i18n.format_full_date,
        clock=i18n.format_clock,
        money=i18n.format_money,
        number=i18n.format_number,
        mask_name=mask_name,
        mask_id=mask_id_number,
        mask_phone=mask_phone,
        digits4=group_digits,
        local_time=_local_time,
    )
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = build_environment()
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))


def template_dir() -> Path:
    return TEMPLATE_DIR
