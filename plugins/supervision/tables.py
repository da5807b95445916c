"""Tables of the supervision plugin (督办): supervision notices, one per (project, deadline, step)."""
from __future__ import annotations

from engine.storage.migrations import Migration
from engine.storage.tally import Feed, Tally, tally_migration

# Statuses of a notice, in order: issued by the tick, acknowledged (签收) and answered (反馈) by the addressed
# unit, closed (办结) by the office.
ISSUED, ACKNOWLEDGED, ANSWERED, CLOSED = "issued", "acknowledged", "answered", "closed"
STATUSES = (ISSUED, ACKNOWLEDGED, ANSWERED, CLOSED)

# ``deadline_key`` is the state whose deadline it is, or ``rectification`` (then ``source_id`` is the
# rectification's id; 0 otherwise). The UNIQUE key makes each step's notice exist once, across processes. The
# index on project lets the tick find projects due by a planned date without scanning every project.
MIGRATIONS = [
    Migration("supervision", 1, "supervision notices (督办单)", """
CREATE TABLE supervision_notice (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    deadline_key TEXT NOT NULL, source_id INTEGER NOT NULL DEFAULT 0, due_on DATE NOT NULL, step TEXT NOT NULL,
    step_label TEXT NOT NULL, addressee TEXT NOT NULL, unit_id INTEGER, reason TEXT NOT NULL, status TEXT NOT NULL,
    issued_on DATE NOT NULL, issued_at {ts} NOT NULL, acknowledged_at {ts}, acknowledged_by INTEGER,
    answered_at {ts}, answered_by INTEGER, answer TEXT, closed_at {ts}, closed_by INTEGER, close_note TEXT,
    UNIQUE (project_id, deadline_key, source_id, due_on, step));
CREATE INDEX idx_supervision_notice_unit ON supervision_notice (unit_id, status);
CREATE INDEX idx_supervision_notice_status ON supervision_notice (status, id);
CREATE INDEX idx_supervision_project_due ON project (workflow_id, state, planned_end)
"""),
]

TALLY = Tally("supervision_tally", keys=(("step", "TEXT"), ("issued_on", "DATE")), feeds=(
    Feed("supervision_notice", keys=("r.step", "r.issued_on"), where="r.closed_at IS NULL",
         columns=("step", "issued_on", "closed_at")),))
"""Notices not closed (办结) per region (subtree or own), year, step and day of issue, maintained by the database in
the transaction of every notice written, moved or closed: today's open notices of a province are a few hundred rows
(``plugins.supervision.dashboard``)."""

MIGRATIONS.append(tally_migration("supervision", 2, "open notices per region, year, step and day of issue", TALLY))
