"""What a hostile browser (or a script) sends to a form: text that breaks naive code, and the
ways a form can be posted wrong (encodings, CSRF tokens, headers, cookies).

Values come from Hypothesis strategies (it knows the values that break code); the plain choices
(which encoding, which mistake) from a ``Random`` the caller seeds, so they are made evenly.
"""

from __future__ import annotations

import unicodedata
from random import Random
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.support.client import PortalClient

# -- text -----------------------------------------------------------------------------

CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in (0x80, 0x85, 0x9F)]
INVISIBLE = [
    "\u00ad",  # soft hyphen
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner (kept by the app: emoji use it)
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # right-to-left override
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u2028",  # line separator
    "\u2029",
    "\ufeff",  # byte-order mark
    "\ue000",  # private use
    "\U000e0001",  # language tag
]
DIGIT_SCRIPTS = {
    "full-width": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended-arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "mathematical": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}
EMOJI = ["😀", "🏥", "👨‍👩‍👧", "🇨🇳", "👍🏽", "❤️", "🧑‍⚕️"]
NUMBERS_AS_TEXT = [
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "1e309",
    "-1",
    "0",
    "-0",
    "0x10",
    "0o17",
    "1_000",
    "1.5",
    "99999999999999999999999999",
    "²",
    "Ⅻ",
    "½",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%s%n",
    "../../etc/passwd",
]
LONG = 10_000


def in_script(text: str, script: str) -> str:
    """``text`` with its ASCII digits written in another script's digits."""
    return text.translate(str.maketrans("0123456789", DIGIT_SCRIPTS[script]))


def _insert(parts: tuple[str, str, int]) -> str:
    text, extra, at = parts
    at = at % (len(text) + 1)
    return text[:at] + extra + text[at:]


def hostile_text(valid: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Text that breaks naive code: empty, 10,000 characters, control and invisible characters,
    full-width and other scripts' digits, emoji, numbers as text, arbitrary Unicode; and, given
    ``valid`` values, those values spoiled (digits in another script, a character slipped in)."""
    valid = valid if valid is not None else st.sampled_from(["13912345678", "abc", "李静"])
    oddity = st.sampled_from(CONTROL + INVISIBLE + EMOJI)
    return st.one_of(
        st.just(""),
        st.sampled_from(["x", "１", "中", "😀", "\u200b", "\x00", "9"]).map(lambda c: c * LONG),
        valid.map(lambda v: (v * (LONG // max(len(v), 1) + 1))[:LONG]),
        st.lists(oddity, min_size=1, max_size=5).map("".join),
        st.tuples(valid, oddity, st.integers(0, 40)).map(_insert),
        st.tuples(valid, st.sampled_from(sorted(DIGIT_SCRIPTS))).map(lambda p: in_script(*p)),
        st.sampled_from(sorted(DIGIT_SCRIPTS)).flatmap(
            lambda s: st.text(alphabet=DIGIT_SCRIPTS[s], min_size=1, max_size=20)
        ),
        st.sampled_from(EMOJI + NUMBERS_AS_TEXT),
        valid.map(lambda v: f" \t{v}\u3000 "),  # white space around, ideographic space too
        valid.map(lambda v: unicodedata.normalize("NFD", v.upper())),
        st.text(max_size=60),
        st.text(st.characters(codec="utf-8"), max_size=30),
    )


# -- posting a form -----------------------------------------------------------------------

CSRF_FIELD = "_csrf_token"
"""The form field that carries the CSRF token: post_form fuzzes it (CSRF below)."""
ENCODINGS = {"form": 16, "multipart": 2, "broken": 1, "json": 1}
CSRF = {"field": 40, "header": 2, "missing": 1, "twice": 1, "garbled": 1, "garbled header": 1}
HEADERS = [
    {},
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "console-panel"},
    {"HX-Request": "true", "HX-Current-URL": "http://[abc"},
    {"HX-Request": "true", "HX-Current-URL": "http://testserver.local//evil.example/%00"},
    {"Referer": "http://testserver.local/patients?next=//evil.example"},
    {"Referer": "http://[::1/x"},
    {"Referer": "https://evil.example/"},
]
"""Headers a browser (or a page left open, or a script) sends that pages read."""
PREFERENCE_COOKIES = ["", "elder", "en", "zh_Hans" * 300, "../../etc", "%E9%00", "elder;en"]
BROKEN = ["%ff%fe=%c3%28", "%", "%zz=1", "=&&==", "a=%00", "x" * 3000 + "=1", "%E4%B8", "+=+"]
"""Pieces of a url-encoded body no browser would send (invalid UTF-8, broken escapes)."""


def weighted(rnd: Random, weights: dict[str, int]) -> str:
    return rnd.choices(list(weights), list(weights.values()))[0]


def post_form(
    data: st.DataObject,
    rnd: Random,
    client: PortalClient,
    path: str,
    fields: list[tuple[str, str]],
) -> tuple[Any, str]:
    """POST the fields in a drawn encoding, with the CSRF token where a browser puts it (or
    not); the answer, and how it was sent."""
    token = client.csrf_token()
    csrf = weighted(rnd, CSRF)
    headers: dict[Any, Any] = dict(rnd.choice(HEADERS))
    if rnd.random() < 0.1:  # the display preferences, as cookies (they work before login)
        client.cookies.set(rnd.choice(["ymt_lang", "ymt_mode"]), rnd.choice(PREFERENCE_COOKIES))
    if csrf == "header":
        headers["x-csrftoken"] = token
    elif csrf == "garbled header":  # what a proxy or a broken client might send
        headers[b"x-csrftoken"] = (token + "é" * 10).encode()
    elif csrf == "garbled":
        fields = [(CSRF_FIELD, data.draw(hostile_text(st.just(token)))), *fields]
    elif csrf != "missing":
        fields = [(CSRF_FIELD, token), *fields]
        if csrf == "twice":
            fields.append((CSRF_FIELD, "not-the-token"))
    encoding = weighted(rnd, ENCODINGS)
    sent: dict[str, Any] = {"data": grouped(fields)}
    if encoding == "broken":
        body = urlencode(fields)
        at = rnd.randrange(len(body) + 1)
        body = body[:at] + "&" + rnd.choice(BROKEN) + "&" + body[at:]
        headers["content-type"] = "application/x-www-form-urlencoded"
        sent = {"content": body.encode()}
    elif encoding == "json":
        sent = {"json": dict(fields)}
    elif encoding == "multipart":
        # One field (or a stray one) sent as a file upload, the others as multipart fields.
        as_file = rnd.randrange(len(fields) + 1)
        filename = rnd.choice(["a.txt", "", "\u202etxt.exe", "\x00.txt"])
        name, value = [*fields, ("upload", "GIF89a")][as_file]
        rest = fields[:as_file] + fields[as_file + 1 :]
        sent = {"data": grouped(rest), "files": [(name, (filename, value.encode(), "text/plain"))]}
    response = client.post(path, headers=headers, follow_redirects=False, **sent)
    return response, f"{encoding}, csrf {csrf}"


def grouped(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form
