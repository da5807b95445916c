"""The satisfaction plugin's guard ``satisfaction.rated`` and action ``satisfaction.grade``.

``satisfaction.grade`` grades a project from its satisfaction rate 满意率 into three bands (default 优良 ≥ 90%,
良好 ≥ 75%, 一般 below), stores the grade with its figures, and — when the other plugins are enabled — grants
the reward 奖补 of a top grade (``funding.grant_reward``) or opens the rectification 整改 of a bottom grade
(``inspection.open_rectification``). When such an action is not registered it is skipped and logged.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, Sequence

from engine.errors import GuardFailed
from engine.workflow.guards import ActionSpec, GuardContext, GuardSpec, Param
from plugins.satisfaction.ratings import RATER_KINDS
from plugins.satisfaction.scoring import (BOTTOM, DEFAULT_BANDS, GRADE_LABELS, TOP, Tally, check_bands, grade_of,
                                          percent)
from plugins.satisfaction.rounds import CLOSED, close_round_row
from plugins.satisfaction.summary import RoundTally, current_round_tallies, response_counts
from plugins.satisfaction.weighting import check_weights, weighted_rate, weights_problem

log = logging.getLogger("minsheng.satisfaction")

REWARD_ACTION = "funding.grant_reward"
RECTIFICATION_ACTION = "inspection.open_rectification"
RECTIFICATION_TEXT = "满意度评价为一般，限期整改"


def rated(ctx: GuardContext, min_responses: int = 30) -> str | None:
    """Enough valid answers 有效答卷 have been collected in the current survey round to judge the project's
    satisfaction."""
    count = ctx.load("satisfaction.responses", lambda ids: response_counts(ctx.sql, ids))
    if count >= min_responses:
        return None
    noun = "response" if count == 1 else "responses"
    return (f"only {count} valid satisfaction {noun} (满意度测评), at least {min_responses} required")


def above_bottom_grade(ctx: GuardContext, bands: Sequence[Any] = DEFAULT_BANDS,
                       weights: Mapping[str, int] | None = None) -> str | None:
    """The satisfaction rate (weighted by ``weights`` when given, as for ``satisfaction.grade``) would not grade
    the project 一般: a bottom grade goes back for rectification (整改) through the workflow's failing path
    instead of being reviewed."""
    _, middle = check_bands(bands)
    tally = ctx.load("satisfaction.round_tally", lambda ids: current_round_tallies(ctx.sql, ids))
    if not tally.overall.responses:
        return None  # no answers at all is satisfaction.rated's to say
    if weights is not None:
        weighted = weighted_rate(tally.weighting_by_kind(), check_weights(weights))
        if weighted.rate is None:
            return weighted.missing_reason()
        rate = weighted.rate
    else:
        rate = tally.overall.rate_fraction()
    if rate is None or grade_of(rate, bands) != BOTTOM:
        return None
    return (f"the satisfaction rate {percent(rate)}% of survey round {tally.round.number} grades the project "
            f"{GRADE_LABELS[BOTTOM]} (below {middle}%): it must be sent back for rectification (整改), after which "
            "a new round re-surveys it")


def rate_to_grade(ctx: GuardContext, tally: RoundTally, weights: Mapping[str, int] | None) -> Fraction:
    """The rate the current round is graded from: pooled over every answer, or weighted by rater kind (the
    deputies' share with their vote sessions); GuardFailed when the round has no answers, or a kind with a
    positive weight has none."""
    if not tally.overall.responses:
        raise GuardFailed(ctx.event, ["the project has no valid satisfaction responses (满意度测评) in its current "
                                      "survey round to grade"])
    if weights is None:
        return tally.overall.rate_fraction() or Fraction(0)
    weighted = weighted_rate(tally.weighting_by_kind(), weights)
    if weighted.rate is None:
        raise GuardFailed(ctx.event, [weighted.missing_reason()])
    return weighted.rate


def grade(ctx: GuardContext, bands: Sequence[Any] = DEFAULT_BANDS, reward_amount: float | None = None,
          rectification_days: int = 30, weights: Mapping[str, int] | None = None) -> None:
    """Grade the project from its satisfaction rate (weighted by rater kind when ``weights`` are given) and
    store the grade with the weights used; reward a top grade, send a bottom grade to rectification."""
    try:
        top, middle = check_bands(bands)
        kind_weights = None if weights is None else check_weights(weights)
    except ValueError as exc:
        raise ValueError(f"action 'satisfaction.grade': {exc}") from None
    tally = current_round_tallies(ctx.sql, [ctx.project.id])[ctx.project.id]
    rate = rate_to_grade(ctx, tally, kind_weights)
    level = grade_of(rate, bands)
    reward_fen = _reward(ctx, tally.overall, percent(rate), reward_amount) if level == TOP else None
    days = _rectification(ctx, rectification_days) if level == BOTTOM else None
    stored = [None] * 3 if kind_weights is None else [kind_weights[k] for k in RATER_KINDS]
    round_ = tally.round
    ctx.sql.execute("INSERT INTO satisfaction_grade (project_id, grade, rate, responses, favourable, band_top,"
                    " band_middle, reward, rectification_days, graded_at, weight_resident, weight_supervisor,"
                    " weight_deputy, round_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ctx.project.id, level, percent(rate), tally.overall.responses, tally.overall.favourable,
                     percent(top / 100), percent(middle / 100), reward_fen, days, ctx.now, *stored,
                     None if round_ is None else round_.id))
    if round_ is not None and round_.status(ctx.now.date()) != CLOSED:
        close_round_row(ctx.sql, round_, ctx.now)  # the grade concludes the round


def _reward(ctx: GuardContext, tally: Tally, rate: Decimal | None, amount: float | None) -> int | None:
    """Grant the top grade's reward through the funding plugin; the amount in fen, or None when not granted."""
    if amount is None or amount <= 0:
        return None
    if REWARD_ACTION not in ctx.actions:
        log.warning("project %s graded %s but '%s' is not registered (funding plugin disabled): no reward granted",
                    ctx.project.id, GRADE_LABELS[TOP], REWARD_ACTION)
        return None
    reason = (f"满意度评价为{GRADE_LABELS[TOP]}（满意率{rate}%，有效答卷{tally.responses}份），"
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


WEIGHTS_PARAM = Param("mapping", check=weights_problem,
                      description="weights of the rater kinds in the rate graded, e.g. {resident: 60, supervisor: 20,"
                                  " deputy: 20}; kinds left out weigh 0; default: every answer counts alike")

GUARDS = [
    GuardSpec("satisfaction.rated", rated,
              {"min_responses": Param("int", default=30, min=1,
                                      description="valid satisfaction answers needed (有效答卷)")},
              "enough valid satisfaction answers (满意度测评) have been collected"),
    GuardSpec("satisfaction.above_bottom_grade", above_bottom_grade,
              {"bands": Param("list", default=list(DEFAULT_BANDS),
                              description="[top, middle] in percent, as for satisfaction.grade"),
               "weights": WEIGHTS_PARAM},
              "the satisfaction rate does not grade the project 一般 (bottom band)"),
]

ACTIONS = [
    ActionSpec("satisfaction.grade", grade, {
        "bands": Param("list", default=list(DEFAULT_BANDS),
                       description="[top, middle] in percent of the satisfaction rate: 优良 ≥ top, 良好 ≥ middle"),
        "reward_amount": Param("number", min=0, description="reward 奖补 in yuan for a top grade (funding plugin)"),
        "rectification_days": Param("int", default=30, min=1,
                                    description="days allowed to rectify a bottom grade (inspection plugin)"),
        "weights": WEIGHTS_PARAM,
    }, "grade the project from its satisfaction rate (优良 / 良好 / 一般); reward a top grade, rectify a bottom one"),
]
