"""The participation plugin's settings, from the environment.

| variable | default | meaning |
|---|---|---|
| ``MINSHENG_SUGGESTION_MIN_DAYS`` | ``30`` | the shortest call for suggestions, in days (opening and closing day included) |
| ``MINSHENG_SUGGESTIONS_PER_ADDRESS`` | ``5/60`` | anonymous suggestions per client address (``<count>/<seconds>``) |
| ``MINSHENG_PII_KEY`` | — | the key(s) for personal data (see ``personal``) |
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from engine.api.throttle import Limit, parse_limit

MIN_DAYS_ENV = "MINSHENG_SUGGESTION_MIN_DAYS"
PER_ADDRESS_ENV = "MINSHENG_SUGGESTIONS_PER_ADDRESS"


@dataclass(frozen=True)
class Settings:
    min_days: int = 30
    per_address: Limit = Limit(5, 60)


def from_env() -> Settings:
    """The settings; ValueError naming the variable that is malformed."""
    base = Settings()
    days_text = os.environ.get(MIN_DAYS_ENV, "").strip()
    if days_text and (not days_text.isdigit() or int(days_text) < 1):
        raise ValueError(f"{MIN_DAYS_ENV} must be a whole number of days, at least 1, got {days_text!r}")
    limit_text = os.environ.get(PER_ADDRESS_ENV, "")
    return Settings(int(days_text) if days_text else base.min_days,
                    parse_limit(PER_ADDRESS_ENV, limit_text) if limit_text.strip() else base.per_address)
