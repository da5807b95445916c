"""The schedule records of a project: targets 指标 with their actuals 完成值 (history kept), measures and
milestones 措施/节点, and progress reports 进度报告.

Targets and measures are never deleted: taking one off the plan sets ``removed_at``, so actuals and done dates
already reported stay on record. Values of targets keep up to four decimal places (31.656 km).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pony import orm

from engine.storage.migrations import Migration
from engine.storage.tally import Feed, Tally, tally_migration


def declare(db: orm.Database) -> None:
    """Declare the schedule entities on ``db`` (tables created by ``MIGRATIONS``)."""

    class ScheduleTarget(db.Entity):
        """A quantified target 指标: e.g. 5G base stations, 个, 120."""
        _table_ = "schedule_target"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        position = orm.Required(int)
        name = orm.Required(str)
        unit = orm.Required(str)
        target_value = orm.Required(Decimal, precision=18, scale=4)
        baseline = orm.Optional(Decimal, precision=18, scale=4, nullable=True)
        removed_at = orm.Optional(dt.datetime, nullable=True)

    class ScheduleActual(db.Entity):
        """The actual value 完成值 of a target as of a date, reported by the responsible unit."""
        _table_ = "schedule_actual"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        target_id = orm.Required(int, index=True)
        value = orm.Required(Decimal, precision=18, scale=4)
        reported_on = orm.Required(dt.date)
        note = orm.Optional(str, nullable=True)
        reporter_id = orm.Optional(int, nullable=True)
        reporter_name = orm.Optional(str, nullable=True)
        created_at = orm.Required(dt.datetime)

    class ScheduleMeasure(db.Entity):
        """A measure or milestone 措施/节点 with its responsible unit, due date, weight and done state."""
        _table_ = "schedule_measure"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        position = orm.Required(int)
        title = orm.Required(str)
        unit_id = orm.Required(int)
        due_on = orm.Required(dt.date)
        weight = orm.Required(Decimal, precision=9, scale=2)
        done = orm.Required(bool)
        done_on = orm.Optional(dt.date, nullable=True)
        evidence = orm.Optional(str, nullable=True)
        done_by_id = orm.Optional(int, nullable=True)
        done_by_name = orm.Optional(str, nullable=True)
        removed_at = orm.Optional(dt.datetime, nullable=True)

    class ScheduleProgressReport(db.Entity):
        """A progress report 进度报告: the project's percent complete on a date, with what was done and why."""
        _table_ = "schedule_progress_report"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        reported_on = orm.Required(dt.date)
        percent = orm.Required(int)
        narrative = orm.Optional(str, nullable=True)
        problems = orm.Optional(str, nullable=True)
        next_steps = orm.Optional(str, nullable=True)
        reason = orm.Optional(str, nullable=True)
        reporter_id = orm.Optional(int, nullable=True)
        reporter_name = orm.Optional(str, nullable=True)
        created_at = orm.Optional(dt.datetime, nullable=True)


