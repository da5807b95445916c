"""Schedule records for the demo district (平安区): targets 指标, cooperating units 配合单位, measures 措施/节点 and
monthly progress reports 月度进度 over the demo year, all through the plugin's public functions.

``prepare`` runs before each event the demo fires: before 票决 (``approve``) it sets the plan — cooperating units,
targets, measures — while the project is still editable; before any later event it files the month-end progress
reports due since the last one (marking the measures reached done), and on leaving 实施 the closing report (100 %
on 完工验收) and the targets' actuals. ``add_demo_records`` files the rest up to the demo's date. Figures are
chosen so that on the demo's date (``engine.demo.script.DEMO_END``) the district has projects in every colour:
ahead, on schedule, 10–30 points behind and more than 30 behind. Only the default workflow is scripted.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pony import orm

from engine.storage.sql import Sql, to_date, to_datetime
from plugins.schedule.measures import MeasureInput, mark_measure_done, measures, set_measures
from plugins.schedule.progress import ProgressInput, latest, report_progress
from plugins.schedule.targets import ActualInput, TargetInput, report_actuals, set_targets, targets
from plugins.schedule.units import set_cooperating_units

WORKFLOW = "minsheng"
REPORT_TIME, DONE_STAGES = dt.time(16, 0), {"completed", "handed_over", "reviewed"}
# code: ((name, unit, target, baseline, actual), …); the 2023 seed figures: 5G 453/120, charging points 169/100
TARGETS: dict[str, tuple[tuple[str, str, str, str | None, str | None], ...]] = {
    "PA-24": (("5G基站", "个", "120", "386", "453"),),
    "PA-13": (("公共充电桩", "个", "100", None, "169"),),
    "PA-06": (("新增中小学学位", "个", "15000", None, None), ("寄宿床位", "个", "20000", None, None)),
    "PA-03": (("改造老旧小区", "个", "3", None, "2"), ("惠及居民", "户", "1200", None, "860")),
    "PA-04": (("安全防护栏", "公里", "31.656", None, "31.656"),),
    "PA-05": (("高标准农田", "亩", "500", None, "410"),),
    "PA-07": (("口袋公园", "个", "200", "35", "96"),),
    "PA-08": (("治理黑臭水体", "条", "27", None, "25"),),
    "PA-09": (("改造农贸市场", "个", "43", None, "43"),),
    "PA-11": (("HPV疫苗接种", "剂", "9000", None, "9126"),),
    "PA-14": (("老年助餐点", "个", "20", None, None),),
    "PA-16": (("改造乡镇卫生院", "所", "4", None, "3"),),
    "HX-01": (("口袋公园", "个", "4", None, "2"),),
}
COOPERATING = {"PA-03": ("urban", "civil"), "PA-05": ("water",), "PA-07": ("edu", "housing"),
               "PA-08": ("urban", "agriculture"), "PA-13": ("housing",), "PA-24": ("urban",)}
# measure title, share of the planned period at which it falls due, progress that marks it done, by a cooperating unit
MEASURES = (("完成方案设计和招标", Decimal("0.2"), 15, False), ("开工建设，完成主体工程", Decimal("0.6"), 55, True),
            ("完成全部建设内容", Decimal("0.9"), 90, False), ("完工验收并移交", Decimal(1), 100, False))
# progress reached on the demo's date (in_progress) or on leaving 实施 (suspended, terminated, failed acceptance)
GOALS = {"PA-03": 85, "PA-05": 92, "PA-07": 60, "PA-16": 96, "HX-01": 75, "PA-08": 95, "TY-04": 100}
STAGE_GOALS = {"suspended": 30, "terminated": 40}
LEAVING = {"complete": 100, "fail_acceptance": 95, "suspend": None, "terminate": None}


def prepare(demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event`` on ``project``: the plan before the vote, the reports due before ``event``."""
    if demo.workflow != WORKFLOW:
        return
    if event == "approve":
        _plan(demo, project)
    elif "start" in project.events and project.state in ("in_progress", "rectifying"):
        now = demo.clock.now()
        try:
            _report_until(demo, project, now.date() - dt.timedelta(days=1))
        finally:
            demo.clock.set(now)  # the event itself happens now
        if event in LEAVING and project.state == "in_progress":
            _closing_report(demo, project, event)


def add_demo_records(demo: Any) -> None:
    """The month-end reports of the projects still under way, up to the demo's date (``minsheng_demo_data``)."""
    if demo.workflow != WORKFLOW:
        return
    now = demo.clock.now()
    try:
        for project in sorted(demo.projects.values(), key=lambda p: p.code):
            if project.state == "in_progress":
                _report_until(demo, project, now.date())
                _actuals(demo, project, now.date())
    finally:
        demo.clock.set(now)


def _plan(demo: Any, project: Any) -> None:
    """Cooperating units, targets and measures (due across the planned period; the cooperating unit's in the
    middle) of a project about to be voted on."""
    planner = demo.acting(("unit", "office", "finance"), project)
    partners = [demo.units[code] for code in COOPERATING.get(project.code, ())]
    if partners:
        set_cooperating_units(demo.engine, planner, project.id, partners)
    rows = TARGETS.get(project.code) or ((project.title, "项", "1", None, "1"),)
    set_targets(demo.engine, planner, project.id, [TargetInput(None, n, u, v, b) for n, u, v, b, _ in rows])
    start, end = _period(demo, project)
    items = [MeasureInput(None, title, partners[0] if by_partner and partners else project.lead_unit_id,
                          start + dt.timedelta(days=int((end - start).days * share)))
             for title, share, _, by_partner in MEASURES]
    set_measures(demo.engine, planner, project.id, items)


