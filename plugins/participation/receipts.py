"""Receipt codes 回执码: 80 random bits shown once as ``XXXX-XXXX-XXXX-XXXX`` (base32, easy to read out on the
phone), stored only as their sha256, so the table cannot be used to follow someone else's suggestion."""
from __future__ import annotations

import base64
import hashlib
import secrets


def new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "ignore")).hexdigest()