MIGRATIONS = [
    Migration("schedule", 1, "targets and actuals, measures and milestones, progress reports", """
CREATE TABLE schedule_progress_report (id {pk}, project_id INTEGER NOT NULL, reported_on DATE NOT NULL,
    percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100), narrative TEXT, problems TEXT, next_steps TEXT,
    reason TEXT, reporter_id INTEGER, reporter_name TEXT, created_at {ts});
CREATE INDEX idx_schedule_progress_report_project ON schedule_progress_report (project_id, reported_on, id);
CREATE TABLE schedule_target (id {pk}, project_id INTEGER NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    unit TEXT NOT NULL, target_value DECIMAL(18, 4) NOT NULL, baseline DECIMAL(18, 4), removed_at {ts});
CREATE INDEX idx_schedule_target_project ON schedule_target (project_id);
CREATE TABLE schedule_actual (id {pk}, project_id INTEGER NOT NULL, target_id INTEGER NOT NULL
    REFERENCES schedule_target (id), value DECIMAL(18, 4) NOT NULL, reported_on DATE NOT NULL, note TEXT,
    reporter_id INTEGER, reporter_name TEXT, created_at {ts} NOT NULL);
CREATE INDEX idx_schedule_actual_project ON schedule_actual (project_id);
CREATE INDEX idx_schedule_actual_target ON schedule_actual (target_id, reported_on, id);
CREATE TABLE schedule_measure (id {pk}, project_id INTEGER NOT NULL, position INTEGER NOT NULL, title TEXT NOT NULL,
    unit_id INTEGER NOT NULL, due_on DATE NOT NULL, weight DECIMAL(9, 2) NOT NULL, done {bool} NOT NULL,
    done_on DATE, evidence TEXT, done_by_id INTEGER, done_by_name TEXT, removed_at {ts});
CREATE INDEX idx_schedule_measure_project ON schedule_measure (project_id)
"""),
]
MIGRATIONS.append(Migration("schedule", 2, "maintained standings (序时进度 for the current day) for laggingProjects", """
CREATE TABLE schedule_standing (project_id INTEGER PRIMARY KEY REFERENCES project (id), region_path TEXT NOT NULL,
    year INTEGER NOT NULL, workflow_id INTEGER NOT NULL, state TEXT NOT NULL, under_way {bool} NOT NULL,
    expected_cents INTEGER NOT NULL, reported INTEGER, reported_on DATE, lag_cents INTEGER NOT NULL,
    status TEXT NOT NULL, colour TEXT NOT NULL, colour_label TEXT NOT NULL);
CREATE INDEX idx_schedule_standing_lag ON schedule_standing (under_way, lag_cents DESC, project_id, region_path,
    year, workflow_id, state);
CREATE INDEX idx_schedule_standing_region ON schedule_standing (region_path, under_way, lag_cents, year,
    workflow_id, state);
CREATE TABLE schedule_standing_day (id INTEGER PRIMARY KEY CHECK (id = 1), on_date DATE NOT NULL,
    basis TEXT NOT NULL, scheme TEXT NOT NULL)
"""))
MIGRATIONS.append(Migration("schedule", 3, "the reported progress with two places (a weighted share of measures "
                                         "done), and open measures by due date for the supervision tick", """
ALTER TABLE schedule_standing ADD COLUMN reported_cents INTEGER;
UPDATE schedule_standing SET reported_cents = reported * 100 WHERE reported IS NOT NULL;
CREATE INDEX idx_schedule_measure_due ON schedule_measure (done, due_on, project_id)
"""))

STANDINGS_TALLY = Tally(
    "schedule_tally", keys=(("workflow_id", "INTEGER"), ("state", "TEXT"), ("under_way", "BOOLEAN"),
                            ("status", "TEXT"), ("colour", "TEXT"), ("colour_label", "TEXT")),
    sums=("expected_cents", "reported_cents"), feeds=(
        Feed("schedule_standing", keys=("r.workflow_id", "r.state", "r.under_way", "r.status", "r.colour",
                                        "r.colour_label"),
             sums=("r.expected_cents", "COALESCE(r.reported_cents, 0)"),
             columns=("workflow_id", "state", "under_way", "status", "colour", "colour_label", "expected_cents",
                      "reported_cents"), row_id="project_id"),))
"""The maintained standings (序时进度 of the current day) summed per region (subtree or own), year, where the
projects stand, their status and colour: the dashboard's schedule figures for a whole region read these rows
instead of every standing (``plugins.schedule.dashboard``). Kept by the database in the transaction of every
standing written."""

MIGRATIONS.append(tally_migration("schedule", 4, "standings summed per region, year, status and colour",
                                  STANDINGS_TALLY))
MIGRATIONS.append(Migration("schedule", 5, "each project's clock-stopping intervals as read from its history so far, "
                                         "so that a transition reads only the history written since", """
CREATE TABLE schedule_stop (project_id INTEGER PRIMARY KEY REFERENCES project (id), seq INTEGER NOT NULL,
    stopping TEXT NOT NULL, intervals TEXT NOT NULL)
"""))
