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
import re
from dataclasses import dataclass
from typing import Mapping

RATINGS_PER_ADDRESS_ENV = "MINSHENG_SATISFACTION_RATINGS_PER_ADDRESS"
RATINGS_PER_PROJECT_ENV = "MINSHENG_SATISFACTION_RATINGS_PER_PROJECT"
TOKENS_PER_ADDRESS_ENV = "MINSHENG_SATISFACTION_TOKENS_PER_ADDRESS"
TOKEN_LIFETIME_ENV = "MINSHENG_DEVICE_TOKEN_LIFETIME"
TOKEN_MIN_AGE_ENV = "MINSHENG_DEVICE_TOKEN_MIN_AGE"
DEFAULT_ROUND_DAYS = 30  # a survey round 调查轮次 opened without a closing date stays open this many days
LIMIT_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``seconds`` (a leaky bucket of capacity ``count`` draining evenly)."""

    count: int
    seconds: int

    @property
    def rate(self) -> float:
        """Units drained per second."""
        return self.count / self.seconds


@dataclass(frozen=True)
class Settings:
    ratings_per_address: Limit = Limit(5, 60)
    ratings_per_project: Limit = Limit(120, 3600)
    tokens_per_address: Limit = Limit(10, 3600)
    token_lifetime: int = 30 * 24 * 3600  # seconds
    token_min_age: int = 5  # seconds


def parse_limit(name: str, text: str) -> Limit:
    """``"5/60"`` as a Limit, or ValueError naming the variable and the expected form."""
    found = LIMIT_PATTERN.fullmatch(text)
    if not found or int(found.group(1)) < 1 or int(found.group(2)) < 1:
        raise ValueError(f"{name} must be '<count>/<seconds>' with both at least 1 (e.g. '5/60'), got {text!r}")
    return Limit(int(found.group(1)), int(found.group(2)))


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
