"""The core's database entities: regions, units, actors, workflow versions, projects, the audit log.

Declared per ``Database`` by ``declare_core_entities`` so every engine (and every test) gets its own mapping,
with the plugins' entities declared beside them before the mapping is generated.
The tables themselves are created by the numbered migrations in ``CORE_MIGRATIONS``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pony import orm

from engine.storage.generation import MIGRATION as GENERATION_MIGRATION
from engine.storage.migrations import Migration

REGION_LEVELS = ("province", "city", "county", "town", "village")  # 省 市 县区 乡镇街道 村社区


def declare_core_entities(db: orm.Database) -> None:
    class Region(db.Entity):
        _table_ = "region"
        id = orm.PrimaryKey(int, auto=True)
        code = orm.Required(str, unique=True)
        name = orm.Required(str)
        level = orm.Required(str)
        parent_id = orm.Optional(int, nullable=True)
        path = orm.Required(str, index=True)  # "/1/4/9/": this region and its ancestors, for subtree queries

    class Unit(db.Entity):
        _table_ = "unit"
        id = orm.PrimaryKey(int, auto=True)
        code = orm.Required(str, unique=True)
        name = orm.Required(str)
        region_id = orm.Required(int, index=True)

    class Actor(db.Entity):
        _table_ = "actor"
        id = orm.PrimaryKey(int, auto=True)
        username = orm.Required(str, unique=True)
        name = orm.Required(str)
        roles = orm.Required(str)  # comma-separated role names from the workflow files
        region_id = orm.Required(int)
        unit_id = orm.Optional(int, nullable=True)
        token_hash = orm.Optional(str, unique=True, nullable=True)
        active = orm.Required(bool, default=True)
        created_at = orm.Required(dt.datetime)

    class WorkflowVersion(db.Entity):
        _table_ = "workflow_version"
        id = orm.PrimaryKey(int, auto=True)
        name = orm.Required(str)
        version = orm.Required(int)
        checksum = orm.Required(str)
        source = orm.Required(orm.LongStr)
        loaded_at = orm.Required(dt.datetime)
        orm.composite_key(name, version)

    class Project(db.Entity):
        _table_ = "project"
        id = orm.PrimaryKey(int, auto=True)
        code = orm.Required(str, unique=True)
        title = orm.Required(str)
        year = orm.Required(int)
        category = orm.Required(str)
        region_id = orm.Required(int)
        region_path = orm.Required(str)  # indexed with id (and state) by migrations: list pages walk it
        lead_unit_id = orm.Optional(int, nullable=True)
        budget = orm.Required(Decimal, precision=16, scale=2)
        description = orm.Optional(str, nullable=True)
        target = orm.Optional(str, nullable=True)  # 目标任务, e.g. "新增学位15000个"
        planned_start = orm.Optional(dt.date, nullable=True)
        planned_end = orm.Optional(dt.date, nullable=True)
        workflow_id = orm.Required(int)
        state = orm.Required(str)
        previous_state = orm.Optional(str, nullable=True)
        version = orm.Required(int)
        audit_seq = orm.Required(int)
        audit_head = orm.Required(str)
        created_at = orm.Required(dt.datetime)
        updated_at = orm.Required(dt.datetime)
        created_by = orm.Optional(int, nullable=True, index=True)  # the creating actor (read scope: own projects)
        location = orm.Optional(str, nullable=True)  # a GeoJSON Point or LineString (engine.geo.location)
        location_datum = orm.Optional(str, nullable=True)  # the datum of ``location``: always WGS-84

    class AuditRecord(db.Entity):
        _table_ = "audit_record"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int)
        seq = orm.Required(int)
        kind = orm.Required(str)  # create | transition | edit | progress (see engine.audit.KINDS)
        event = orm.Required(str)
        from_state = orm.Optional(str, nullable=True)
        to_state = orm.Required(str)
        actor_id = orm.Optional(int, nullable=True)
        actor_name = orm.Required(str)
        at = orm.Required(dt.datetime)
        fields = orm.Required(orm.LongStr)  # canonical JSON
        comment = orm.Optional(orm.LongStr, nullable=True)
        prev_hash = orm.Required(str)
        hash = orm.Required(str)
        orm.composite_key(project_id, seq)

    class ProjectUnit(db.Entity):
        """A cooperating unit 配合单位 of a project: its clerks read the project (``engine.directory.access``)."""
        _table_ = "project_unit"
        project_id = orm.Required(int)
        unit_id = orm.Required(int, index=True)
        orm.PrimaryKey(project_id, unit_id)

    class IdempotencyKey(db.Entity):
        _table_ = "idempotency_key"
        actor_id = orm.Required(int)
        key = orm.Required(str)
        project_id = orm.Required(int)
        event = orm.Required(str)
        result = orm.Required(orm.LongStr)
        created_at = orm.Required(dt.datetime)
        orm.PrimaryKey(actor_id, key)


CORE_MIGRATIONS = [
    Migration("core", 1, "regions, units, actors, workflow versions, projects, audit log", """
CREATE TABLE region (id {pk}, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, level TEXT NOT NULL,
    parent_id INTEGER, path TEXT NOT NULL);
CREATE INDEX idx_region_path ON region (path);
CREATE TABLE unit (id {pk}, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, region_id INTEGER NOT NULL);
CREATE INDEX idx_unit_region ON unit (region_id);
CREATE TABLE actor (id {pk}, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL, roles TEXT NOT NULL,
    region_id INTEGER NOT NULL, unit_id INTEGER, token_hash TEXT UNIQUE, active {bool} NOT NULL,
    created_at {ts} NOT NULL);
