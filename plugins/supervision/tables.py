"""Tables of the supervision plugin (督办): supervision notices, one per (project, deadline, step)."""
from __future__ import annotations

from engine.storage.migrations import Migration

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
