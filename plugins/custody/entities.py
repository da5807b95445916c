"""Tables of the custody plugin: custody records (管护) opened by a hand-over, and 回头看 reviews with their checklist."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pony import orm

from engine.storage.migrations import Migration

RECORD_TABLE = "custody_record"


def declare(db: Any) -> None:
    """Declare the plugin's entities on ``db``; projects and actors are referred to by plain ids."""

    class CustodyRecord(db.Entity):
        """Who maintains a handed-over project (管护主体), its duties and yearly funds, for which period."""

        _table_ = RECORD_TABLE
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, unique=True)
        custodian = orm.Required(str)
        responsible_unit = orm.Optional(str, nullable=True)
        duties = orm.Optional(str, nullable=True)
        yearly_funds_fen = orm.Required(int)
        starts_on = orm.Required(dt.date)
        ends_on = orm.Required(dt.date, index=True)
        opened_by = orm.Optional(int, nullable=True)
        opened_at = orm.Required(dt.datetime)

    class CustodyReview(db.Entity):
        """One 回头看 review: the checklist as answered, the findings, who reviewed and when."""

        _table_ = "custody_review"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        event = orm.Required(str)
        still_in_use = orm.Required(bool)
        maintained = orm.Required(bool)
        signage = orm.Required(bool)
        satisfaction = orm.Required(str)
        findings = orm.Optional(str, nullable=True)
        reviewed_by = orm.Optional(int, nullable=True)
        reviewed_at = orm.Required(dt.datetime)


MIGRATIONS = [
    Migration("custody", 1, "custody records and 回头看 reviews", """
CREATE TABLE custody_record (id {pk}, project_id INTEGER NOT NULL UNIQUE REFERENCES project (id),
    custodian TEXT NOT NULL, responsible_unit TEXT, duties TEXT, yearly_funds_fen INTEGER NOT NULL,
    starts_on DATE NOT NULL, ends_on DATE NOT NULL, opened_by INTEGER, opened_at {ts} NOT NULL);
CREATE INDEX idx_custody_record_ends_on ON custody_record (ends_on);
CREATE TABLE custody_review (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id), event TEXT NOT NULL,
    still_in_use {bool} NOT NULL, maintained {bool} NOT NULL, signage {bool} NOT NULL,
    satisfaction TEXT NOT NULL, findings TEXT, reviewed_by INTEGER, reviewed_at {ts} NOT NULL);
CREATE INDEX idx_custody_review_project ON custody_review (project_id)
"""),
]
