"""The demo district's inspections (视察 / 督查 / 抽查 / 验收) and rectifications (整改).

``prepare`` gives the default workflow's guards what they ask for while the demo drives each project: a failed
acceptance inspection before 验收未通过, every rectification done and verified before 整改完成, a passed acceptance
before 完工验收. ``add_demo_records`` then adds the year's other inspections: deputies' inspections, random checks,
an unannounced visit and third-party assessments, with rectifications in every status, some of them overdue.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pony import orm

from engine.storage.sql import Sql

from plugins.inspection.inspections import Finding, NewInspection, record_inspection
from plugins.inspection.records import rectifications_of_project
from plugins.inspection.rectifications import mark_done, verify
from plugins.inspection.vocabulary import DONE, OPEN

INSPECTED_STATES = {"approved", "in_progress", "rectifying", "completed", "handed_over", "reviewed", "suspended",
                    "done", "paused"}
WORKING_STATES = {"minsheng": {"in_progress"}, "simple": {"approved"}}
ACCEPTANCE_TEAM = ["区政府办督查室", "区住建局质量安全监督站", "区财政局"]


def prepare(demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event`` on ``project``: record what the transition's guards check."""
    if event == "fail_acceptance":
        _acceptance(demo, project, "fail", "部分点位施工质量不达标，档案资料不齐全")
    elif event == "complete":
        _acceptance(demo, project, "pass", "工程质量合格，资料齐全，资金按计划使用，公示牌已设立")
    elif event == "rectified":
        close_all(demo, project)


def _acceptance(demo: Any, project: Any, result: str, notes: str) -> None:
    new = NewInspection("acceptance", demo.clock.today(), result, ACCEPTANCE_TEAM, notes)
    record_inspection(demo.engine, demo.acting(("office",), project), project.id, new)


def close_all(demo: Any, project: Any) -> None:
    """Every rectification of the project marked done by its unit (整改完成) and verified (核验销号)."""
    with orm.db_session:
        pending = [(r.id, r.status) for r in rectifications_of_project(Sql(demo.engine.db), project.id)
                   if r.status in (OPEN, DONE)]
    for rectification_id, status in pending:
        if status == OPEN:
            mark_done(demo.engine, demo.acting(("unit", "office"), project), rectification_id, "已按要求完成整改")
        verify(demo.engine, demo.acting(("supervisor", "committee"), project), rectification_id, "现场核验，同意销号")


def add_demo_records(demo: Any) -> None:
    """The year's inspections across the district (called by ``minsheng_demo_data``)."""
    working = WORKING_STATES.get(demo.workflow, set())
    projects = [p for p in demo.projects.values() if p.state in INSPECTED_STATES and _takes_records(demo, p)]
    for k, project in enumerate(sorted(projects, key=lambda p: p.code)):
        if project.state in working:
            _deputies_inspection(demo, project, k)
        else:
            _random_check(demo, project)
        if project.state in {"completed", "handed_over", "reviewed", "done"} and "third_party" in demo.actors:
            _third_party(demo, project)
    working_projects = [p for p in projects if p.state in working]
    if working_projects:
        _unannounced_visit(demo, working_projects[0])


def _takes_records(demo: Any, project: Any) -> bool:
    """Whether the project's state still takes inspection records (a final state only where its workflow lists
    ``inspection`` in its ``records``)."""
    state = demo.engine.workflows.named(demo.workflow).definition.states[project.state]
    return not state.final or "inspection" in state.records


def _deputies_inspection(demo: Any, project: Any, k: int) -> None:
    """人大代表视察 in June; its finding is left open, done but unverified, or closed, by turn."""
    finding = Finding("施工现场安全围挡不连续，公示牌信息不全", dt.date(demo.year, 8, 31))
    new = NewInspection("npc_inspection", dt.date(demo.year, 6, 18), "findings_only",
                        ["区人大代表 赵丽", "区人大代表 钱进"], "代表视察，听取进度汇报并实地查看", [finding])
    recorded = record_inspection(demo.engine, demo.acting(("deputy",), project), project.id, new)
    rectification_id = recorded.rectifications[0].id
    if k % 3 != 0:
        mark_done(demo.engine, demo.acting(("unit", "office"), project), rectification_id, "已补齐围挡并更新公示牌")
    if k % 3 == 2:
        verify(demo.engine, demo.acting(("supervisor", "committee"), project), rectification_id, "现场核验，同意销号")


def _random_check(demo: Any, project: Any) -> None:
    new = NewInspection("random_check", dt.date(demo.year, 9, 12), "pass", ["民生监督员 刘洋"], "随机抽查，未发现问题")
    record_inspection(demo.engine, demo.acting(("supervisor",), project), project.id, new)


def _third_party(demo: Any, project: Any) -> None:
    new = NewInspection("third_party", dt.date(demo.year, 12, 20), "pass", ["第三方评估机构 孙伟"],
                        "绩效评价：目标完成，群众满意度较高")
    record_inspection(demo.engine, demo.actor("third_party"), project.id, new)


def _unannounced_visit(demo: Any, project: Any) -> None:
    """明察暗访 in December: a finding due next month (open, not yet overdue)."""
    finding = Finding("夜间施工噪声扰民，未按规定公示施工时间", dt.date(demo.year + 1, 1, 31))
    new = NewInspection("unannounced_visit", dt.date(demo.year, 12, 10), "findings_only", ["区督查室暗访组"],
                        "暗访发现问题，已当场反馈项目负责人", [finding])
    record_inspection(demo.engine, demo.acting(("office",), project), project.id, new)
