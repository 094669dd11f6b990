"""The Jinja environment: translations, formatting filters, masked data, static URLs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from litestar.exceptions import TemplateNotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

import ecard
from portal.core import i18n
from portal.core.masking import mask_id_number, mask_name, mask_phone
from portal.settings import BASE_DIR
from portal.web.dependencies import clock_of
from portal.web.redirects import safe_next, split_url
from portal.web.shell import Shell, shell_of

TEMPLATE_DIR = BASE_DIR / "templates"
STATIC_DIR = BASE_DIR / "static"


@lru_cache(maxsize=512)
def _fingerprint(path: str, mtime: float) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def _static_url(path: str) -> str:
    file = STATIC_DIR / path
    try:
        version = _fingerprint(path, file.stat().st_mtime)
    except FileNotFoundError:
        return f"/static/{path}"
    return f"/static/{path}?v={version}"


_frozen_static_url = lru_cache(maxsize=512)(_static_url)


def static_url_function(watch_files: bool) -> Any:
    """``static_url(path)``: a static file's URL with a content fingerprint, so browsers may
    cache it for a year. While developing, the file is looked at on every call (an edited
    stylesheet gets a new URL at once); otherwise once per process."""
    return _static_url if watch_files else _frozen_static_url


static_url = _static_url


def icon_function(watch_files: bool) -> Any:
    """``icon(name)``: an icon from the sprite, hidden from screen readers (the text beside it
    says what it means). Made once per name unless the sprite is being edited."""
    static = static_url_function(watch_files)

    def icon(name: str) -> Markup:
        return Markup(
            '<svg class="icon" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>'
        ).format(static("icons/sprite.svg"), name)

    return icon if watch_files else lru_cache(maxsize=256)(icon)


@pass_context
def _shell(context: Context) -> Shell:
    return shell_of(context["request"])


@pass_context
def _today(context: Context) -> Any:
    return clock_of(context["request"]).today()


@pass_context
def _format_day(context: Context, value: Any) -> str:
    return i18n.format_day(value, clock_of(context["request"]).today())


@pass_context
def _local_time(context: Context, value: Any) -> str:
    """A stored UTC moment as the hospital's local date and time."""
    return str(clock_of(context["request"]).local(value).strftime("%Y-%m-%d %H:%M:%S"))


@pass_context
def _here(context: Context) -> str:
    """Where a header switch (elder mode, language) should bring the visitor back to: this page
    with its query; after a form was posted, the page the form was on (a POST URL has no GET)."""
    request = context["request"]
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return safe_next(request.url.path + (f"?{query}" if query else ""))
    referer = split_url(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/"


class BakedTranslations(Extension):
    """``_("literal")`` translated once, when a template is compiled for one language.

    A page holds dozens of fixed phrases; translating each at every render (a context call, a
    catalog look-up and a format) was a fifth of an anonymous page's time. An environment built
    for a locale (``build_environment(locale=...)``) compiles each such call into the translated
    text, exactly as the call would have produced it (marked safe, ``%%`` read as ``%``). Calls
    with arguments, ``ngettext`` and anything else are left to run at render time."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(baked_locale=None)

    def filter_stream(self, stream: TokenStream) -> Any:
        locale: str | None = getattr(self.environment, "baked_locale", None)
        if locale is None:
            return stream
        catalog = i18n.translations(locale)
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            window = tokens[i : i + 4]
            if (
                len(window) == 4
                and window[0].type == "name"
                and window[0].value == "_"
                and (i == 0 or tokens[i - 1].type != "dot")
                and [t.type for t in window[1:]] == ["lparen", "string", "rparen"]
            ):
                baked = _baked(catalog.gettext(window[2].value))
                if baked is not None:
                    line = window[0].lineno
                    out += [  # (“text”|safe): a call's result may be indexed or have methods
                        Token(line, "lparen", "("),
                        Token(line, "string", baked),
                        Token(line, "pipe", "|"),
                        Token(line, "name", "safe"),
                        Token(line, "rparen", ")"),
                    ]
                    i += 4
                    continue
            out.append(tokens[i])
            i += 1
        return out


def _baked(translated: str) -> str | None:
    """What jinja's new-style ``gettext`` returns for a call without variables, or None where
    that call would fail at render time (then it is left to fail there, as before)."""
    try:
        return str(Markup(translated) % {})  # noqa: S704 - our own catalog, as jinja marks it
    except (TypeError, ValueError, KeyError):
        return None


def build_environment(
    feature_globals: dict[str, Any] | None = None,
    *,
    development: bool = False,
    locale: str | None = None,
) -> Environment:
    """The environment every page renders in; ``feature_globals`` are the template helpers the
    features declare (labels, wording). Unless ``development`` (``serve --reload``), templates
    are compiled once and never checked for changes (a file's modification time per template
    per page, otherwise), and the compiled code is kept for the life of the process. With a
    ``locale``, fixed phrases are translated into it at compile time (``BakedTranslations``):
    such an environment renders pages in that language only."""
    env = Environment(
        auto_reload=development,
        cache_size=-1 if not development else 400,
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", BakedTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.baked_locale = locale  # type: ignore[attr-defined]
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.get_locale()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.get_locale()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals.update(
        static_url=static_url_function(development),
        icon=icon_function(development),
        here=_here,
        shell=_shell,
        today=_today,
        html_lang=i18n.html_lang,
        locales=i18n.LOCALES,
        **(feature_globals or {}),
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
        digits4=ecard.group_digits,
        local_time=_local_time,
    )
    return env


@pass_context
def _url_for(context: Context, route_name: str, /, **path_parameters: Any) -> str:
    """Litestar's ``url_for``, remembered: a route's address for the same parameters never
    changes while the app runs, and a page asks for a dozen (header, tiles, forms)."""
    app = context["request"].app
    known: dict[tuple[Any, ...], str] = app.state.setdefault("reversed_urls", {})
    key = (route_name, *sorted(path_parameters.items()))
    url = known.get(key)
    if url is None:
        url = known[key] = app.route_reverse(route_name, **path_parameters)
    return url


class LocalisedJinjaEngine(JinjaTemplateEngine):
    """One compiled environment per language; a page is rendered by the one of the request's
    locale (set by the shell middleware), whose fixed phrases are already translated."""

    def __init__(self, environments: dict[str, Environment]) -> None:
        self.environments = environments
        super().__init__(engine_instance=environments[i18n.DEFAULT_LOCALE])

    def get_template(self, template_name: str) -> Any:
        environment = self.environments.get(i18n.get_locale(), self.engine)
        try:
            return environment.get_template(name=template_name)
        except TemplateNotFound as exc:
            raise TemplateNotFoundException(template_name=template_name) from exc

    def register_template_callable(self, key: str, template_callable: Any) -> None:
        for environment in self.environments.values():
            environment.globals[key] = pass_context(template_callable)


def template_config(
    feature_globals: dict[str, Any], *, development: bool
) -> TemplateConfig[JinjaTemplateEngine]:
    environments = {
        locale: build_environment(feature_globals, development=development, locale=locale)
        for locale in i18n.LOCALES
    }
    engine = LocalisedJinjaEngine(environments)
    for environment in environments.values():
        environment.globals["url_for"] = _url_for
    return TemplateConfig(engine=engine)


def template_dir() -> Path:
    return TEMPLATE_DIR
