"""Demo records: the 议政会 (town deliberative council) votes behind the demo district's town and village
projects that were approved (``minsheng serve --demo``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.storage.sql import Sql, to_datetime

from minsheng_yizhenghui.resolutions import majority

COUNCIL_SIZE = 25  # members of a town's 议政会 in the demo
LOCAL_LEVELS = ("town", "village")


def add_demo_resolutions(db: Any, demo: Any) -> int:
    """Record one passing council vote for each approved town or village project; return how many (inside the
    demo's db_session). ``demo`` is an ``engine.demo.DemoDistrict``."""
    sql = Sql(db)
    count = 0
    for number, project in enumerate(sorted(demo.projects.values(), key=lambda p: p.code), start=1):
        approved_at = _approved_at(sql, project.id)
        level = sql.scalar("SELECT level FROM region WHERE id = ?", (demo.regions[project.region],))
        if approved_at is None or level not in LOCAL_LEVELS:
            continue
        _insert(sql, project.id, approved_at.date() - dt.timedelta(days=2), number,
                demo.acting(["office"], project).id, demo.clock.now())
        count += 1
    return count


def _approved_at(sql: Sql, project_id: int) -> dt.datetime | None:
    """When the project was approved (its audit log's ``approve`` record), or None if it never was."""
    at = sql.scalar("SELECT MIN(at) FROM audit_record WHERE project_id = ? AND event = ?", (project_id, "approve"))
    return None if at is None else to_datetime(at)


def _insert(sql: Sql, project_id: int, meeting: dt.date, number: int, actor_id: int | None,
            now: dt.datetime) -> None:
    present = COUNCIL_SIZE - number % 3
    votes_for = present - 2 - number % 4
    against = (present - votes_for) // 2
    sql.insert("INSERT INTO yizhenghui_resolution (project_id, meeting_date, attendees, votes_for, votes_against,"
               " votes_abstain, passed, minutes_no, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (project_id, meeting, present, votes_for, against, present - votes_for - against,
                votes_for >= majority(present), f"镇议〔{meeting.year}〕{number}号", actor_id, now))
