"""Over the wire: pages, CSS and JS compressed (brotli when the browser takes it, else gzip);
versioned static files kept for a year, unversioned ones asked for again."""

from __future__ import annotations

import re

import brotli

from tests.support.client import PortalClient


def test_a_page_is_brotli_for_a_browser_that_takes_it_and_gzip_otherwise(
    client: PortalClient,
) -> None:
    plain = client.get("/login", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    squeezed = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["content-encoding"] == "br"
    assert squeezed.num_bytes_downloaded < plain.num_bytes_downloaded / 2
    assert squeezed.text == plain.text  # the client decompresses brotli itself
    gzipped = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.text == plain.text  # the client decompresses gzip itself


def test_stylesheet_and_script_are_compressed_and_versioned_for_a_year(
    client: PortalClient,
) -> None:
    page = client.get("/login").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]+)"', page)
    assert any(".css" in a for a in assets) and any(".js" in a for a in assets), assets
    for asset in assets:
        response = client.get(asset, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        if asset.split("?")[0].endswith((".css", ".js")):
            assert response.headers.get("content-encoding") == "br", asset
            assert response.num_bytes_downloaded < len(response.content)


def test_an_unversioned_static_file_is_asked_for_again(client: PortalClient) -> None:
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, no-cache"


def test_static_files_are_squeezed_at_their_best_once_and_kept_by_etag(
    client: PortalClient,
) -> None:
    raw = client.get("/static/js/vendor/htmx.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.headers["content-type"].startswith("text/javascript")
    best = len(brotli.compress(raw.content, quality=11))
    squeezed = client.get("/static/js/vendor/htmx.min.js", headers={"Accept-Encoding": "br"})
    assert squeezed.headers["content-encoding"] == "br"
    assert squeezed.headers["vary"] == "Accept-Encoding"
    assert int(squeezed.headers["content-length"]) == best  # quality 11, not a quick squeeze
    assert squeezed.content == raw.content
    gzipped = client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
    assert gzipped.headers["content-encoding"] == "gzip"
    again = client.get("/static/css/site.css", headers={"If-None-Match": gzipped.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_nothing_outside_the_static_folder_is_served(client: PortalClient) -> None:
    for path in (
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/css/%2e%2e/%2e%2e/pyproject.toml",
        "/static/.hidden",
        "/static/",
        "/static/css",
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert "[project]" not in response.text
