"""Tables of the inspection plugin: inspections (视察/督查/验收) and the rectifications (整改) they open."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pony import orm

from engine.storage.migrations import Migration
from engine.storage.tally import Feed, Tally, tally_migration
from plugins.inspection.chained import chain_existing
from plugins.inspection.vocabulary import VERIFIED


def declare(db: Any) -> None:
    """Declare the plugin's entities on ``db``; projects, units and actors are referred to by plain ids."""

    class InspectionRecord(db.Entity):
        """One inspection of a project: who looked, when, what kind, and what they concluded."""

        _table_ = "inspection_record"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        kind = orm.Required(str)  # a key of vocabulary.INSPECTION_KINDS
        held_on = orm.Required(dt.date)
        inspectors = orm.Required(str)  # JSON list of names, as entered
        result = orm.Required(str)  # pass | fail | findings_only
        notes = orm.Optional(str, nullable=True)
        recorded_by = orm.Optional(int, nullable=True)
        recorded_at = orm.Required(dt.datetime)

    class InspectionRectification(db.Entity):
        """A problem to fix (整改) by a responsible unit before a deadline: open → done → verified."""

        _table_ = "inspection_rectification"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        inspection_id = orm.Optional(int, nullable=True)
        origin = orm.Required(str)  # "inspection" or the workflow event that opened it
        description = orm.Required(str)
        unit_id = orm.Optional(int, nullable=True, index=True)
        deadline = orm.Required(dt.date)
        status = orm.Required(str)  # open | done | verified
        opened_by = orm.Optional(int, nullable=True)
        opened_at = orm.Required(dt.datetime)
        done_by = orm.Optional(int, nullable=True)
        done_at = orm.Optional(dt.datetime, nullable=True)
        done_note = orm.Optional(str, nullable=True)
        verified_by = orm.Optional(int, nullable=True)
        verified_at = orm.Optional(dt.datetime, nullable=True)
        verify_note = orm.Optional(str, nullable=True)

    class InspectionCorrection(db.Entity):
        """A correction 冲正 of a mistaken inspection: names it, the reason, who and when; the inspection then no
        longer counts (acceptance 验收 guards, lists). A correction is never itself reversed."""

        _table_ = "inspection_correction"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        inspection_id = orm.Required(int, unique=True)
        reason = orm.Required(str)
        actor_id = orm.Optional(int, nullable=True)
        actor_name = orm.Required(str)
        at = orm.Required(dt.datetime)


MIGRATIONS = [
    Migration("inspection", 1, "inspections and rectifications", """
CREATE TABLE inspection_record (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id), kind TEXT NOT NULL,
    held_on DATE NOT NULL, inspectors TEXT NOT NULL, result TEXT NOT NULL, notes TEXT, recorded_by INTEGER,
    recorded_at {ts} NOT NULL);
CREATE INDEX idx_inspection_record_project ON inspection_record (project_id, kind, held_on);
CREATE TABLE inspection_rectification (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    inspection_id INTEGER REFERENCES inspection_record (id), origin TEXT NOT NULL, description TEXT NOT NULL,
    unit_id INTEGER, deadline DATE NOT NULL, status TEXT NOT NULL, opened_by INTEGER, opened_at {ts} NOT NULL,
    done_by INTEGER, done_at {ts}, done_note TEXT, verified_by INTEGER, verified_at {ts}, verify_note TEXT);
CREATE INDEX idx_inspection_rectification_project ON inspection_rectification (project_id);
CREATE INDEX idx_inspection_rectification_unit ON inspection_rectification (unit_id);
CREATE INDEX idx_inspection_rectification_open ON inspection_rectification (status, deadline)
"""),
    Migration("inspection", 2, "corrections 冲正 of mistaken inspections", """
CREATE TABLE inspection_correction (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    inspection_id INTEGER NOT NULL UNIQUE REFERENCES inspection_record (id), reason TEXT NOT NULL, actor_id INTEGER,
    actor_name TEXT NOT NULL, at {ts} NOT NULL);
CREATE INDEX idx_inspection_correction_project ON inspection_correction (project_id)
"""),
    Migration("inspection", 3, "inspections and rectifications written before join their projects' hash chains, in "
              "order", chain_existing),
]

TALLY = Tally("inspection_tally", keys=(("deadline", "DATE"),), feeds=(
    Feed("inspection_rectification", keys=("r.deadline",), where=f"r.status <> '{VERIFIED}'",
         columns=("deadline", "status")),))
"""Rectifications not verified (未销号) per region (subtree or own), year and deadline, maintained by the database
in the transaction of every rectification written or moved: today's open and overdue ones of a province are a few
hundred rows (``plugins.inspection.dashboard``)."""

MIGRATIONS.append(tally_migration("inspection", 4, "open rectifications per region, year and deadline", TALLY))
