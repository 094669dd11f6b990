"""A bare Litestar + Jinja app: ``/page`` renders a template of ``BARE_PAGE_BYTES`` bytes (the
size of our page being compared), ``/healthz`` answers like ours. What a page costs with nothing
of ours around it."""

from __future__ import annotations

import os

from jinja2 import DictLoader, Environment
from litestar import Litestar, MediaType, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

PAGE_BYTES = int(os.environ.get("BARE_PAGE_BYTES", "20000"))
ROW = '<li class="tile"><a href="/booking"><span>预约挂号 Book an appointment {{ n }}</span></a></li>\n'
TEMPLATE = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{{ title }}</title>'
    "</head><body><main><h1>{{ title }}</h1><ul>"
    "{% for n in rows %}" + ROW + "{% endfor %}</ul></main></body></html>"
)
ROWS = max(1, PAGE_BYTES // len(ROW.encode()))

environment = Environment(loader=DictLoader({"page.html": TEMPLATE}), autoescape=True)


@get("/page", media_type=MediaType.HTML)
async def page() -> Template:
    return Template("page.html", context={"title": "一码通", "rows": range(ROWS)})


@get("/healthz", media_type=MediaType.TEXT)
async def healthz() -> str:
    return "ok"


app = Litestar(
    route_handlers=[page, healthz],
    template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
    debug=False,
)
