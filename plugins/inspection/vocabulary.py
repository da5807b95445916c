"""The words of inspection (视察 / 督查 / 验收) and rectification (整改): kinds, results, statuses and who may do what.

Role names are those of the default workflow (workflows/minsheng.yaml).
"""
from __future__ import annotations

INSPECTION_KINDS: dict[str, str] = {
    "npc_inspection": "人大视察",
    "supervision": "督查",
    "random_check": "随机抽查",
    "unannounced_visit": "明察暗访",
    "third_party": "第三方评估",
    "acceptance": "验收",
    "custody": "管护巡查",
}
INSPECTION_RESULTS: dict[str, str] = {
    "pass": "通过",
    "fail": "未通过",
    "findings_only": "发现问题（不作结论）",
}
ACCEPTANCE = "acceptance"
CUSTODY = "custody"  # only during the custody period (管护期) opened by the hand-over (plugins.custody)
PASS = "pass"

OPEN, DONE, VERIFIED = "open", "done", "verified"
RECTIFICATION_STATUSES: dict[str, str] = {OPEN: "整改中", DONE: "已整改待核验", VERIFIED: "已核验销号"}

RECORDING_ROLES = frozenset({"office", "supervisor", "deputy", "committee", "third_party"})
VERIFYING_ROLES = frozenset({"office", "supervisor", "committee"})
OFFICE = "office"
UNIT = "unit"

MAX_INSPECTORS = 50
MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 10_000
MAX_FINDINGS = 100


def choices(words: dict[str, str]) -> str:
    """The allowed values for a message: "pass (通过), fail (未通过), …"."""
    return ", ".join(f"{key} ({label})" for key, label in words.items())
