"""Recording an inspection (视察 / 督查 / 抽查 / 明察暗访 / 第三方评估 / 验收) of a project.

An inspection recorded with findings opens one rectification (整改) per finding in the same transaction; each
finding's responsible unit defaults to the project's lead unit (牵头单位). The inspection and its rectifications are
``inspection`` records in the project's hash chain, written in the same transaction; a retried request with the
same idempotency key answers the first result and writes nothing; a project in a final state takes none unless its
workflow state lists ``inspection`` in its ``records``.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.storage.sql import Sql
from engine.texts import normalize_newlines, text_problem

from engine import chain
from plugins.inspection import chained, records
from plugins.inspection.records import Inspection, Rectification
from plugins.inspection.rectifications import insert_rectification, project_row
from plugins.inspection.vocabulary import (CUSTODY, INSPECTION_KINDS, INSPECTION_RESULTS, MAX_FINDINGS, MAX_INSPECTORS,
                                           MAX_NAME_LENGTH, MAX_TEXT_LENGTH, RECORDING_ROLES, choices)

if TYPE_CHECKING:
    from engine.core import Engine

INPUT = "input"
CUSTODY_TABLE = "custody_record"


@dataclass(frozen=True)
class Finding:
    """A problem an inspection found: what to fix, by when, and (optionally) which unit answers for it."""

    description: str
    deadline: dt.date | str
    unit_id: int | None = None


@dataclass(frozen=True)
class NewInspection:
    """What an inspector submits. ``held_on`` and deadlines may be ISO date strings."""

    kind: str
    held_on: dt.date | str
    result: str
    inspectors: Sequence[str] = ()
    notes: str | None = None
    findings: Sequence[Finding] = field(default_factory=tuple)


@dataclass(frozen=True)
class RecordedInspection:
    inspection: Inspection
    rectifications: list[Rectification]


@dataclass
class _Checked:
    """Validated values, collected together with every problem found."""

    held_on: dt.date | None = None
    inspectors: list[str] = field(default_factory=list)
    findings: list[tuple[str, dt.date, int | None]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)

    def problem(self, message: str, *path: str) -> None:
        self.problems.append(FieldProblem([INPUT, *path], message))


def record_inspection(engine: Engine, actor: ActorView, project_id: int, new: NewInspection,
                      idempotency_key: Any = None) -> RecordedInspection:
    """Record an inspection of a project (and open its findings' rectifications); return what was stored."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = project_row(engine, sql, actor, project_id, [INPUT, "projectId"])
        if not actor.roles & RECORDING_ROLES:
            raise Forbidden("only the government office (政府办/督查室), supervisors (监督员), deputies (人大代表), the "
                            "standing committee (人大常委会) or a third party (第三方) may record inspections",
                            path=[INPUT, "projectId"])
        key = chain.check_key(idempotency_key)
        earlier = chain.replayed(sql, actor, key, project_id, "record_inspection")
        if earlier is not None:
            return _recorded(sql, earlier)
        chain.check_open_for(engine, row, chained.KIND, "inspection records (视察/整改)")
        checked = _validate(sql, new, row.view.lead_unit_id, engine.clock.today())
        if new.kind == CUSTODY and checked.held_on is not None:
            _check_custody_period(engine, sql, project_id, checked.held_on)
        now = engine.clock.now()
        inspection_id = _insert(sql, project_id, new, checked, actor, now)
        for description, deadline, unit_id in checked.findings:
            insert_rectification(sql, project_id, description, unit_id, deadline, actor.id, now,
                                 inspection_id=inspection_id, opened_by_name=actor.name)
        chain.remember(sql, actor, key, project_id, "record_inspection", inspection_id, now)
        return _recorded(sql, inspection_id)


def _recorded(sql: Sql, inspection_id: int) -> RecordedInspection:
    inspection = records.inspection_by_id(sql, inspection_id)
    assert inspection is not None
    ids = [r[0] for r in sql.all("SELECT id FROM inspection_rectification WHERE inspection_id = ? ORDER BY id",
                                 (inspection_id,))]
    return RecordedInspection(inspection, records.rectifications_by_ids(sql, ids))


def _insert(sql: Sql, project_id: int, new: NewInspection, checked: _Checked, actor: ActorView,
            now: dt.datetime) -> int:
    """Write the inspection row and its chain record (the inspectors' names and the notes only as digests)."""
    values = (new.kind, checked.held_on, new.result, json.dumps(checked.inspectors, ensure_ascii=False),
              (new.notes or "").strip() or None, actor.id)  # in chained.INSPECTION_COLUMNS order
    inspection_id = sql.insert(
        "INSERT INTO inspection_record (project_id, kind, held_on, result, inspectors, notes, recorded_by,"
        " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (project_id, *values, now))
    chained.append_inspection(sql, project_id, inspection_id, values, actor, now)
    return inspection_id


def _validate(sql: Sql, new: NewInspection, lead_unit_id: int | None, today: dt.date) -> _Checked:
    checked = _Checked()
    if new.kind not in INSPECTION_KINDS:
        checked.problem(f"unknown inspection kind '{new.kind}'; use one of {choices(INSPECTION_KINDS)}", "kind")
    if new.result not in INSPECTION_RESULTS:
        checked.problem(f"unknown result '{new.result}'; use one of {choices(INSPECTION_RESULTS)}", "result")
    checked.held_on = _date(checked, new.held_on, "date")
    if checked.held_on is not None and checked.held_on > today:
        checked.problem(f"the inspection date {checked.held_on} is after today ({today})", "date")
    _check_inspectors(checked, new.inspectors)
    notes_problem = text_problem(normalize_newlines(new.notes or ""), MAX_TEXT_LENGTH, multiline=True)
    if notes_problem:
        checked.problem(notes_problem, "notes")
    _check_findings(sql, checked, new.findings, lead_unit_id)
    if checked.problems:
        raise InvalidInput(checked.problems)
    return checked


def _check_custody_period(engine: Engine, sql: Sql, project_id: int, held_on: dt.date) -> None:
    """A custody inspection (管护巡查) falls within the project's custody period (管护期, plugins.custody)."""
    period = None
    if any(entity._table_ == CUSTODY_TABLE for entity in engine.db.entities.values()):
        from plugins.custody.records import period as custody_period

        period = custody_period(sql, project_id)
    if period is None:
        raise InvalidInput([FieldProblem([INPUT, "kind"], f"project {project_id} has no custody period (管护期): "
                                         "custody inspections (管护巡查) are recorded after its hand-over (移交管护)")])
    if not period[0] <= held_on <= period[1]:
        raise InvalidInput([FieldProblem([INPUT, "date"], f"the inspection date {held_on} is outside the custody "
                                         f"period (管护期) from {period[0]} to {period[1]}")])


def _date(checked: _Checked, value: Any, *path: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        checked.problem(f"'{value}' is not a date (YYYY-MM-DD)", *path)
        return None


def _check_inspectors(checked: _Checked, names: Sequence[str]) -> None:
    if len(names) > MAX_INSPECTORS:
        checked.problem(f"{len(names)} inspectors given; at most {MAX_INSPECTORS} are allowed", "inspectors")
        return
    for index, name in enumerate(names):
        name = (name or "").strip()
        if not name:
            checked.problem("an inspector's name is empty", "inspectors", str(index))
        elif problem := text_problem(name, MAX_NAME_LENGTH):
            checked.problem(f"an inspector's name {problem}", "inspectors", str(index))
        else:
            checked.inspectors.append(name)


def _check_findings(sql: Sql, checked: _Checked, findings: Sequence[Finding], lead_unit_id: int | None) -> None:
    if len(findings) > MAX_FINDINGS:
        checked.problem(f"{len(findings)} findings given; at most {MAX_FINDINGS} are allowed", "findings")
        return
    for index, finding in enumerate(findings):
        at = ("findings", str(index))
        description = (finding.description or "").strip()
        if not description:
            checked.problem("describe what must be rectified (整改内容)", *at, "description")
        elif problem := text_problem(normalize_newlines(description), MAX_TEXT_LENGTH, multiline=True):
            checked.problem(f"the description {problem}", *at, "description")
        deadline = _date(checked, finding.deadline, *at, "deadline")
        if deadline is not None and checked.held_on is not None and deadline < checked.held_on:
            checked.problem(f"the deadline {deadline} is before the inspection date {checked.held_on}",
                            *at, "deadline")
        unit_id = _unit(sql, checked, finding.unit_id, lead_unit_id, at)
        checked.findings.append((description, deadline, unit_id))  # type: ignore[arg-type]


def _unit(sql: Sql, checked: _Checked, unit_id: int | None, lead_unit_id: int | None,
          at: tuple[str, str]) -> int | None:
    """The responsible unit: the one named (which must exist) or the project's lead unit."""
    if unit_id is None:
        if lead_unit_id is None:
            checked.problem("the project has no lead unit (牵头单位): name the responsible unit", *at, "unitId")
        return lead_unit_id
    if sql.scalar("SELECT id FROM unit WHERE id = ?", (unit_id,)) is None:
        checked.problem(f"no unit with id {unit_id}", *at, "unitId")
    return unit_id
