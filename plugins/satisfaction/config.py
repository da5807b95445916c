"""The satisfaction plugin's settings for anonymous ratings, read from the environment (like the pepper
``MINSHENG_DEVICE_PEPPER``): rate limits as ``"<count>/<seconds>"`` and device-token lifetimes in seconds.

| variable | default | meaning |
|---|---|---|
| ``MINSHENG_SATISFACTION_RATINGS_PER_ADDRESS`` | ``5/60`` | residents' ratings per client address |
| ``MINSHENG_SATISFACTION_RATINGS_PER_PROJECT`` | ``120/3600`` | residents' ratings per project |
| ``MINSHENG_SATISFACTION_TOKENS_PER_ADDRESS`` | ``10/3600`` | device tokens issued per client address |
| ``MINSHENG_DEVICE_TOKEN_LIFETIME`` | ``2592000`` (30 days) | how long an issued token may rate |
| ``MINSHENG_DEVICE_TOKEN_MIN_AGE`` | ``5`` | how old a token must be before it may rate |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from engine.api.throttle import Limit, parse_limit

__all__ = ["Limit", "Settings", "from_env", "parse_limit", "parse_seconds"]

RATINGS_PER_ADDRESS_ENV = "MINSHENG_SATISFACTION_RATINGS_PER_ADDRESS"
RATINGS_PER_PROJECT_ENV = "MINSHENG_SATISFACTION_RATINGS_PER_PROJECT"
TOKENS_PER_ADDRESS_ENV = "MINSHENG_SATISFACTION_TOKENS_PER_ADDRESS"
TOKEN_LIFETIME_ENV = "MINSHENG_DEVICE_TOKEN_LIFETIME"
TOKEN_MIN_AGE_ENV = "MINSHENG_DEVICE_TOKEN_MIN_AGE"
DEFAULT_ROUND_DAYS = 30  # a survey round 调查轮次 opened without a closing date stays open this many days


@dataclass(frozen=True)
class Settings:
    ratings_per_address: Limit = Limit(5, 60)
    ratings_per_project: Limit = Limit(120, 3600)
    tokens_per_address: Limit = Limit(10, 3600)
    token_lifetime: int = 30 * 24 * 3600  # seconds
    token_min_age: int = 5  # seconds


def parse_seconds(name: str, text: str, minimum: int) -> int:
    """A whole number of seconds ≥ ``minimum``, or ValueError naming the variable."""
    if not text.strip().isdigit() or int(text) < minimum:
        raise ValueError(f"{name} must be a whole number of seconds, at least {minimum}, got {text!r}")
    return int(text)


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``env`` (default ``os.environ``); unset variables keep their defaults. Raises
    ValueError naming the first variable that is malformed, or a minimum age not below the lifetime."""
    env = os.environ if env is None else env
    base = Settings()
    limit = {name: parse_limit(name, env[name]) for name in
             (RATINGS_PER_ADDRESS_ENV, RATINGS_PER_PROJECT_ENV, TOKENS_PER_ADDRESS_ENV) if env.get(name)}
    lifetime = parse_seconds(TOKEN_LIFETIME_ENV, env[TOKEN_LIFETIME_ENV], 1) if env.get(TOKEN_LIFETIME_ENV) \
        else base.token_lifetime
    min_age = parse_seconds(TOKEN_MIN_AGE_ENV, env[TOKEN_MIN_AGE_ENV], 0) if env.get(TOKEN_MIN_AGE_ENV) \
        else base.token_min_age
    if min_age >= lifetime:
        raise ValueError(f"{TOKEN_MIN_AGE_ENV} ({min_age}) must be below {TOKEN_LIFETIME_ENV} ({lifetime})")
    return Settings(limit.get(RATINGS_PER_ADDRESS_ENV, base.ratings_per_address),
                    limit.get(RATINGS_PER_PROJECT_ENV, base.ratings_per_project),
                    limit.get(TOKENS_PER_ADDRESS_ENV, base.tokens_per_address), lifetime, min_age)