def _period(demo: Any, project: Any) -> tuple[dt.date, dt.date]:
    with orm.db_session:
        row = Sql(demo.engine.db).one("SELECT planned_start, planned_end FROM project WHERE id = ?", (project.id,))
    return to_date(row[0]), to_date(row[1])


def _report_until(demo: Any, project: Any, until: dt.date) -> None:
    """File the month-end reports from the month work started up to ``until``, each on its day (clock moved)."""
    started, last, floor = _started_and_last(demo, project)
    for month_end in _month_ends(started, until):
        if last is not None and month_end <= last:
            continue
        demo.clock.set(dt.datetime.combine(month_end, REPORT_TIME))
        percent = max(_percent(project, started, month_end), floor)
        _mark_reached(demo, project, month_end, percent)
        report_progress(demo.engine, demo.acting(("unit", "office"), project), project.id, ProgressInput(
            percent, month_end, f"{month_end.month}月份完成{project.title}总工程量的{percent}%",
            _problems(project, percent), "倒排工期，加快推进剩余建设内容"))


def _started_and_last(demo: Any, project: Any) -> tuple[dt.date, dt.date | None, int]:
    """When work started, and the date and percent of the latest report (None and 0 before the first)."""
    with orm.db_session:
        sql = Sql(demo.engine.db)
        started = to_datetime(sql.scalar("SELECT MIN(at) FROM audit_record WHERE project_id = ? AND event = 'start'",
                                         (project.id,))).date()
        report = latest(sql, project.id)
    return started, None if report is None else report.reported_on, 0 if report is None else report.percent


def _month_ends(first: dt.date, until: dt.date) -> list[dt.date]:
    ends, year, month = [], first.year, first.month
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > until:
            return ends
        ends.append(end)
        year, month = following.year, following.month


def _percent(project: Any, started: dt.date, on: dt.date) -> int:
    """Progress on ``on``: the project's goal in proportion to the time since it started (before the goal date)."""
    goal, goal_day = _goal(project)
    share = Decimal(max(0, (on - started).days)) / Decimal(max(1, (goal_day - started).days))
    cap = goal if project.stage == "in_progress" else goal - 1
    return max(0, min(cap, int((goal * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def _goal(project: Any) -> tuple[int, dt.date]:
    """The percent the project's reports head for, and the day it gets there."""
    from engine.demo.script import DEMO_END, EVENT_DAYS

    if project.stage in DONE_STAGES or GOALS.get(project.code) == 100:  # TY-04: 整改 after 回头看
        return 100, EVENT_DAYS["complete"]
    if project.stage == "in_progress":
        return GOALS[project.code], DEMO_END.date()
    leaving = {"rectifying": "fail_acceptance", "suspended": "suspend", "terminated": "terminate"}[project.stage]
    return GOALS.get(project.code, STAGE_GOALS.get(project.stage, 90)), EVENT_DAYS[leaving]


def _problems(project: Any, percent: int) -> str | None:
    return "受雨季影响，部分点位施工进度滞后" if percent < 90 and project.stage == "in_progress" else None


def _closing_report(demo: Any, project: Any, event: str) -> None:
    """The report filed as work under way stops: 100 % on completion, else the goal reached; the actuals."""
    today = demo.clock.today()
    percent = LEAVING[event] or _goal(project)[0]
    _mark_reached(demo, project, today, percent)
    narrative = "全部建设内容已完成，申请完工验收" if percent == 100 else f"截至目前完成总工程量的{percent}%"
    report_progress(demo.engine, demo.acting(("unit", "office"), project), project.id,
                    ProgressInput(percent, today, narrative, None, None))
    _actuals(demo, project, today)


def _mark_reached(demo: Any, project: Any, on: dt.date, percent: int) -> None:
    """Mark done, on ``on``, the measures whose progress mark ``percent`` reached (each by its responsible unit)."""
    with orm.db_session:
        plan = measures(Sql(demo.engine.db), project.id)
    for measure, (_, _, mark, _) in zip(plan, MEASURES):
        if not measure.done and percent >= mark:
            clerk = _clerk_of(demo, project, measure.unit_id)
            mark_measure_done(demo.engine, clerk, measure.id, True, on, f"{measure.title}：现场核验，资料已归档")


def _clerk_of(demo: Any, project: Any, unit_id: int) -> Any:
    """The unit's own clerk when the demo has one (教育局 as a cooperating unit), else the lead unit's or office."""
    own = [a for a in demo.actors.values() if a.unit_id == unit_id and "unit" in a.roles]
    return own[0] if own else demo.acting(("unit", "office"), project)


def _actuals(demo: Any, project: Any, on: dt.date) -> None:
    """Each target's actual as of ``on``: the seed figure for finished projects, else in proportion."""
    rows = {name: actual for name, _, _, _, actual in TARGETS.get(project.code, ()) if actual is not None}
    with orm.db_session:
        current = targets(Sql(demo.engine.db), project.id)
    items = [ActualInput(t.id, rows[t.name], on, "据现场核查和台账统计") for t in current if t.name in rows]
    if items:
        report_actuals(demo.engine, demo.acting(("unit", "office"), project), project.id, items)
