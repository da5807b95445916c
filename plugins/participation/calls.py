"""Calls for suggestions 征集公告: a region, a year, an opening and a closing day (at least
``settings.min_days`` days, both days included) and the categories suggestions are filed under.

An office opens a call for its region or one below it. Anyone reads the calls (``open_calls``); offices also
read the closed ones of their area (``calls_in_area``).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql, to_date, to_datetime
from plugins.participation import journal, offices, settings

if TYPE_CHECKING:
    from engine.core import Engine

MAX_CATEGORIES = 30
MAX_CATEGORY = 60
MAX_TITLE = 200
COLUMNS = ("c.id, c.region_id, c.region_path, r.name, c.year, c.title, c.opens_on, c.closes_on, c.categories,"
           " c.created_at")
FROM = " FROM participation_call c JOIN region r ON r.id = c.region_id"


@dataclass(frozen=True)
class Call:
    id: int
    region_id: int
    region_path: str
    region_name: str
    year: int
    title: str
    opens_on: dt.date
    closes_on: dt.date
    categories: tuple[str, ...]
    created_at: dt.datetime

    def is_open(self, today: dt.date) -> bool:
        return self.opens_on <= today <= self.closes_on

    @classmethod
    def of(cls, r: Sequence) -> Call:
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], to_date(r[6]), to_date(r[7]),  # type: ignore[arg-type]
                   tuple(json.loads(r[8])), to_datetime(r[9]))


@dataclass(frozen=True)
class NewCall:
    region_id: int
    year: int
    opens_on: dt.date
    closes_on: dt.date
    categories: Sequence[str]
    title: str | None = None


def open_call(engine: Engine, actor: ActorView, new: NewCall) -> Call:
    """Open a call (an office of the region); ``InvalidInput`` naming every bad field, nothing written."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        area = offices.require_office(engine, actor, "open a call for suggestions (征集公告)")
        region = sql.one("SELECT path, name FROM region WHERE id = ?", (new.region_id,))
        if region is None or not region[0].startswith(area):
            raise NotFound(f"region {new.region_id} does not exist", path=["input", "regionId"])
        categories, title = _checked(new, region[1])
        now = engine.clock.now()
        call_id = sql.insert(
            "INSERT INTO participation_call (region_id, region_path, year, title, opens_on, closes_on, categories,"
            " created_by_id, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.region_id, region[0], new.year, title, new.opens_on, new.closes_on,
             json.dumps(categories, ensure_ascii=False), actor.id, actor.name, now))
        journal.write(sql, call_id, None, "call_opened", actor, now, year=new.year, opens_on=new.opens_on,
                      closes_on=new.closes_on)
        return get(sql, call_id)


def _checked(new: NewCall, region_name: str) -> tuple[list[str], str]:
    problems = []
    days = (new.closes_on - new.opens_on).days + 1
    minimum = settings.from_env().min_days
    if days < minimum:
        problems.append(FieldProblem(["input", "closesOn"], (
            f"a call for suggestions stays open at least {minimum} days: opening {new.opens_on}, closing "
            f"{new.closes_on} is {max(days, 0)} day(s)")))
    if not 2000 <= new.year <= 2100:
        problems.append(FieldProblem(["input", "year"], f"year {new.year} is not between 2000 and 2100"))
    categories = [c.strip() for c in new.categories]
    if not categories or len(categories) > MAX_CATEGORIES:
        problems.append(FieldProblem(["input", "categories"], f"give 1 to {MAX_CATEGORIES} categories"))
    for index, name in enumerate(categories):
        if not name or len(name) > MAX_CATEGORY:
            problems.append(FieldProblem(["input", "categories", str(index)],
                                         f"a category has 1 to {MAX_CATEGORY} characters"))
        elif name in categories[:index]:
            problems.append(FieldProblem(["input", "categories", str(index)], f"category '{name}' is listed twice"))
    title = (new.title or "").strip() or f"{region_name}{new.year}年民生实事项目征集"
    if len(title) > MAX_TITLE:
        problems.append(FieldProblem(["input", "title"], f"at most {MAX_TITLE} characters"))
    if problems:
        raise InvalidInput(problems)
    return categories, title


def get(sql: Sql, call_id: int) -> Call:
    row = sql.one(f"SELECT {COLUMNS}{FROM} WHERE c.id = ?", (call_id,))
    if row is None:
        raise NotFound(f"call {call_id} does not exist")
    return Call.of(row)


def open_calls(sql: Sql, today: dt.date, region_path: str | None = None) -> list[Call]:
    """The calls open today (public), in a region and below it if given, newest first."""
    query = f"SELECT {COLUMNS}{FROM} WHERE c.opens_on <= ? AND c.closes_on >= ?"
    params: list[object] = [today, today]
    if region_path is not None:
        query += " AND c.region_path LIKE ?"
        params.append(region_path + "%")
    return [Call.of(r) for r in sql.all(query + " ORDER BY c.opens_on DESC, c.id DESC", params)]


def calls_in_area(engine: Engine, sql: Sql, actor: ActorView, year: int | None = None) -> list[Call]:
    """Every call of the office's area (open or not), newest first; nothing for anyone else."""
    area = offices.office_path(engine, actor)
    if area is None:
        return []
    query, params = f"SELECT {COLUMNS}{FROM} WHERE c.region_path LIKE ?", [area + "%"]
    if year is not None:
        query += " AND c.year = ?"
        params.append(year)
    return [Call.of(r) for r in sql.all(query + " ORDER BY c.opens_on DESC, c.id DESC", params)]