CREATE TABLE workflow_version (id {pk}, name TEXT NOT NULL, version INTEGER NOT NULL, checksum TEXT NOT NULL,
    source TEXT NOT NULL, loaded_at {ts} NOT NULL, UNIQUE (name, version));
CREATE TABLE project (id {pk}, code TEXT NOT NULL UNIQUE, title TEXT NOT NULL, year INTEGER NOT NULL,
    category TEXT NOT NULL, region_id INTEGER NOT NULL, region_path TEXT NOT NULL, lead_unit_id INTEGER,
    budget {money} NOT NULL, description TEXT, workflow_id INTEGER NOT NULL REFERENCES workflow_version (id),
    state TEXT NOT NULL, previous_state TEXT, version INTEGER NOT NULL, audit_seq INTEGER NOT NULL,
    audit_head TEXT NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL);
CREATE INDEX idx_project_region_path ON project (region_path);
CREATE INDEX idx_project_year_state ON project (year, state);
CREATE TABLE audit_record (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id), seq INTEGER NOT NULL,
    kind TEXT NOT NULL, event TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, actor_id INTEGER,
    actor_name TEXT NOT NULL, at {ts} NOT NULL, fields TEXT NOT NULL, comment TEXT, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL, UNIQUE (project_id, seq));
CREATE TABLE idempotency_key (actor_id INTEGER NOT NULL, key TEXT NOT NULL, project_id INTEGER NOT NULL,
    event TEXT NOT NULL, result TEXT NOT NULL, created_at {ts} NOT NULL, PRIMARY KEY (actor_id, key))
"""),
    Migration("core", 2, "projects gain a target and a planned period (序时进度 needs the planned period)", """
ALTER TABLE project ADD COLUMN target TEXT;
ALTER TABLE project ADD COLUMN planned_start DATE;
ALTER TABLE project ADD COLUMN planned_end DATE
"""),
]


SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record"
    " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record"
    " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
]
POSTGRES_APPEND_ONLY = [
    "CREATE FUNCTION audit_record_append_only() RETURNS trigger AS $$"
    " BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record"
    " FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()",
]


def _append_only(db: orm.Database, provider: str) -> None:
    from engine.storage.sql import Sql

    sql = Sql(db)
    for statement in SQLITE_APPEND_ONLY if provider == "sqlite" else POSTGRES_APPEND_ONLY:
        sql.cursor().execute(statement)


CORE_MIGRATIONS.append(Migration("core", 3, "audit records are append-only: the database refuses to change them",
                                 _append_only))

CORE_MIGRATIONS.append(GENERATION_MIGRATION)
CORE_MIGRATIONS.append(Migration("core", 5, "projects remember who created them (a resident reads its own)", """
ALTER TABLE project ADD COLUMN created_by INTEGER;
UPDATE project SET created_by = (SELECT a.actor_id FROM audit_record a WHERE a.project_id = project.id AND a.seq = 1);
CREATE INDEX idx_project_created_by ON project (created_by)
"""))
CORE_MIGRATIONS.append(Migration("core", 6, "projects have cooperating units (配合单位), who read them", """
CREATE TABLE project_unit (project_id INTEGER NOT NULL REFERENCES project (id), unit_id INTEGER NOT NULL,
    PRIMARY KEY (project_id, unit_id));
CREATE INDEX idx_project_unit_unit ON project_unit (unit_id, project_id)
"""))

# Core migrations 7 and 8 belong to other branches of the same round (see the merge note of branch ``sheets``):
# these placeholders only keep the numbering without gaps on this branch and are to be dropped when they merge.
CORE_MIGRATIONS.append(Migration("core", 7, "reserved for another branch (placeholder)", ""))
CORE_MIGRATIONS.append(Migration("core", 8, "reserved for another branch (placeholder)", ""))
CORE_MIGRATIONS.append(Migration("core", 9, "projects may carry a location: a point or a line in WGS-84", """
ALTER TABLE project ADD COLUMN location TEXT;
ALTER TABLE project ADD COLUMN location_datum TEXT
"""))
CORE_MIGRATIONS.append(Migration("core", 10, "a region may name its projects' workflow; the administrators' log", """
ALTER TABLE region ADD COLUMN workflow TEXT;
CREATE TABLE admin_record (id {pk}, at {ts} NOT NULL, actor_id INTEGER, actor_name TEXT NOT NULL,
    action TEXT NOT NULL, subject TEXT NOT NULL, region_path TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX idx_admin_record_region ON admin_record (region_path, id)
"""))
CORE_MIGRATIONS.append(Migration("core", 11, "evidence files: a content-addressed store and attachments to records", """
CREATE TABLE evidence_blob (sha256 TEXT PRIMARY KEY, size {bigint} NOT NULL, data {blob}, stored_at {ts} NOT NULL);
CREATE TABLE attachment (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id), record_kind TEXT NOT NULL,
    record_id INTEGER, sha256 TEXT NOT NULL REFERENCES evidence_blob (sha256), filename TEXT NOT NULL,
    media_type TEXT NOT NULL, size {bigint} NOT NULL, taken_at {ts}, latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION, thumbnail_sha256 TEXT, public_sha256 TEXT, uploaded_by INTEGER,
    uploaded_at {ts} NOT NULL);
CREATE INDEX idx_attachment_project ON attachment (project_id, id)
"""))
CORE_MIGRATIONS.append(Migration("core", 12, "project pages walk an index in page order: region path then id", """
CREATE INDEX idx_project_region_path_id ON project (region_path, id);
CREATE INDEX idx_project_state_region_path_id ON project (state, region_path, id);
DROP INDEX idx_project_region_path
"""))

from engine.storage.tally import CORE_MIGRATION as TALLY_MIGRATION  # noqa: E402  (imports this module's peers only)

CORE_MIGRATIONS.append(TALLY_MIGRATION)
