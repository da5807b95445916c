"""The 回头看 checklist: still in use, maintained, signage, residents' satisfaction — which items failed."""
from __future__ import annotations

from typing import Any, Mapping

SATISFACTION_LEVELS: dict[str, str] = {
    "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
}
DISSATISFIED = "dissatisfied"

# field name → what a failed item means, as the rectification (整改) it opens describes it
ITEMS: dict[str, str] = {
    "still_in_use": "设施已停用或未正常使用（still in use: no）",
    "maintained": "日常管护不到位（maintained: no）",
    "signage": "公示标识标牌缺失（signage: no）",
    "satisfaction": "群众不满意（residents' satisfaction: 不满意）",
}


def failed_items(fields: Mapping[str, Any]) -> list[str]:
    """The checklist fields that failed, in checklist order: a yes/no item answered no, or 不满意. An item left
    out (an older workflow file without the checklist) does not fail."""
    failed = [name for name in ("still_in_use", "maintained", "signage") if fields.get(name) is False]
    if fields.get("satisfaction") == DISSATISFIED:
        failed.append("satisfaction")
    return failed
