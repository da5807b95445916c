"""The plugin's one table: resolutions (决议) of a town's 议政会 (deliberative council) on projects."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pony import orm

from engine.storage.migrations import Migration

COMPONENT = "yizhenghui"  # the name migrations are recorded under in ``schema_migrations``


def declare(db: Any) -> None:
    """Declare the plugin's entity on ``db``; the project and the recording actor are plain ids."""

    class YizhenghuiResolution(db.Entity):
        """One vote of the town's 议政会 on one project, as its minutes (会议纪要) record it."""

        _table_ = "yizhenghui_resolution"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        meeting_date = orm.Required(dt.date)
        attendees = orm.Required(int)  # 出席人数: members present
        votes_for = orm.Required(int)  # 赞成
        votes_against = orm.Required(int)  # 反对
        votes_abstain = orm.Required(int)  # 弃权
        passed = orm.Required(bool)  # more than half of the members present voted for (过半数通过)
        minutes_no = orm.Required(str)  # 会议纪要编号, e.g. 东议〔2024〕3号; unique per project
        recorded_by = orm.Optional(int, nullable=True)  # the actor who entered it
        recorded_at = orm.Required(dt.datetime)


# Column names are the pony attribute names above; pony checks at start-up that they all exist.
MIGRATIONS = [
    Migration(COMPONENT, 1, "town deliberative council resolutions", """
CREATE TABLE yizhenghui_resolution (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    meeting_date DATE NOT NULL, attendees INTEGER NOT NULL, votes_for INTEGER NOT NULL,
    votes_against INTEGER NOT NULL, votes_abstain INTEGER NOT NULL, passed {bool} NOT NULL,
    minutes_no TEXT NOT NULL, recorded_by INTEGER, recorded_at {ts} NOT NULL,
    UNIQUE (project_id, minutes_no));
CREATE INDEX idx_yizhenghui_resolution_project ON yizhenghui_resolution (project_id, meeting_date)
"""),
]
