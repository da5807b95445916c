"""Creating projects — one (``createProject``) or a whole annual list (the import) — by one set of rules.

Every project is checked exactly alike: the actor may create on its workflow, its region lies in the actor's
area, its details are valid (``DETAILS``), its planned end is not before its start, its lead and cooperating
units exist where the actor may name them, and its code is new. A batch is checked whole before anything is
written, and every problem of every project is reported (``BatchProblems``, paths ``[index, field]``); then all
projects are written in one transaction, each with its ``create`` audit record and its cooperating units.
Ids are reserved up front (SQLite: under the write lock; PostgreSQL: from the sequence), so each record's hash
is computed before its row is written and the rows go in by pages (``Sql.execute_many``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from pony import orm

from engine import audit
from engine.directory.actors import ActorView
from engine.directory.management import region_workflow
from engine.errors import DomainError, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.geo.location import Location
from engine.storage.sql import Sql
from engine.workflow.fields import coerce_fields, jsonable_fields
from engine.project_rules import DETAILS, check_code, check_period, unit_in_view

if TYPE_CHECKING:
    from engine.core import Engine

DEFAULT_WORKFLOW = "minsheng"  # what a project gets when neither it nor its region (or one above) names one
MAX_COOPERATING = 50
PAGE = 2000  # rows per bulk statement
DETAIL_NAMES = tuple(spec.name for spec in DETAILS)
COLUMNS = ("id", "code", "region_id", "region_path", "workflow_id", "state", "version", "audit_seq", "audit_head",
           "created_at", "updated_at", "created_by", "location", "location_datum", *DETAIL_NAMES)
INSERT_PROJECT = f"INSERT INTO project ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
INSERT_UNIT = "INSERT INTO project_unit (project_id, unit_id) VALUES (?, ?)"
Progress = Callable[[str, int, int], None]  # (phase "checking" | "writing", done, total)


@dataclass(frozen=True)
class NewProject:
    region_id: int
    details: Mapping[str, Any]
    code: str | None = None
    workflow: str | None = None  # None: the region's own (inherited down the tree), else DEFAULT_WORKFLOW
    location: Location | None = None
    cooperating_unit_ids: tuple[int, ...] = ()


class BatchProblems(InvalidInput):
    """Every problem of a batch, each at ``[index of the project, field, ...]`` (fields as in ``NewProject``:
    ``region_id``, ``code``, ``workflow``, ``lead_unit_id``, ``cooperating_unit_ids``, a detail's name)."""


@dataclass
class _Checked:
    new: NewProject
    values: dict[str, Any]
    region_path: str
    workflow_id: int
    state: str


@dataclass
class _Lookups:
    """What several projects of a batch share, looked up once."""

    regions: dict[int, str | None] = field(default_factory=dict)
    units: dict[int, bool] = field(default_factory=dict)
    workflows: dict[str, str] = field(default_factory=dict)  # region path -> the workflow its projects get


def create_projects(engine: Engine, actor: ActorView, news: Sequence[NewProject], *, dry_run: bool = False,
                    progress: Progress | None = None) -> list[int]:
    """Create ``news`` in one transaction and return their ids in order; ``BatchProblems`` with every problem
    (nothing written) when any project is invalid. ``dry_run`` checks everything and writes nothing (returns
    ``[]``). ``progress`` is told how far checking and writing have come."""
    with orm.db_session(immediate=not dry_run):
        sql = Sql(engine.db)
        checked, problems = _check_all(engine, sql, actor, news, progress)
        problems.extend(_duplicate_codes(sql, news))
        if problems:
            raise BatchProblems(sorted(problems, key=lambda p: int(p.path[0])))
        if dry_run:
            return []
        return _write(engine, sql, actor, checked, progress)


def create_one(engine: Engine, actor: ActorView, new: NewProject) -> int:
    """Create one project; its first problem is raised as it is (``NotFound`` for a region or unit out of
    reach, ``Forbidden``, ``InvalidInput`` with every problem of its details)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        checked = _check(engine, sql, actor, new, _Lookups())
        if new.code and sql.scalar("SELECT id FROM project WHERE code = ?", (new.code,)) is not None:
            raise InvalidInput([FieldProblem(["code"], f"a project with code '{new.code}' already exists")])
        return _write(engine, sql, actor, [checked], None)[0]


def _check_all(engine: Engine, sql: Sql, actor: ActorView, news: Sequence[NewProject],
               progress: Progress | None) -> tuple[list[_Checked], list[FieldProblem]]:
    lookups, checked, problems = _Lookups(), [], []
    for index, new in enumerate(news):
        try:
            checked.append(_check(engine, sql, actor, new, lookups))
        except DomainError as exc:
            problems.extend(FieldProblem([str(index), *_field_path(exc, p)], p.message) for p in exc.problems())
        if progress is not None and (index + 1) % PAGE == 0:
            progress("checking", index + 1, len(news))
    return checked, problems


def _field_path(exc: DomainError, problem: FieldProblem) -> list[str]:
    names = {"regionId": "region_id", "leadUnitId": "lead_unit_id"}
    path = [names.get(str(part), str(part)) for part in problem.path]
    return path or (["workflow"] if isinstance(exc, Forbidden) else [])


def _check(engine: Engine, sql: Sql, actor: ActorView, new: NewProject, lookups: _Lookups) -> _Checked:
    if new.workflow is None:  # the region's own: the region first, then who may create on its workflow
        region_path = _region_in_area(sql, actor, new.region_id, lookups)
        name = _workflow_of_region(sql, region_path, lookups)
        loaded = engine.workflows.named(name)
    else:
        name, loaded = new.workflow, engine.workflows.named(new.workflow)
    if loaded is not None and not actor.roles & loaded.definition.creators():
        raise Forbidden("your roles may not create projects on this workflow")
    region_path = _region_in_area(sql, actor, new.region_id, lookups)  # access first, then the input
    values, problems = _details(new.details)
    if loaded is None:
        problems.append(FieldProblem(["workflow"], f"no workflow named '{name}'"))
    for check in (lambda: check_code(new.code),
                  lambda: check_period(values.get("planned_start"), values.get("planned_end")),
                  lambda: _check_units(sql, actor, values.get("lead_unit_id"), new.cooperating_unit_ids, lookups)):
        try:
            check()
        except InvalidInput as exc:
            problems.extend(exc.problems())
    if problems or loaded is None:
        raise InvalidInput(problems)
    return _Checked(new, values, region_path, loaded.id, loaded.definition.initial)


def _details(details: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The valid details, and the problems of the others (so the remaining rules are still checked)."""
    try:
        return coerce_fields(DETAILS, details, path=()), []
    except InvalidInput as exc:
        bad = {str(p.path[0]) for p in exc.problems() if p.path}
        relaxed = [replace(spec, required=False) for spec in DETAILS]
        rest = {k: v for k, v in details.items() if k not in bad}
        return coerce_fields(relaxed, rest, path=()), exc.problems()


def _workflow_of_region(sql: Sql, region_path: str, lookups: _Lookups) -> str:
    if region_path not in lookups.workflows:
        lookups.workflows[region_path] = region_workflow(sql, region_path) or DEFAULT_WORKFLOW
    return lookups.workflows[region_path]


def _region_in_area(sql: Sql, actor: ActorView, region_id: int, lookups: _Lookups) -> str:
    if region_id not in lookups.regions:
        lookups.regions[region_id] = sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
    path = lookups.regions[region_id]
    if path is None or not actor.covers(path):
        raise NotFound(f"region {region_id} does not exist", path=["regionId"])
    return path


def _check_units(sql: Sql, actor: ActorView, lead: int | None, cooperating: Sequence[int], lookups: _Lookups) -> None:
    def visible(unit_id: int) -> bool:
        if unit_id not in lookups.units:
            lookups.units[unit_id] = unit_in_view(sql, actor, unit_id)
        return lookups.units[unit_id]

    if lead is not None and not visible(lead):
        raise NotFound(f"unit {lead} does not exist", path=["leadUnitId"])
    problems = []
    if len(cooperating) > MAX_COOPERATING:
        problems.append(FieldProblem(["cooperating_unit_ids"], f"at most {MAX_COOPERATING} cooperating units"))
    for index, unit_id in enumerate(cooperating):
        where = ["cooperating_unit_ids", str(index)]
        if not visible(unit_id):
            problems.append(FieldProblem(where, f"unit {unit_id} does not exist"))
        elif unit_id == lead:
            problems.append(FieldProblem(where, f"unit {unit_id} is the lead unit (牵头单位), not a cooperating one"))
        elif unit_id in cooperating[:index]:
            problems.append(FieldProblem(where, f"unit {unit_id} is listed twice"))
    if problems:
        raise InvalidInput(problems)


def _duplicate_codes(sql: Sql, news: Sequence[NewProject]) -> list[FieldProblem]:
    """A code given twice in the batch, or already taken in the database."""
    first: dict[str, int] = {}
    problems = []
    for index, new in enumerate(news):
        if not new.code:
            continue
        if new.code in first:
            problems.append(FieldProblem([str(index), "code"], f"code '{new.code}' is also given to project "
                                                               f"{first[new.code] + 1} of this list"))
        else:
            first[new.code] = index
    codes = list(first)
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for (code,) in sql.all(f"SELECT code FROM project WHERE code IN ({', '.join('?' for _ in chunk)})", chunk):
            problems.append(FieldProblem([str(first[code]), "code"], f"a project with code '{code}' already exists"))
    return problems


def _reserve_ids(sql: Sql, count: int) -> list[int]:
    """``count`` new project ids: the caller holds SQLite's write lock; PostgreSQL hands them out itself."""
    if sql.sqlite:
        top = sql.scalar("SELECT MAX(n) FROM (SELECT seq AS n FROM sqlite_sequence WHERE name = 'project'"
                         " UNION ALL SELECT MAX(id) FROM project)") or 0
        return list(range(int(top) + 1, int(top) + 1 + count))
    rows = sql.all("SELECT nextval(pg_get_serial_sequence('project', 'id')) FROM generate_series(1, ?)", (count,))
    return sorted(int(r[0]) for r in rows)


def _write(engine: Engine, sql: Sql, actor: ActorView, checked: list[_Checked], progress: Progress | None) -> list[int]:
    now = engine.clock.now()
    ids = _reserve_ids(sql, len(checked))
    for start in range(0, len(checked), PAGE):
        page = list(zip(ids[start:start + PAGE], checked[start:start + PAGE]))
        projects, records, units = [], [], []
        for project_id, item in page:
            entry = _create_record(project_id, item, actor, now)
            records.append(entry)
            projects.append(_project_row(project_id, item, actor, now, entry.digest()))
            units.extend((project_id, unit_id) for unit_id in item.new.cooperating_unit_ids)
        sql.execute_many(INSERT_PROJECT, projects)
        sql.execute_many(audit.INSERT, [_record_row(e, p[8]) for e, p in zip(records, projects)])
        sql.execute_many(INSERT_UNIT, units)
        if progress is not None:
            progress("writing", start + len(page), len(checked))
    return ids


def _create_record(project_id: int, item: _Checked, actor: ActorView, now: dt.datetime) -> audit.AuditEntry:
    fields = jsonable_fields(item.values)
    if item.new.location is not None:
        fields["location"] = item.new.location.audit_value()
    if item.new.cooperating_unit_ids:
        fields["cooperating_units"] = list(item.new.cooperating_unit_ids)
    return audit.AuditEntry(project_id, 1, "create", "create", None, item.state, actor.id, actor.name, now,
                            audit.canonical_json(fields), None, audit.GENESIS)


def _project_row(project_id: int, item: _Checked, actor: ActorView, now: dt.datetime, head: str) -> list[Any]:
    code = item.new.code or f"{item.values['year']}-{project_id:05d}"
    location = item.new.location
    return [project_id, code, item.new.region_id, item.region_path, item.workflow_id, item.state, 1, 1, head, now,
            now, actor.id, location.stored() if location else None, "WGS-84" if location else None,
            *(item.values.get(name) for name in DETAIL_NAMES)]


def _record_row(entry: audit.AuditEntry, digest: str) -> tuple:
    return (entry.project_id, entry.seq, entry.kind, entry.event, entry.from_state, entry.to_state, entry.actor_id,
            entry.actor_name, entry.at, entry.fields, entry.comment, entry.prev_hash, digest)
