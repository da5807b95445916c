"""The demo district's vote (票决): a 15 → 10 candidate list for 2024 counted by the tellers (tally) and published
with two objections (one answered), and a 15 → 10 list for 2025 voted electronically by 20 deputies present.

The candidates are pool projects this hook creates (assessed 评估论证, with a funding plan covering the budget),
so the demo's own projects and their stages are left as they are. Everything goes through the plugin's service
functions and the engine's transition function, like a clerk's work would.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.directory.actors import ActorView, by_username
from engine.directory.admin import add_actor
from engine.projects import NewProject, create_project
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from plugins.funding import plan
from plugins.funding.sources import Source

from plugins.participation.voting import closing, lists, notice, sessions
from plugins.participation.voting.rules import Count, Rules

CANDIDATES = (  # title, category, unit, budget (yuan)
    ("老旧小区加装电梯", "住房", "housing", "4800000"), ("农村公路提档升级", "交通", "transport", "9600000"),
    ("城区公厕新建改造", "城建", "housing", "1200000"), ("社区嵌入式托育点", "教育", "edu", "2600000"),
    ("乡镇卫生院能力提升", "卫生", "health", "5400000"), ("农村饮水安全巩固", "农业", "agriculture", "3900000"),
    ("中小学食堂改造", "教育", "edu", "2100000"), ("背街小巷路灯亮化", "城建", "housing", "800000"),
    ("老年助餐服务点", "民政", "health", "1500000"), ("公交候车亭改造", "交通", "transport", "700000"),
    ("农贸市场提升改造", "城建", "housing", "3300000"), ("村级文化广场", "文化", "agriculture", "1100000"),
    ("学校周边交通安全设施", "交通", "transport", "600000"), ("社区智慧停车", "交通", "transport", "2800000"),
    ("城区排水管网改造", "城建", "housing", "7200000"),
)
YES_2024 = (108, 106, 105, 103, 101, 99, 98, 96, 95, 93, 88, 72, 61, 55, 50)  # of 112 present
DEPUTIES = 20
OBJECTIONS = (("加装电梯占用消防通道，请核实。", "经住建、消防部门现场核实，电梯井选址不占用消防通道。"),
              ("该路段去年刚修过，建议换成别的路段。", None))


def add_demo_records(demo: Any) -> None:
    """The two years' candidate lists and votes (only for the default workflow, which has ``approve``)."""
    if demo.workflow != "minsheng":
        return
    office, committee = demo.actor("office"), demo.actor("committee")
    region = demo.regions["pingan"]
    first = _vote_2024(demo, office, committee, region)
    notice.publish(demo.engine, committee, first)
    chosen = _chosen(demo, first)
    for (text, answer), project_id in zip(OBJECTIONS, chosen):
        filed = notice.file_objection(demo.engine, demo.actor("resident"), None, first, project_id, text)
        if answer:
            notice.answer_objection(demo.engine, office, filed.id, answer)
    _vote_2025(demo, office, committee, region)


def _pool(demo: Any, year: int, office: ActorView) -> list[int]:
    finance = demo.actor("finance")
    found = []
    for n, (title, category, unit, budget) in enumerate(CANDIDATES):
        values = {"title": f"{year}年{title}", "year": year, "category": category, "budget": Decimal(budget),
                  "lead_unit_id": demo.units[unit], "planned_start": f"{year}-03-01", "planned_end": f"{year}-11-30"}
        new = NewProject(demo.regions["pingan"], values, code=f"HX{year}-{n + 1:02d}", workflow=demo.workflow)
        project_id = create_project(demo.engine, office, new)
        fire_transition(demo.engine, office, TransitionRequest(project_id, "assess", {
            "opinion": "经征集、筛选和论证，列入候选项目", "score": 90 - n}))
        plan.set_plan(demo.engine, finance, project_id, Source.COUNTY, Decimal(budget), note="候选项目资金测算")
        found.append(project_id)
    return found


def _vote_2024(demo: Any, office: ActorView, committee: ActorView, region: int) -> int:
    projects = _pool(demo, 2024, office)
    made = lists.create_list(demo.engine, office, lists.NewList(region, 2024, "平安区2024年民生实事候选项目", projects))
    lists.set_rules(demo.engine, committee, made.id, Rules(places=10, margin=5))
    sessions.open_session(demo.engine, committee, made.id, sessions.SessionRequest(
        "tally", "平安区第三届人民代表大会第四次会议", dt.date(2024, 1, 18), 120, 112, ("刘监票", "陈监票", "黄监票"), 112))
    sessions.enter_tally(demo.engine, committee, made.id, 112, [
        Count(p, yes, 112 - yes - (n % 3), n % 3) for n, (p, yes) in enumerate(zip(projects, YES_2024))])
    closing.close_session(demo.engine, committee, made.id)
    return made.id


def _vote_2025(demo: Any, office: ActorView, committee: ActorView, region: int) -> None:
    projects = _pool(demo, 2025, office)
    made = lists.create_list(demo.engine, office, lists.NewList(region, 2025, "平安区2025年民生实事候选项目", projects))
    lists.set_rules(demo.engine, committee, made.id, Rules(places=10, margin=5))
    names = [f"deputy{n:02d}" for n in range(1, DEPUTIES + 1)]
    for name in names:
        add_actor(demo.engine, name, f"区人大代表{name[-2:]}号", ["deputy"], "pingan")
    sessions.open_session(demo.engine, committee, made.id, sessions.SessionRequest(
        "electronic", "平安区第三届人民代表大会第五次会议", demo.clock.today(), 22, DEPUTIES, ("刘监票", "陈监票"),
        deputies=names))
    for k, name in enumerate(names):  # the first ten win clearly; the rest get fewer yes votes
        voter = by_username(Sql(demo.engine.db), name)
        sessions.cast_ballot(demo.engine, voter, made.id, [
            (p, "yes" if n < 10 or (n + k) % 4 == 0 else ("no" if (n + k) % 3 else "abstain"))
            for n, p in enumerate(projects)])
    closing.close_session(demo.engine, committee, made.id)


def _chosen(demo: Any, list_id: int) -> list[int]:
    """The chosen projects of a closed list, by place (the hook runs inside the demo's ``db_session``)."""
    return [r[0] for r in Sql(demo.engine.db).all(
        "SELECT c.project_id FROM voting_count c JOIN voting_session s ON s.id = c.session_id WHERE s.list_id = ?"
        " AND c.outcome = ? ORDER BY c.place", (list_id, "chosen"))]
