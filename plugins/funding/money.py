"""Money in the funding records: stored as integer fen 分, shown as yuan 元 with two places, never a float.

Rates (资金到位率, 拨付率) are percentages with two places, ``None`` when there is nothing to divide by.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.errors import FieldProblem, InvalidInput
from engine.texts import shown

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_YUAN = Decimal("9999999999999.99")  # under 10 trillion yuan: far above any project, well inside BIGINT fen


def parse_amount(value: Any, path: list[str], allow_zero: bool = False) -> int:
    """An amount in yuan (Decimal, int, numeric string; a float only as its shortest decimal form) as fen.

    Refuses negative amounts, zero unless ``allow_zero``, more than two decimal places and absurd sizes, with
    ``InvalidInput`` at ``path``.
    """
    amount = _decimal(value, path)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _problem(path, f"must be {'zero or more' if allow_zero else 'more than zero'}, got {_shown(amount)}")
    if amount > MAX_YUAN:  # before quantize, which cannot represent amounts this large
        raise _problem(path, f"must be at most {show(int(MAX_YUAN * HUNDRED))} yuan, got {_shown(amount)}")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise _problem(path, f"must have at most two decimal places (yuan and fen), got {_shown(amount)}")
    return int(amount * HUNDRED)


def _shown(amount: Decimal) -> str:
    """An amount as a client can read it back: plain digits when short, scientific notation otherwise."""
    text = str(amount)
    return text if len(text) <= 40 else f"{amount:.6E}"


def _decimal(value: Any, path: list[str]) -> Decimal:
    if isinstance(value, bool):
        raise _problem(path, "must be an amount in yuan")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, (int, Decimal)):
        value = str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 100:
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite():
            return amount
    raise _problem(path, f"must be an amount in yuan, got {shown(value) if isinstance(value, str) else value!r}")


def _problem(path: list[str], message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(path, message)])


def yuan(fen: int | None) -> Decimal:
    """Fen as yuan with two places (``None`` counts as zero)."""
    return (Decimal(int(fen or 0)) / HUNDRED).quantize(CENT)


def show(fen: int) -> str:
    """Fen as a yuan figure for a sentence: ``2,500,000.00``."""
    return f"{yuan(fen):,.2f}"


def rate(numerator_fen: int, denominator_fen: int, rounding: str = ROUND_HALF_UP) -> Decimal | None:
    """``numerator / denominator`` as a percentage with two places; ``None`` when the denominator is 0."""
    if not denominator_fen:
        return None
    return (Decimal(int(numerator_fen)) * HUNDRED / Decimal(int(denominator_fen))).quantize(CENT, rounding=rounding)


def show_ratio(ratio: float | int | Decimal) -> str:
    """A ratio from a workflow file (0.3) as a percentage for a sentence: ``30%``, ``12.5%``."""
    percent = (Decimal(repr(ratio) if isinstance(ratio, float) else str(ratio)) * HUNDRED).normalize()
    text = f"{percent:f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text}%"
