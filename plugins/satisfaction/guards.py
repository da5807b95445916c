"""The satisfaction plugin's guard ``satisfaction.rated`` and action ``satisfaction.grade``.

``satisfaction.grade`` grades a project from its satisfaction rate 满意率 into three bands (default 优良 ≥ 90%,
良好 ≥ 75%, 一般 below), stores the grade with its figures, and — when the other plugins are enabled — grants
the reward 奖补 of a top grade (``funding.grant_reward``) or opens the rectification 整改 of a bottom grade
(``inspection.open_rectification``). When such an action is not registered it is skipped and logged.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Sequence

from engine.errors import GuardFailed
from engine.guards import ActionSpec, GuardContext, GuardSpec, Param
from plugins.satisfaction.scoring import BOTTOM, DEFAULT_BANDS, GRADE_LABELS, TOP, Tally, check_bands, grade_of
from plugins.satisfaction.summary import project_tally, response_count

log = logging.getLogger("minsheng.satisfaction")

REWARD_ACTION = "funding.grant_reward"
RECTIFICATION_ACTION = "inspection.open_rectification"
RECTIFICATION_TEXT = "满意度评价为一般，限期整改"


def rated(ctx: GuardContext, min_responses: int = 30) -> str | None:
    """Enough valid answers 有效答卷 have been collected to judge the project's satisfaction."""
    count = response_count(ctx.sql, ctx.project.id)
    if count >= min_responses:
        return None
    noun = "response" if count == 1 else "responses"
    return (f"only {count} valid satisfaction {noun} (满意度测评), at least {min_responses} required")


def above_bottom_grade(ctx: GuardContext, bands: Sequence[Any] = DEFAULT_BANDS) -> str | None:
    """The satisfaction rate would not grade the project 一般: a bottom grade goes back for rectification (整改)
    through the workflow's failing path instead of being reviewed."""
    _, middle = check_bands(bands)
    rate = project_tally(ctx.sql, ctx.project.id).overall.rate_fraction()
    if rate is None or grade_of(rate, bands) != BOTTOM:
        return None  # no answers at all is satisfaction.rated's to say
    shown = (Decimal(rate.numerator * 100) / Decimal(rate.denominator)).quantize(Decimal("0.01"))
    return (f"the satisfaction rate {shown}% grades the project {GRADE_LABELS[BOTTOM]} (below {middle}%): "
            "it must be sent back for rectification (整改)")


def grade(ctx: GuardContext, bands: Sequence[Any] = DEFAULT_BANDS, reward_amount: float | None = None,
          rectification_days: int = 30) -> None:
    """Grade the project from its satisfaction rate and store the grade; reward a top grade, send a bottom
    grade to rectification."""
    try:
        top, middle = check_bands(bands)
    except ValueError as exc:
        raise ValueError(f"action 'satisfaction.grade': {exc}") from None
    tally = project_tally(ctx.sql, ctx.project.id).overall
    rate = tally.rate_fraction()
    if rate is None:
        raise GuardFailed(ctx.event, ["the project has no valid satisfaction responses (满意度测评) to grade"])
    level = grade_of(rate, bands)
    reward_fen = _reward(ctx, tally, reward_amount) if level == TOP else None
    days = _rectification(ctx, rectification_days) if level == BOTTOM else None
    ctx.sql.execute("INSERT INTO satisfaction_grade (project_id, grade, rate, responses, favourable, band_top,"
                    " band_middle, reward, rectification_days, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ctx.project.id, level, tally.rate_percent(), tally.responses, tally.favourable,
                     _two_places(top), _two_places(middle), reward_fen, days, ctx.now))


def _two_places(value: Any) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


def _reward(ctx: GuardContext, tally: Tally, amount: float | None) -> int | None:
    """Grant the top grade's reward through the funding plugin; the amount in fen, or None when not granted."""
    if amount is None or amount <= 0:
        return None
    if REWARD_ACTION not in ctx.actions:
        log.warning("project %s graded %s but '%s' is not registered (funding plugin disabled): no reward granted",
                    ctx.project.id, GRADE_LABELS[TOP], REWARD_ACTION)
        return None
    reason = (f"满意度评价为{GRADE_LABELS[TOP]}（满意率{tally.rate_percent()}%，有效答卷{tally.responses}份），"
              "给予奖补")
    ctx.run_action(REWARD_ACTION, amount=amount, reason=reason)
    return int(Decimal(str(amount)).quantize(Decimal("0.01")) * 100)


def _rectification(ctx: GuardContext, days: int) -> int | None:
    """Open the bottom grade's rectification through the inspection plugin; the days given, or None."""
    if RECTIFICATION_ACTION not in ctx.actions:
        log.warning("project %s graded %s but '%s' is not registered (inspection plugin disabled): no "
                    "rectification opened", ctx.project.id, GRADE_LABELS[BOTTOM], RECTIFICATION_ACTION)
        return None
    ctx.run_action(RECTIFICATION_ACTION, days=days, description=RECTIFICATION_TEXT)
    return days


GUARDS = [
    GuardSpec("satisfaction.rated", rated,
              {"min_responses": Param("int", default=30, min=1,
                                      description="valid satisfaction answers needed (有效答卷)")},
              "enough valid satisfaction answers (满意度测评) have been collected"),
    GuardSpec("satisfaction.above_bottom_grade", above_bottom_grade,
              {"bands": Param("list", default=list(DEFAULT_BANDS),
                              description="[top, middle] in percent, as for satisfaction.grade")},
              "the satisfaction rate does not grade the project 一般 (bottom band)"),
]

ACTIONS = [
    ActionSpec("satisfaction.grade", grade, {
        "bands": Param("list", default=list(DEFAULT_BANDS),
                       description="[top, middle] in percent of the satisfaction rate: 优良 ≥ top, 良好 ≥ middle"),
        "reward_amount": Param("number", min=0, description="reward 奖补 in yuan for a top grade (funding plugin)"),
        "rectification_days": Param("int", default=30, min=1,
                                    description="days allowed to rectify a bottom grade (inspection plugin)"),
    }, "grade the project from its satisfaction rate (优良 / 良好 / 一般); reward a top grade, rectify a bottom one"),
]
