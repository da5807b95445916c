"""The words of intake: channels 渠道, who submitted 建议人类别, a suggestion's status 状态."""
from __future__ import annotations

WEBSITE, HOTLINE, LETTER, LIAISON_STATION, DEPARTMENT = "website", "hotline", "letter", "liaison_station", "department"
CHANNELS = {WEBSITE: "网站", HOTLINE: "12345热线", LETTER: "信件", LIAISON_STATION: "代表联络站", DEPARTMENT: "部门"}
OFFICE_ONLY_CHANNELS = (HOTLINE, LETTER)  # arrivals an office enters for the sender

PUBLIC, RESIDENT, DEPUTY, CPPCC, UNIT, OFFICE = "public", "resident", "deputy", "cppcc", "department", "office"
SUBMITTERS = {PUBLIC: "公众", RESIDENT: "居民", DEPUTY: "人大代表", CPPCC: "政协委员", UNIT: "部门", OFFICE: "政府办/民生办"}

RECEIVED, DECLINED, ACCEPTED = "received", "declined", "accepted"
STATUSES = {RECEIVED: "待筛选", DECLINED: "不予采纳", ACCEPTED: "已纳入项目储备库"}


def submitter_of(roles: frozenset[str], office: bool) -> str:
    """Who a signed-in submitter is, from its roles (an office entering for someone names the kind itself)."""
    if office:
        return OFFICE
    for role, kind in (("deputy", DEPUTY), ("cppcc", CPPCC), ("unit", UNIT), ("resident", RESIDENT)):
        if role in roles:
            return kind
    return PUBLIC


def default_channel(kind: str) -> str:
    return {DEPUTY: LIAISON_STATION, UNIT: DEPARTMENT}.get(kind, WEBSITE)
