"""The demo district's call for suggestions 平安区2025年民生实事项目征集: open from 1 December 2024 to 31 January
2025 (so it is open on the demo's "today"), 40 suggestions over four channels (网站, 12345, 信件, 代表联络站),
three groups of duplicates merged, five declined with the procedures' reasons, and nine proposals accepted into
the project pool 储备库 — the rest wait for screening. Everything goes through the plugin's own functions, so
receipts, sealed personal data and the journal are real. The demo keeps a development key in the database
(``personal.allow_development_key``): the demo needs no configuration and protects nothing.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.directory.actors import PUBLIC
from engine.storage.sql import Sql
from plugins.participation import calls, intake, personal, screening
from plugins.participation import vocabulary as v

CATEGORIES = ["教育", "交通", "养老", "医疗", "环境", "文体"]
CHANNEL_CYCLE = (v.WEBSITE, v.HOTLINE, v.LETTER, v.LIAISON_STATION)
# (项目名称, 类别, 建设地点, 概算 万元)
TOPICS = [
    ("东门社区增设老年食堂", "养老", "东门社区", "60"), ("城关小学周边增设护学岗和减速带", "交通", "城关街道", "12"),
    ("青石村道路硬化", "交通", "青石村", "180"), ("南关社区卫生服务站改造", "医疗", "南关社区", "90"),
    ("滨河公园增设健身器材", "文体", "滨河社区", "25"), ("柳湾村生活污水处理", "环境", "柳湾村", "260"),
    ("桃源镇中心幼儿园扩建", "教育", "桃源镇", "480"), ("石桥村危桥改造", "交通", "石桥村", "150"),
    ("河西街道老旧小区加装电梯", "养老", "河西街道", "320"), ("城关街道农贸市场提升改造", "环境", "城关街道", "200"),
    ("青石镇卫生院增设康复科", "医疗", "青石镇", "140"), ("东门社区口袋公园", "文体", "东门社区", "45"),
    ("桃源村农村公厕改造", "环境", "桃源村", "30"),
]
MERGED = [(0, 13, 26), (2, 15), (8, 21, 34)]  # the same matter suggested again (indexes into the 40)
DECLINED = {5: "服务于个别单位：建议内容为单位自用设施，不属于民生实事范围",
            18: "一事一议：建议包含多个事项，请分别提出",
            31: "目标无法量化：请写明建设规模和受益人数",
            36: "已列入2024年项目并在实施中（PA-07）",
            39: "属于日常维护，由主管部门按职责办理"}
ACCEPTED = [0, 2, 8, 1, 3, 4, 6, 7, 9]
SURNAMES = "王李张刘陈杨黄赵吴周"
LEAD_UNITS = {"教育": "edu", "交通": "transport", "养老": "civil", "医疗": "health", "环境": "urban", "文体": "culture"}
START = dt.datetime(2024, 12, 2, 9, 0)


def add_demo_records(demo: Any) -> None:
    """Open the call, submit the 40 suggestions through the day, screen them; the clock is put back after."""
    engine, end = demo.engine, demo.clock.now()
    personal.allow_development_key(Sql(engine.db))
    office = demo.actor("office")
    try:
        demo.clock.set(START - dt.timedelta(days=1))
        call = calls.open_call(engine, office, calls.NewCall(
            demo.regions["pingan"], demo.year + 1, dt.date(2024, 12, 1), dt.date(2025, 1, 31), CATEGORIES))
        ids = [_submit(demo, call.id, n) for n in range(40)]
        demo.clock.set(dt.datetime(2024, 12, 30, 10, 0))
        for group in MERGED:
            screening.merge(engine, office, [ids[n] for n in group])
        for n, reason in DECLINED.items():
            screening.decline(engine, office, [ids[n]], reason)
        for n in ACCEPTED:
            _accept(demo, office, ids[n], TOPICS[n % len(TOPICS)])
    finally:
        demo.clock.set(end)


def _accept(demo: Any, office: Any, suggestion_id: int, topic: tuple[str, str, str, str]) -> None:
    """Accept into a new pool project, which joins ``demo.projects`` like the demo's other projects."""
    from engine.demo.district import DemoProject

    unit = LEAD_UNITS[topic[1]]
    done = screening.accept(demo.engine, office, [suggestion_id], screening.PoolProject(
        title=topic[0], lead_unit_id=demo.units[unit]), workflow=demo.workflow)
    code, state, budget = Sql(demo.engine.db).one("SELECT code, state, budget FROM project WHERE id = ?",
                                                  (done.project_id,))
    demo.projects[code] = DemoProject(done.project_id, code, topic[0], "pingan", demo.region_paths["pingan"], unit,
                                      demo.units[unit], Decimal(budget), "proposed", state)


def _submit(demo: Any, call_id: int, n: int) -> int:
    title, category, place, wan = TOPICS[n % len(TOPICS)]
    channel = CHANNEL_CYCLE[n % 4]
    demo.clock.set(START + dt.timedelta(hours=7 * n))
    office = demo.actor("office")
    actor = {v.WEBSITE: PUBLIC if n % 8 else demo.actors.get("resident", PUBLIC),
             v.LIAISON_STATION: demo.actors.get("deputy", office)}.get(channel, office)
    form = intake.SuggestionForm(
        call_id, title, category, f"{place}群众反映：{title}，涉及周边约{300 + 37 * n}户居民。",
        "现状设施不足、群众出行和生活不便；建议由主管部门立项实施，明确建设规模和完成时限。", place,
        Decimal(wan) * 10000, "2025年底前", f"{SURNAMES[n % 10]}先生" if n % 2 else f"{SURNAMES[n % 10]}女士",
        f"1390000{n:04d}", channel, f"GD2024{n:06d}" if channel == v.HOTLINE else None)
    return intake.submit(demo.engine, actor, form, client="demo").id
