"""A transition that writes project attributes from its fields (``sets:`` in the workflow file): 动态调整 changes the
project's scope, budget and deadline, not only the form that records the decision.

The new values are applied inside the transition's own database transaction, and an ``edit`` record named after
the event follows the ``transition`` record in the project's hash chain with every changed attribute as
``[old, new]`` — the same shape as an ordinary edit, so the history reads the same either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from engine import audit
from engine.errors import FieldProblem, InvalidInput
from engine.project_rules import audit_value as _plain, check_period
from engine.storage.sql import Sql, to_date, to_decimal
from engine.workflow.model import Transition


@dataclass(frozen=True)
class Adjustment:
    """What a transition's ``sets`` change: the new values by column, and ``[old, new]`` for the audit record."""

    values: dict[str, Any]
    changed: dict[str, list[Any]]


def adjustment(sql: Sql, project_id: int, transition: Transition, fields: Mapping[str, Any]) -> Adjustment | None:
    """The attributes ``transition`` writes from the submitted ``fields`` (a field left empty writes nothing), or
    ``None`` when nothing changes. Raises ``InvalidInput`` at the field when the result would be inconsistent (a
    planned end before the planned start)."""
    wanted = {attribute: fields[name] for attribute, name in transition.sets if fields.get(name) is not None}
    if not wanted:
        return None
    columns = sorted({*wanted, "planned_start", "planned_end"})
    old = dict(zip(columns, sql.one(f"SELECT {', '.join(columns)} FROM project WHERE id = ?", (project_id,))))
    start = wanted.get("planned_start", to_date(old["planned_start"]))
    end = wanted.get("planned_end", to_date(old["planned_end"]))
    try:
        check_period(start, end)
    except InvalidInput:
        ending = "planned_end" in wanted
        name = dict(transition.sets)["planned_end" if ending else "planned_start"]
        rule = "may not be before the planned start" if ending else "may not be after the planned end"
        raise InvalidInput([FieldProblem(["fields", name], f"{rule} ({start} – {end})")]) from None
    if "budget" in old:
        old["budget"] = to_decimal(old["budget"])
    changed = {k: [_plain(old[k]), _plain(v)] for k, v in wanted.items() if _plain(old[k]) != _plain(v)}
    if not changed:
        return None
    return Adjustment({k: wanted[k] for k in changed}, changed)


def edit_entry(transition_entry: audit.AuditEntry, transition_digest: str, changed: dict[str, list[Any]],
               event: str) -> audit.AuditEntry:
    """The ``edit`` record that follows the transition's record in the chain, listing ``[old, new]`` per attribute."""
    t = transition_entry
    return audit.AuditEntry(t.project_id, t.seq + 1, "edit", event, t.to_state, t.to_state, t.actor_id,
                            t.actor_name, t.at, audit.canonical_json(changed), None, transition_digest)
