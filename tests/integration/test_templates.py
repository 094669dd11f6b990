"""Templates as a set: every one compiles, every page extends the base and sets a title,
every template the code or another template names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import meta, nodes

from portal.settings import BASE_DIR
from portal.web.templating import TEMPLATE_DIR, build_environment

ENV = build_environment()
TEMPLATES = sorted(
    path.relative_to(TEMPLATE_DIR).as_posix() for path in TEMPLATE_DIR.rglob("*.html")
)


def parse(name: str) -> nodes.Template:
    source = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
    return ENV.parse(source, name=name)


def parent_of(name: str) -> str | None:
    """The layout a template extends (None when it extends nothing)."""
    extends = list(parse(name).find_all(nodes.Extends))
    if not extends:
        return None
    layout = extends[0].template
    return layout.value if isinstance(layout, nodes.Const) else "<computed>"


# A layout is a template other templates extend (base.html, or a feature's own layout such as
# staff/layout.html); a page is everything else that is not a fragment ("_…") or macros.
LAYOUTS = {"base.html"} | {parent_of(name) for name in TEMPLATES if parent_of(name)}
PAGES = [
    name
    for name in TEMPLATES
    if name not in LAYOUTS and name != "_macros.html" and not Path(name).name.startswith("_")
]


def test_there_are_templates_and_pages() -> None:
    assert "base.html" in TEMPLATES
    assert "errors/error.html" in PAGES
    assert "home/standard.html" in PAGES


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_compiles(name: str) -> None:
    ENV.get_template(name)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_extends_the_base(name: str) -> None:
    chain = [name]
    while chain[-1] != "base.html":
        layout = parent_of(chain[-1])
        assert layout is not None, f"{' → '.join(chain)} does not extend base.html"
        assert layout not in chain and layout != "<computed>", " → ".join([*chain, layout])
        chain.append(layout)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_sets_a_title(name: str) -> None:
    titles = [b for b in parse(name).find_all(nodes.Block) if b.name == "title"]
    assert titles, f"{name} has no title block"
    assert any(node for node in titles[0].body), f"{name} has an empty title"


def test_the_base_has_a_title_block_and_the_language() -> None:
    tree = parse("base.html")
    assert "title" in {b.name for b in tree.find_all(nodes.Block)}
    assert 'lang="{{ html_lang(s.locale) }}"' in (TEMPLATE_DIR / "base.html").read_text()


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_another_template_names_exists(name: str) -> None:
    for referenced in meta.find_referenced_templates(parse(name)):
        if referenced is None:
            continue  # a name computed at run time
        assert (TEMPLATE_DIR / referenced).is_file(), f"{name} names missing {referenced}"


def _names_in_code() -> list[tuple[str, str]]:
    """Every template name a module in portal/ mentions: Template("…"), HTMXTemplate(…),
    or a helper handed "feature/page.html"."""
    found = []
    for path in sorted((BASE_DIR / "portal").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"""["']([\w/.-]+\.html)["']""", source):
            found.append((path.relative_to(BASE_DIR).as_posix(), match.group(1)))
    return found


CODE_NAMES = _names_in_code()


def test_handlers_name_templates() -> None:
    assert ("portal/accounts/controllers/family.py", "accounts/patients.html") in CODE_NAMES


@pytest.mark.parametrize(("module", "name"), CODE_NAMES, ids=[f"{m}:{n}" for m, n in CODE_NAMES])
def test_every_template_a_handler_names_exists(module: str, name: str) -> None:
    assert (TEMPLATE_DIR / name).is_file(), f"{module} names missing template {name}"


# Features whose templates name every address through url_for; the others join as they move.
ROUTED = (
    "base.html",
    "_macros.html",
    "web/",
    "errors/",
    "home/",
    "accounts/",
    "cards/",
    "messaging/",
    "queue/",
    "kiosk/",
    "staff/",
)
TYPED_PATH = re.compile(r"""\b(?:href|action|hx-(?:get|post|put|patch|delete)|value)="/""")


@pytest.mark.parametrize("name", [t for t in TEMPLATES if t.startswith(ROUTED)])
def test_addresses_come_from_url_for_not_typed_paths(name: str) -> None:
    source = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
    typed = [m.group(0) for m in TYPED_PATH.finditer(source)]
    assert not typed, f"{name} types paths ({typed}): use url_for('route-name', …)"
