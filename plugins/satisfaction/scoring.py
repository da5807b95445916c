"""The arithmetic of 满意度测评 (satisfaction surveys): levels, verdicts, the rate, the deputies' majority rule
and the grade bands. Pure functions on plain numbers; no database.

Choices made here (documented in ``plugins/satisfaction/README.md``):

- Five-level answers map to the three verdicts for the rate: 100 (很满意) and 80 (满意) → 满意; 60 (基本满意)
  → 基本满意; 40 (不满意) and 20 (很不满意) → 不满意.
- The satisfaction rate 满意率 is (满意 + 基本满意) / valid answers, over every individual answer (residents,
  监督员 and 人大代表 alike); a deputies' vote session is a separate, collective verdict and is not an answer.
- The grade comes from the satisfaction rate (a percentage), not from the mean score: bands ``[top, middle]``,
  default ``[90, 75]``: rate ≥ 90 → 优良, ≥ 75 → 良好, below → 一般.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Sequence

SATISFIED = "satisfied"  # 满意
BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
DISSATISFIED = "dissatisfied"  # 不满意
VERDICTS = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED)
VERDICT_LABELS = {SATISFIED: "满意", BASICALLY_SATISFIED: "基本满意", DISSATISFIED: "不满意"}

SCORES = (100, 80, 60, 40, 20)  # the five levels 很满意 / 满意 / 基本满意 / 不满意 / 很不满意
SCORE_VERDICT = {100: SATISFIED, 80: SATISFIED, 60: BASICALLY_SATISFIED, 40: DISSATISFIED, 20: DISSATISFIED}

TOP, MIDDLE, BOTTOM = "top", "middle", "bottom"
GRADE_LABELS = {TOP: "优良", MIDDLE: "良好", BOTTOM: "一般"}
DEFAULT_BANDS = (90, 75)

TWO_PLACES = Decimal("0.01")


def verdict_of_score(score: int) -> str:
    """The verdict a five-level score counts as in the rate (100/80 满意, 60 基本满意, 40/20 不满意)."""
    if score not in SCORE_VERDICT:
        raise ValueError(f"a satisfaction score is one of {', '.join(map(str, SCORES))}, got {score}")
    return SCORE_VERDICT[score]


@dataclass(frozen=True)
class Tally:
    """Counted answers: verdicts (five-level answers counted by their mapped verdict) and score totals."""

    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    score_sum: int = 0  # over five-level answers only
    scored: int = 0  # how many answers were five-level

    @property
    def responses(self) -> int:
        """Valid answers 有效答卷."""
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def favourable(self) -> int:
        """满意 + 基本满意: the numerator of the satisfaction rate."""
        return self.satisfied + self.basically_satisfied

    def rate_fraction(self) -> Fraction | None:
        """The exact satisfaction rate as a fraction of 1, or None without answers."""
        return Fraction(self.favourable, self.responses) if self.responses else None

    def rate_percent(self) -> Decimal | None:
        """满意率 in percent with two places (3,136 of 3,200 → 98.00), or None without answers."""
        return percent(self.rate_fraction())

    def mean_score(self) -> Decimal | None:
        """Mean of the five-level scores with two places, or None when no answer was five-level."""
        if not self.scored:
            return None
        return _decimal(Fraction(self.score_sum, self.scored))


def percent(value: Fraction | None) -> Decimal | None:
    return None if value is None else _decimal(value * 100)


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO_PLACES, ROUND_HALF_UP)


def deputies_verdict(present: int, satisfied: int, basically_satisfied: int) -> str:
    """The deputies' rating of a project (人大代表票决测评): 满意 if 满意 votes exceed half of the members present,
    else 基本满意 if 满意 + 基本满意 votes exceed half, else 不满意. 29 present, 17/11/1 → 满意 (17 > 14.5)."""
    if 2 * satisfied > present:
        return SATISFIED
    if 2 * (satisfied + basically_satisfied) > present:
        return BASICALLY_SATISFIED
    return DISSATISFIED


def quorum_met(present: int, expected: int) -> bool:
    """Whether more than half of the members expected (组成人员) were present (过半数出席)."""
    return 2 * present > expected


def check_bands(bands: Sequence[object]) -> tuple[Fraction, Fraction]:
    """``[top, middle]`` as exact numbers, or ValueError saying what is wrong with them."""
    numbers = list(bands)
    if len(numbers) != 2 or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise ValueError(f"'bands' must be two numbers [top, middle] in percent, got {numbers!r}")
    top, middle = (Fraction(str(n)) for n in numbers)
    if not 100 >= top > middle >= 0:
        raise ValueError(f"'bands' must satisfy 100 ≥ top > middle ≥ 0 (percent), got {numbers!r}")
    return top, middle


def grade_of(rate: Fraction, bands: Sequence[object] = DEFAULT_BANDS) -> str:
    """The grade band of a satisfaction rate (a fraction of 1): 优良 (top) at or above ``top`` percent, 良好
    (middle) at or above ``middle``, else 一般 (bottom). Compared exactly: 89.999…% is not 90%."""
    top, middle = check_bands(bands)
    if rate * 100 >= top:
        return TOP
    if rate * 100 >= middle:
        return MIDDLE
    return BOTTOM
