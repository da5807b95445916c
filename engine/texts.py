"""What any text a client submits may contain: printable characters, and line breaks and tabs where the text may
span lines. Control characters (NUL, escape, C1 controls…), lone surrogates and Unicode line/paragraph separators
are refused: they corrupt exports and terminals, break single-line displays, or cannot be stored at all.
"""
from __future__ import annotations

import re

SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
LINE_BREAKS = ("\n", "\r", "\u2028", "\u2029")
SHOWN_CHARS = 60  # how much of a refused value an error message repeats


def shown(value: str) -> str:
    """A client's value made safe to repeat in a message: shortened, and lone surrogates escaped."""
    text = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` (as some text areas send) as ``\\n``; a lone ``\\r`` stays and is refused by ``text_problem``."""
    return text.replace("\r\n", "\n")


def text_problem(text: str, limit: int, multiline: bool = False) -> str | None:
    """Why ``text`` may not be stored (too long, a line break in a single line, a control character), or None.

    The message completes a sentence starting with the field's name: "must be at most 200 characters".
    """
    if len(text) > limit:
        return f"must be at most {limit} characters"
    found = (MULTI_LINE_FORBIDDEN if multiline else SINGLE_LINE_FORBIDDEN).search(text)
    if found is None:
        return None
    char = found.group()
    if not multiline and char in LINE_BREAKS:
        return "must be a single line"
    allowed = "line breaks and tabs are the only control characters allowed" if multiline else \
        "control characters are not allowed"
    return f"must not contain U+{ord(char):04X} (at character {found.start() + 1}): {allowed}"
