"""Durations in workflow files (``"30 days"``, ``"10 working days"``, ``"5个工作日"``), parsed one way everywhere:
by ``engine.calendar.Duration`` (working days from the official calendar with its holidays and 调休)."""
from __future__ import annotations

from typing import Any

from engine.calendar import Duration


def parse_duration(text: Any, where: str = "") -> Duration:
    """``Duration.parse`` with every refusal as ``ValueError`` (the loader reports it with file and line)."""
    try:
        return Duration.parse(text, where)
    except ValueError:
        raise
    except Exception as exc:  # engine.calendar raises InvalidInput, a DomainError
        raise ValueError(str(exc)) from exc
