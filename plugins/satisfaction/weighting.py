"""Weighting residents' answers apart from officials' in the grade (e.g. Zhenhai's 群众 60 / 四套班子 30 / 网络 10).

``weights`` (the ``satisfaction.grade`` parameter) maps rater kinds to whole numbers ≥ 0, e.g. ``{resident: 60,
supervisor: 20, deputy: 20}``; kinds left out weigh 0 and at least one weight must be positive. The weighted rate
is Σ weight × rate of that kind / Σ weights, exactly (fractions). Every kind with a positive weight must have
answers; otherwise there is no weighted rate (the grade is refused rather than letting the kinds that did
answer decide alone, which would undo the bound below). Without weights every answer counts alike (the pooled
rate), as before weights existed.

The bound: a kind with weight w out of a total W moves the weighted rate by at most 100 × w / W points,
whatever the number of its answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from plugins.satisfaction.ratings import KIND_LABELS, RATER_KINDS
from plugins.satisfaction.scoring import Tally

Weights = Mapping[str, int]


def weights_problem(value: Any) -> str | None:
    """What is wrong with a ``weights`` parameter, worded to follow "parameter 'weights' ", or None."""
    if not isinstance(value, Mapping):
        return f"must be a mapping of rater kinds to weights, e.g. {{resident: 60, supervisor: 20, deputy: 20}}, " \
               f"got {value!r}"
    unknown = [str(k) for k in value if k not in RATER_KINDS]
    if unknown:
        return f"has unknown rater kind(s) {', '.join(unknown)}; the kinds are {', '.join(RATER_KINDS)}"
    bad = [f"{k}: {v!r}" for k, v in value.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if bad:
        return f"must give whole numbers ≥ 0, got {', '.join(bad)}"
    if not any(value.values()):
        return "must give at least one rater kind a positive weight"
    return None


def check_weights(value: Any) -> dict[str, int]:
    """Every rater kind's weight (0 for kinds left out), or ValueError saying what is wrong."""
    problem = weights_problem(value)
    if problem is not None:
        raise ValueError(f"'weights' {problem}")
    return {kind: int(value.get(kind, 0)) for kind in RATER_KINDS}


@dataclass(frozen=True)
class Weighted:
    """The weighted rate (a fraction of 1), or None when some weighted kind has no answers (``missing``)."""

    rate: Fraction | None
    missing: tuple[str, ...] = ()

    def missing_reason(self) -> str:
        labels = "、".join(f"{KIND_LABELS[k]} ({k})" for k in self.missing)
        return f"no answers yet from {labels}, whose weight the grade needs (满意度测评权重)"


def weighted_rate(by_kind: Mapping[str, Tally], weights: Weights) -> Weighted:
    """Σ weight × rate / Σ weight over kinds with a positive weight, exact."""
    counted = {kind: w for kind, w in weights.items() if w > 0}
    missing = tuple(kind for kind in counted if by_kind.get(kind, Tally()).responses == 0)
    if missing:
        return Weighted(None, missing)
    total = sum(counted.values())
    rate = sum((Fraction(w) * by_kind[kind].rate_fraction() for kind, w in counted.items()), Fraction(0))
    return Weighted(rate / total)


def bound_points(weights: Weights, kind: str) -> Fraction:
    """How many percentage points the answers of ``kind`` alone can move the weighted rate: 100 × w / W."""
    return Fraction(100 * weights.get(kind, 0), sum(weights.values()))
