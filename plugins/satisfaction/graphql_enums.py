"""The satisfaction plugin's GraphQL enums (shared by ``graphql`` and ``graphql_rounds``)."""
from __future__ import annotations

from enum import Enum

import strawberry

from plugins.satisfaction import ratings, rounds, scoring


@strawberry.enum(description="A three-way satisfaction verdict 评价 (five-level scores map to these: 100/80 满意, "
                             "60 基本满意, 40/20 不满意).")
class SatisfactionVerdict(Enum):
    SATISFIED = strawberry.enum_value(scoring.SATISFIED, description="满意")
    BASICALLY_SATISFIED = strawberry.enum_value(scoring.BASICALLY_SATISFIED, description="基本满意")
    DISSATISFIED = strawberry.enum_value(scoring.DISSATISFIED, description="不满意")


@strawberry.enum(description="Who gave a satisfaction answer.")
class SatisfactionRaterKind(Enum):
    RESIDENT = strawberry.enum_value(ratings.RESIDENT, description="群众 (anonymous, once per device)")
    SUPERVISOR = strawberry.enum_value(ratings.SUPERVISOR, description="监督员")
    DEPUTY = strawberry.enum_value(ratings.DEPUTY, description="人大代表")


@strawberry.enum(description="A satisfaction grade band 评定等次.")
class SatisfactionGradeLevel(Enum):
    TOP = strawberry.enum_value(scoring.TOP, description="优良 (earns a reward 奖补)")
    MIDDLE = strawberry.enum_value(scoring.MIDDLE, description="良好")
    BOTTOM = strawberry.enum_value(scoring.BOTTOM, description="一般 (sent back for rectification 整改)")


@strawberry.enum(description="Where a survey round 调查轮次 stands.")
class SatisfactionRoundStatus(Enum):
    SCHEDULED = strawberry.enum_value(rounds.SCHEDULED, description="opens later (未开始)")
    OPEN = strawberry.enum_value(rounds.OPEN, description="taking answers (进行中)")
    CLOSED = strawberry.enum_value(rounds.CLOSED, description="closed (已结束)")


@strawberry.enum(description="How a survey round was opened.")
class SatisfactionRoundOrigin(Enum):
    STATE = strawberry.enum_value(rounds.STATE, description="when the project reached the stage surveyed")
    OFFICE = strawberry.enum_value(rounds.OFFICE, description="by 政府办 or 人大常委会 (openSurveyRound)")
    RESURVEY = strawberry.enum_value(rounds.RESURVEY, description="when the project came back to the stage "
                                                                  "surveyed, e.g. after rectification 整改")
    MIGRATED = strawberry.enum_value(rounds.MIGRATED, description="answers given before rounds existed")
