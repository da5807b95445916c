"""Personal data 个人信息 of a suggestion (建议人, 联系电话): encrypted at rest with Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``), decrypted only for an office of the call's region.

The key comes from the environment, ``MINSHENG_PII_KEY``: one Fernet key (``minsheng suggestion keygen`` prints a
new one), or several separated by commas to rotate keys (the first encrypts, every one decrypts). It is never
stored in the database. Without it a write or read of personal data fails with ``PersonalDataKeyMissing``, which
says what to set — unless the database holds a *development* key: the demo (and only a deliberate
``allow_development_key``) stores one in ``participation_dev_key``, which protects nothing at rest and is logged
as such; a production database never has one.
"""
from __future__ import annotations

import logging
import os
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from engine.errors import DomainError
from engine.storage.sql import Sql

log = logging.getLogger("minsheng.participation")

KEY_ENV = "MINSHENG_PII_KEY"
UNREADABLE = "（无法解密）"  # shown to an office when no configured key opens a stored value
_CACHE: dict[str, MultiFernet] = {}
_LOCK = threading.Lock()
_WARNED: set[int] = set()


class PersonalDataKeyMissing(DomainError):
    """No key to encrypt or decrypt personal data: the deployment must set ``MINSHENG_PII_KEY``."""

    code = "CONFIGURATION"

    def __init__(self) -> None:
        super().__init__(f"personal data cannot be stored or read: the server has no encryption key; set {KEY_ENV} "
                         "to a Fernet key (print one with `minsheng suggestion keygen`)")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _env_keys() -> list[str]:
    return [k.strip() for k in os.environ.get(KEY_ENV, "").split(",") if k.strip()]


def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    joined = ",".join(keys)
    with _LOCK:
        found = _CACHE.get(joined)
        if found is None:
            try:
                found = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
            except (ValueError, UnicodeEncodeError):
                raise ValueError(f"{KEY_ENV} must be Fernet keys (32 url-safe base64-encoded bytes each), separated "
                                 "by commas; print one with `minsheng suggestion keygen`") from None
            _CACHE[joined] = found
        return found


def _dev_key(sql: Sql) -> str | None:
    return sql.scalar("SELECT key FROM participation_dev_key ORDER BY id LIMIT 1")


def allow_development_key(sql: Sql) -> None:
    """Store a development key in the database (the demo): personal data is then readable by anyone holding the
    database. Never for a real deployment."""
    if _dev_key(sql) is None:
        sql.execute("INSERT INTO participation_dev_key (key) VALUES (?)", (new_key(),))


def cipher(sql: Sql) -> MultiFernet:
    """The cipher: the environment's keys, then the database's development key if it has one."""
    keys = _env_keys()
    dev = _dev_key(sql)
    if dev is not None:
        if not keys and id(sql.db) not in _WARNED:
            _WARNED.add(id(sql.db))
            log.warning("%s is not set: personal data is encrypted with the demo's development key kept in the "
                        "database, which protects nothing at rest", KEY_ENV)
        keys.append(dev)
    if not keys:
        raise PersonalDataKeyMissing()
    return _cipher(tuple(keys))


def seal(sql: Sql, value: str | None) -> str | None:
    """``value`` encrypted (None and '' stay None: nothing to protect)."""
    if not value:
        return None
    return cipher(sql).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(box: MultiFernet, stored: str | None) -> str | None:
    if stored is None:
        return None
    try:
        return box.decrypt(stored.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return UNREADABLE
