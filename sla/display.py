"""Values from files and users, made safe to show: never Markdown, never HTML, never long.

Streamlit renders headings, captions, alerts, expander labels and help texts as Markdown, so
a value such as ``**x** [link](http://…)`` or ``=HYPERLINK(…)`` from an export would become
formatting or a live link. ``literal`` escapes every ASCII punctuation character, which
CommonMark then shows as itself (emoji short codes, colour directives, LaTeX and autolinks
all need punctuation). Bidirectional control characters (which can reorder what a reader
sees) and other control characters are removed, and long values are shortened.
"""

from __future__ import annotations

import re
import unicodedata

SHORT = 80  # characters shown in headings, labels and captions
ELLIPSIS = "…"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def clean(value: object, limit: int | None = SHORT) -> str:
    """One line of plain text: no control or bidi characters, at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = " ".join("".join(ch for ch in text if ch.isspace() or _visible(ch)).split())
    if limit is not None and len(text) > limit:
        return text[: limit - 1].rstrip() + ELLIPSIS
    return text


def _visible(ch: str) -> bool:
    return ch not in _BIDI and unicodedata.category(ch) != "Cc"


def literal(value: object, limit: int | None = SHORT) -> str:
    """``clean(value)`` escaped so that Markdown shows it character for character."""
    return _PUNCTUATION.sub(r"\\\1", clean(value, limit))


def is_shortened(value: object, limit: int = SHORT) -> bool:
    return len(clean(value, None)) > limit
