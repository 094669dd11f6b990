"""Fixed phrases translated when a template is compiled for a language read exactly as the
phrases translated at render time: same words, same escaping, same ``%%``."""

from __future__ import annotations

import pytest

from portal.core import i18n
from portal.web.templating import TEMPLATE_DIR, build_environment

SOURCES = [
    '<h1>{{ _("Home") }}</h1>',
    '<p>{{ _("Patient services") ~ " · " ~ _("Home") }}</p>',
    '{% set names = {"visit": _("Visit"), "me": _("Me")} %}{{ names["visit"] }}/{{ names.me }}',
    '{{ _("Leave elder mode") if flag else _("Elder mode (large text)") }}',
    '{{ _("Home") | upper }}',
    '{{ _("Home").upper() }}|{{ _("Home")[0] }}|{{ _("Home") ~ _("Me") }}',
    '{{ _("a %% of <b>") }}',  # no catalog entry: the msgid itself, markup kept, %% read as %
    '{{ _("Not a phrase with %(n)s", n="<i>") }}',  # with a variable: translated at render time
]
TEMPLATES = sorted(
    path.relative_to(TEMPLATE_DIR).as_posix() for path in TEMPLATE_DIR.rglob("*.html")
)


@pytest.mark.parametrize("locale", i18n.LOCALES)
@pytest.mark.parametrize("source", SOURCES)
def test_a_baked_phrase_reads_as_the_translated_call(locale: str, source: str) -> None:
    at_render = build_environment().from_string(source)
    baked = build_environment(locale=locale).from_string(source)
    with i18n.use_locale(locale):
        for flag in (True, False):
            assert baked.render(flag=flag) == at_render.render(flag=flag)


def test_a_baked_phrase_is_in_the_compiled_code_not_looked_up() -> None:
    env = build_environment(locale="zh_Hans")
    code = env.compile('{{ _("Home") }}', raw=True)
    assert "首页" in code
    assert "context.call" not in code
    assert "context.call" in env.compile('{{ _("Home %(n)s", n=1) }}', raw=True)


def test_a_method_named_underscore_is_left_alone() -> None:
    class Thing:
        def _(self, text: str) -> str:
            return text.upper()

    env = build_environment(locale="zh_Hans")
    assert env.from_string('{{ thing._("Home") }}').render(thing=Thing()) == "HOME"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_template_compiles_baked(locale: str) -> None:
    env = build_environment(locale=locale)
    for name in TEMPLATES:
        env.get_template(name)
