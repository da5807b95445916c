"""Funding sources 资金来源: where a project's money comes from, and the kinds of social capital 社会资本."""
from __future__ import annotations

from enum import Enum


class Source(str, Enum):
    """A funding source; the value is the code stored in the database."""

    CENTRAL = "central"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"
    TOWN = "town"
    SOCIAL = "social"
    OTHER = "other"
    MAINTENANCE = "maintenance"  # 管护经费: yearly upkeep after hand-over (移交管护), set by plugins.custody

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS: dict[Source, str] = {
    Source.CENTRAL: "中央资金",
    Source.PROVINCIAL: "省级资金",
    Source.MUNICIPAL: "市级资金",
    Source.COUNTY: "县区配套",
    Source.TOWN: "乡镇资金",
    Source.SOCIAL: "社会资本",
    Source.OTHER: "其他资金",
    Source.MAINTENANCE: "管护经费",
}


class SocialKind(str, Enum):
    """How social capital 社会资本 comes in."""

    DONATION = "donation"
    SPONSORSHIP = "sponsorship"
    NAMING_RIGHTS = "naming_rights"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[SocialKind, str] = {
    SocialKind.DONATION: "捐赠",
    SocialKind.SPONSORSHIP: "赞助",
    SocialKind.NAMING_RIGHTS: "冠名",
}
