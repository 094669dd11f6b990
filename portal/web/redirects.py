"""Where to go after a form: only paths on this site (no open redirects)."""

from __future__ import annotations


def safe_next(target: str | None, default: str = "/") -> str:
    """Accept a local absolute path like ``/patients``; anything else goes to ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):  # tabs, newlines: never in a path
        return default
    return target
