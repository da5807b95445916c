"""Supervision notices (督办单): what one is, reading them within the one access rule, and announcing changes.

Every change of a notice (issued, acknowledged 签收, answered 反馈, closed 办结) is audited in its project's hash
chain (a record of kind ``notice``), then — after commit — pushed to ``projectEvents`` subscribers as the event
``notice_<status>`` (never to the public) and handed to ``minsheng_notify``.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from engine.directory.access import read_scope_sql, reach
from engine.directory.actors import ActorView
from engine.directory.regions import subtree_bounds
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.supervision")

COLUMNS = ("n.id, n.project_id, p.code, p.title, p.region_id, p.region_path, p.lead_unit_id, p.state, p.version,"
           " p.workflow_id, n.deadline_key, n.source_id, n.due_on, n.step, n.step_label, n.addressee, n.unit_id,"
           " u.name, n.reason, n.status, n.issued_on, n.issued_at, n.acknowledged_at, n.answered_at, n.answer,"
           " n.closed_at, n.close_note")
FROM = " FROM supervision_notice n JOIN project p ON p.id = n.project_id LEFT JOIN unit u ON u.id = n.unit_id"


@dataclass(frozen=True)
class Notice:
    """One supervision notice as stored (a plain value: safe to keep after the session)."""

    id: int
    project_id: int
    project_code: str
    project_title: str
    region_id: int
    region_path: str
    lead_unit_id: int | None
    project_state: str
    project_version: int
    workflow_id: int
    deadline_key: str  # the state whose deadline it is, or "rectification"
    source_id: int  # the rectification's id (0 for a state's deadline)
    due_on: dt.date
    step: str
    step_label: str
    addressee: str  # lead_unit, or the role addressed in the project's region (e.g. office)
    unit_id: int | None  # the responsible unit, which signs for and answers the notice
    unit_name: str | None
    reason: str
    status: str
    issued_on: dt.date
    issued_at: dt.datetime
    acknowledged_at: dt.datetime | None
    answered_at: dt.datetime | None
    answer: str | None
    closed_at: dt.datetime | None
    close_note: str | None
    audit_seq: int = 0  # the project's audit record of this change (set when it is announced)

    @classmethod
    def of(cls, row: Sequence[Any], audit_seq: int = 0) -> Notice:
        values = list(row)
        for i in (12, 20):
            values[i] = to_date(values[i])
        for i in (21, 22, 23, 25):
            values[i] = None if values[i] is None else to_datetime(values[i])
        return cls(*values, audit_seq)

    def to_event(self, engine: Engine) -> dict[str, Any]:
        """The flat subscription event (``engine.api.subscriptions``); ``public`` is False: the public never
        receives notices."""
        state = engine.workflows.get(self.workflow_id).definition.states[self.project_state]
        at = self.closed_at or self.answered_at or self.acknowledged_at or self.issued_at
        return {"project_id": self.project_id, "region_id": self.region_id, "region_path": self.region_path,
                "public": False, "lead_unit_id": self.lead_unit_id, "created_by": None, "code": self.project_code,
                # a cooperating unit's clerk hears of the notices addressed to its unit (its own measures') alone
                "cooperating": [self.unit_id] if self.unit_id not in (None, self.lead_unit_id) else [],
                "title": self.project_title[:500], "event": f"notice_{self.status}", "from_state": state.name,
                "to_state": state.name, "state_label": state.label, "version": self.project_version, "seq": self.audit_seq,
                "actor_name": "", "at": at.isoformat()}


def get(sql: Sql, notice_id: int) -> Notice | None:
    """The notice with this id, or None (no access check: callers check the reader first)."""
    row = sql.one(f"SELECT {COLUMNS}{FROM} WHERE n.id = ?", (notice_id,))
    return None if row is None else Notice.of(row)


def of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Notice]]:
    """Each project's notices, oldest first, in one query (the caller has checked the reader may see them)."""
    rows = sql.all(f"SELECT {COLUMNS}{FROM} WHERE n.project_id IN ({marks(len(project_ids))}) ORDER BY n.id",
                   list(project_ids))
    return by_project(rows, Notice.of, 1)


def visible_to(engine: Engine, actor: ActorView) -> bool:
    """Only readers with an area see notices: never the public or a public-scope role."""
    return not reach(engine, actor).redacted


def own_unit(engine: Engine, actor: ActorView) -> int | None:
    """For a unit-bound reader (a unit's clerk), its unit: on a project its unit only cooperates on (配合), it sees
    the notices addressed to its unit (its own measures') alone; None for readers with an area."""
    scope = reach(engine, actor)
    return scope.unit_id if scope.unit_bound else None


def sees(engine: Engine, actor: ActorView, notice: Notice) -> bool:
    """Whether a reader who reaches the notice's project sees the notice itself: everyone with an area does; a
    unit's clerk, where its unit leads the project or the notice is addressed to its unit."""
    unit = own_unit(engine, actor)
    return unit is None or unit in (notice.lead_unit_id, notice.unit_id)


def page(engine: Engine, sql: Sql, actor: ActorView, region_path: str | None, unit_id: int | None,
         status: str | None, after_id: int, first: int) -> list[Notice]:
    """Up to ``first + 1`` notices the actor reaches, by id after ``after_id``, filtered as given."""
    if not visible_to(engine, actor):
        return []
    conditions, params = read_scope_sql(engine, actor, "p")
    unit = own_unit(engine, actor)
    if unit is not None:  # a cooperating unit's clerk: the notices on its own measures only
        conditions.append("(p.lead_unit_id = ? OR n.unit_id = ?)")
        params.extend([unit, unit])
    if region_path is not None:
        conditions.append("p.region_path >= ? AND p.region_path < ?")
        params.extend(subtree_bounds(region_path))
    for condition, value in (("n.unit_id = ?", unit_id), ("n.status = ?", status)):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    query = f"SELECT {COLUMNS}{FROM} WHERE n.id > ? AND " + " AND ".join(conditions) + " ORDER BY n.id LIMIT ?"
    return [Notice.of(r) for r in sql.all(query, (after_id, *params, first + 1))]


def announce(engine: Engine, notice: Notice) -> None:
    """After commit: push the change to subscribers and hand it to ``minsheng_notify``; failures are logged."""
    for listener in list(engine.listeners):
        try:
            listener(notice)
        except Exception:
            log.exception("listener %r failed on notice %s", listener, notice.id)
    for impl in engine.plugins.hook.minsheng_notify.get_hookimpls():
        try:
            impl.function(notice=notice)
        except Exception:
            log.exception("minsheng_notify of plugin '%s' failed on notice %s", impl.plugin_name, notice.id)
