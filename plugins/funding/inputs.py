"""Checking what a clerk submits for the funding records: sources, texts and dates, each problem at its path."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.errors import FieldProblem, InvalidInput
from engine.texts import text_problem
from plugins.funding.sources import KIND_LABELS, SOURCE_LABELS, SocialKind, Source


def source_of(value: Any, kind: Any, path: list[str]) -> tuple[Source, SocialKind | None]:
    """The source and, for social capital 社会资本 only, its kind (required there, refused elsewhere).

    ``path`` is the input object's path; problems point at its ``source`` or ``kind`` field.
    """
    source = _member(Source, value, [*path, "source"], SOURCE_LABELS)
    if source is Source.SOCIAL:
        if kind is None or kind == "":
            raise _problem([*path, "kind"], "social capital (社会资本) needs a kind: "
                           + _choices(KIND_LABELS))
        return source, _member(SocialKind, kind, [*path, "kind"], KIND_LABELS)
    if kind is not None and kind != "":
        raise _problem([*path, "kind"], f"only social capital (社会资本) has a kind; {source.value} "
                                        f"({source.label}) does not")
    return source, None


def _member(enum: Any, value: Any, path: list[str], labels: dict[Any, str]) -> Any:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        raise _problem(path, f"unknown value {value!r}; one of {_choices(labels)}") from None


def _choices(labels: dict[Any, str]) -> str:
    return ", ".join(f"{member.value} ({label})" for member, label in labels.items())


def text(value: Any, path: list[str], limit: int, required: bool = False) -> str:
    """A single line of at most ``limit`` printable characters, trimmed; ``""`` when missing and not required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _problem(path, "is required")
        return ""
    if not isinstance(value, str):
        raise _problem(path, "must be text")
    cleaned = value.strip()
    problem = text_problem(cleaned, limit)
    if problem:
        raise _problem(path, problem)
    return cleaned


def day(value: Any, path: list[str], today: dt.date) -> dt.date:
    """A date not after ``today``; ``today`` when missing. Accepts a date or an ISO string (2024-03-01)."""
    if value is None or value == "":
        return today
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _problem(path, f"must be a date like 2024-03-01, got {value!r}") from None
    if not isinstance(value, dt.date):
        raise _problem(path, f"must be a date like 2024-03-01, got {value!r}")
    if value > today:
        raise _problem(path, f"cannot be in the future: {value.isoformat()} is after today ({today.isoformat()})")
    return value


def _problem(path: list[str], message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(path, message)])
