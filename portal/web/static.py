"""Static files, squeezed once: each file under ``static/`` is read, fingerprinted and compressed
(brotli at its best quality, gzip at its best level) the first time it is asked for, then served
from memory in the encoding the browser takes.

Compressing per request, as the page compressor does, would spend a millisecond or two on htmx
every time and settle for a faster, weaker brotli: at quality 11 the elder home's first visit is
about 2 KB lighter, which on a weak signal is what an old phone notices. While developing
(``PORTAL_RELOAD_TEMPLATES``) an edited file is read again.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import brotli
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from portal.web.security import static_cache_control

TEXT_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
SMALLEST_WORTH_SQUEEZING = 500


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    encoded: dict[str, bytes]
    """The body compressed, by Content-Encoding, when that is smaller."""
    media_type: str
    etag: str
    mtime_ns: int


def _squeeze(body: bytes) -> dict[str, bytes]:
    if len(body) < SMALLEST_WORTH_SQUEEZING:
        return {}
    candidates = {
        "br": brotli.compress(body, quality=11, mode=brotli.MODE_TEXT),
        "gzip": gzip.compress(body, compresslevel=9, mtime=0),
    }
    return {name: data for name, data in candidates.items() if len(data) < len(body)}


def _media_type(path: Path) -> str:
    known = TEXT_TYPES.get(path.suffix)
    if known:
        return f"{known}; charset=utf-8"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def accepted_encoding(accept_encoding: str, offered: dict[str, bytes]) -> str | None:
    """brotli when the browser takes it, else gzip, else none (``q=0`` refuses a coding)."""
    taken = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=")
        if params and quality.replace(".", "", 1).isdigit() and float(quality) == 0:
            continue
        taken.add(name.strip())
    for name in ("br", "gzip"):
        if name in offered and (name in taken or "*" in taken):
            return name
    return None


class StaticFiles:
    """The files under one directory, loaded and compressed on first use."""

    def __init__(self, root: Path, *, watch: bool) -> None:
        self.root = root.resolve()
        self.watch = watch
        self._files: dict[str, StaticFile] = {}

    def _locate(self, relative: str) -> Path | None:
        parts = PurePosixPath(relative.lstrip("/")).parts
        if not parts or any(p in {"", ".", ".."} or p.startswith(".") for p in parts):
            return None
        path = self.root.joinpath(*parts).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def get(self, relative: str) -> StaticFile | None:
        known = self._files.get(relative)
        if known is not None and not self.watch:
            return known
        path = self._locate(relative)
        if path is None:
            return None
        mtime_ns = path.stat().st_mtime_ns
        if known is not None and known.mtime_ns == mtime_ns:
            return known
        body = path.read_bytes()
        loaded = StaticFile(
            body=body,
            encoded=_squeeze(body),
            media_type=_media_type(path),
            etag='"' + hashlib.sha256(body).hexdigest()[:16] + '"',
            mtime_ns=mtime_ns,
        )
        self._files[relative] = loaded
        return loaded


def static_files_handler(files: StaticFiles) -> Any:
    """The route for ``/static/...``: the file in the best encoding the browser takes, its
    ETag (a 304 when the browser has it), and how long it may be kept."""

    @get(
        "/static/{file_path:path}",
        name="static",
        include_in_schema=False,
        opt={"skip_session": True},
    )
    async def static_file(
        request: Request[Any, Any, Any], file_path: FromPath[str]
    ) -> Response[bytes]:
        found = files.get(file_path)
        if found is None:
            raise NotFoundException()
        headers = {
            "etag": found.etag,
            "vary": "Accept-Encoding",
            "cache-control": static_cache_control(request.scope.get("query_string", b"")),
        }
        if request.headers.get("if-none-match") == found.etag:
            return Response(b"", status_code=304, headers=headers)
        encoding = accepted_encoding(request.headers.get("accept-encoding", ""), found.encoded)
        body = found.encoded[encoding] if encoding else found.body
        if encoding:
            headers["content-encoding"] = encoding
        return Response(body, media_type=found.media_type, headers=headers)

    return static_file
