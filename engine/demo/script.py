"""How each demo project reaches its stage: the events to fire per workflow, on which day, with which form fields.

``ROUTES[workflow][stage]`` lists one or more event sequences from the workflow's initial state; the k-th project
of a stage takes variant ``k % len(variants)``, so side paths (dynamic adjustment, rectification, suspension)
appear too. ``field_values`` gives every field any workflow's version of an event may ask for; the builder keeps
the ones the transition declares. To support another workflow, add its routes here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from engine.demo.data import YEAR, ProjectSeed

_DONE = ("assess", "approve", "start", "complete")
_SIMPLE_DONE = ("approve", "finish")

ROUTES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "minsheng": {
        "proposed": ((),),
        "assessed": (("assess",),),
        "approved": (("assess", "approve"),),
        "in_progress": (("assess", "approve", "start"), ("assess", "approve", "start", "adjust")),
        "rectifying": (("assess", "approve", "start", "fail_acceptance"), (*_DONE, "hand_over", "fail_review")),
        "completed": (_DONE, ("assess", "approve", "start", "fail_acceptance", "rectified", "complete")),
        "handed_over": ((*_DONE, "hand_over"),),
        "reviewed": ((*_DONE, "hand_over", "review"), (*_DONE, "hand_over", "fail_review", "rectified", "review")),
        "suspended": (("assess", "approve", "suspend"), ("assess", "approve", "start", "suspend")),
        "rejected": (("reject",), ("assess", "reject")),
        "terminated": (("assess", "approve", "start", "terminate"), ("assess", "approve", "suspend", "terminate")),
    },
    "simple": {  # tests/workflows/simple.yaml: draft → approved → done, paused, dropped
        "proposed": ((),),
        "assessed": ((),),
        "approved": (("approve",),),
        "in_progress": (("approve",),),
        "rectifying": (("approve", "pause"),),
        "completed": (_SIMPLE_DONE,),
        "handed_over": (_SIMPLE_DONE,),
        "reviewed": (("approve", "pause", "resume", "finish"),),
        "suspended": (("approve", "pause"),),
        "rejected": (("drop",),),
        "terminated": (("approve", "drop"), ("approve", "pause", "drop")),
    },
}

EVENT_DAYS: dict[str, dt.date] = {event: dt.date.fromisoformat(day) for event, day in {
    "create": "2023-11-20", "assess": "2024-01-08", "reject": "2024-01-12", "approve": "2024-01-22",
    "start": "2024-03-18", "suspend": "2024-06-03", "pause": "2024-06-03", "adjust": "2024-06-20",
    "terminate": "2024-07-15", "drop": "2024-07-15", "resume": "2024-08-05", "fail_acceptance": "2024-10-09",
    "complete": "2024-10-28", "finish": "2024-10-28", "rectified": "2024-11-04", "hand_over": "2024-11-25",
    "fail_review": "2024-12-09", "review": "2024-12-18"}.items()}

DEMO_END = dt.datetime(YEAR, 12, 31, 17, 0)  # the demo's "today": the server's clock starts here
TICKS_FROM = dt.date(YEAR, 3, 1)  # the first planned start: no deadline falls before it
TICK_TIME = dt.time(17, 0)  # after the day's reports (16:00), so audit chains stay in order of time


def route(workflow: str, stage: str, variant: int) -> tuple[str, ...]:
    variants = ROUTES[workflow][stage]
    return variants[variant % len(variants)]


def timeline(events: tuple[str, ...], offset: int) -> list[dt.datetime]:
    """When each event happens: its usual day shifted by ``offset`` days (0–9), always after the previous one."""
    moments: list[dt.datetime] = []
    for event in events:
        day = EVENT_DAYS.get(event, dt.date(YEAR, 6, 1)) + dt.timedelta(days=offset % 10)
        if moments and day <= moments[-1].date():
            day = moments[-1].date() + dt.timedelta(days=1)
        moments.append(dt.datetime.combine(day, dt.time(9, 30)) + dt.timedelta(minutes=7 * offset))
    return moments


@dataclass(frozen=True)
class Step:
    """What the field values of one event are made from."""

    seed: ProjectSeed
    region_name: str
    region_level: str
    unit_name: str
    day: dt.date
    k: int  # the project's position in the table, for variety


def _decision_body(step: Step) -> str:
    if step.region_level == "village":
        return f"{step.region_name}村民代表会议"
    if step.region_level == "town":
        return f"{step.region_name}议政会"
    return f"{step.region_name}第三届人民代表大会第四次会议"


def _votes(step: Step) -> dict[str, Any]:
    present = 45 if step.region_level == "village" else 61 if step.region_level == "town" else 236
    against, abstain = step.k % 4, (step.k * 3) % 5
    return {"present": present, "votes_for": present - against - abstain, "votes_against": against,
            "votes_abstain": abstain}


def _later(step: Step, days: int) -> dt.date:
    return step.day + dt.timedelta(days=days)


# the 回头看 checklist (plugins.custody): still in use, maintained, signage, residents' satisfaction
CHECKLIST_PASSED = {"still_in_use": True, "maintained": True, "signage": True, "satisfaction": "satisfied"}

FIELD_VALUES: dict[str, Callable[[Step], dict[str, Any]]] = {
    "assess": lambda s: {"opinion": f"{s.seed.title}群众需求迫切，建设条件具备，资金可以落实，建议列入{YEAR}年"
                                    "民生实事候选项目", "score": 78 + s.k % 20},
    "reject": lambda s: {"reason": "经评估，该事项不属于群众急难愁盼问题，建议转入部门日常工作"},
    "approve": lambda s: {"decision_body": _decision_body(s), "vote_date": s.day, **_votes(s),
                          "decision_no": f"平人大〔{YEAR}〕{s.k + 1}号"},
    "start": lambda s: {"start_date": s.day},
    "adjust": lambda s: {"decision_no": f"平人常〔{YEAR}〕{s.k + 10}号",
                         "scope": f"{s.seed.target}，因选址调整增加配套设施"},
    "complete": lambda s: {"completion_date": s.day},
    "finish": lambda s: {"completion_date": s.day},
    "fail_acceptance": lambda s: {"findings": "验收发现部分点位施工质量不达标，档案资料不齐全",
                                  "deadline": _later(s, 21)},
    "rectified": lambda s: {"report": "已按要求完成整改，经督查室现场核验销号"},
    "hand_over": lambda s: {"custodian": _custodian(s), "responsible_unit": s.unit_name,
                            "duties": "建立日常巡查、定期维护和问题台账制度", "maintenance_funding": "50000.00"},
    "review": lambda s: {"findings": "设施运行良好，管护到位，群众满意", **CHECKLIST_PASSED},
    "fail_review": lambda s: {"findings": "回头看发现部分设施损坏未及时维修", "deadline": _later(s, 30),
                              **CHECKLIST_PASSED, "maintained": False},
    "suspend": lambda s: {"reason": "受汛期和用地手续影响，暂缓实施"},
    "resume": lambda s: {"decision_no": f"平人常〔{YEAR}〕{s.k + 20}号"},
    "terminate": lambda s: {"decision_no": f"平人常〔{YEAR}〕{s.k + 30}号",
                            "reason": "项目用地无法落实，经常委会审议决定终止实施"},
    "drop": lambda s: {"reason": "项目用地无法落实，决定撤销"},
}

COMMENTS: dict[str, str] = {
    "assess": "经财政、发改联合评估", "approve": "经票决确定为年度民生实事项目", "start": "项目正式开工",
    "complete": "通过完工验收", "hand_over": "已办理移交手续", "review": "回头看完成",
}


def _custodian(step: Step) -> str:
    if step.region_level == "village":
        return step.region_name + ("居民委员会" if step.region_name.endswith("社区") else "村民委员会")
    if step.region_level == "town":
        return f"{step.region_name}公共设施管护站"
    return step.unit_name


def field_values(event: str, step: Step) -> dict[str, Any]:
    maker = FIELD_VALUES.get(event)
    return maker(step) if maker else {}
