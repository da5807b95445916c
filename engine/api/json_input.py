"""Decoding a client's JSON (a request body, a WebSocket message) into values every later step can handle.

Refused, each with a sentence naming where: text that is not JSON; nesting deeper than ``MAX_NESTING`` (the
decoder and graphql-core recurse, so deep nesting would otherwise end in a RecursionError); strings holding a
lone UTF-16 surrogate such as ``"\\ud800"`` (valid JSON escapes, but not Unicode text: nothing could store them
or send them back).
"""
from __future__ import annotations

import json
from typing import Any

MAX_NESTING = 32


class BadJson(ValueError):
    """Why the JSON was refused, as a sentence for the client."""


def parse_json(text: str | bytes, what: str = "the body") -> Any:
    """The decoded value; ``BadJson`` when it is not JSON, is nested too deeply, or holds a lone surrogate."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadJson(f"{what} is nested more than {MAX_NESTING} levels deep") from None
    except ValueError:
        raise BadJson(f"{what} is not JSON") from None
    problem = json_problem(data, what)
    if problem:
        raise BadJson(problem)
    return data


def json_problem(data: Any, what: str = "the body") -> str | None:
    """The first problem of decoded JSON (too deep; a lone surrogate in a key or string), or None.

    Iterative, so any depth the decoder accepted is walked without recursion.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_NESTING:
            return f"{what} is nested more than {MAX_NESTING} levels deep (at {_where(what, path[:MAX_NESTING])})"
        if isinstance(value, str):
            if not _is_text(value):
                return (f"{_where(what, path)} contains a lone surrogate (such as \\ud800), which is not valid "
                        "Unicode text")
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _is_text(key):
                    return f"a key in {_where(what, path)} contains a lone surrogate, which is not valid Unicode text"
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value))
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _where(what: str, path: tuple[str, ...]) -> str:
    return ".".join(path) if path else what
