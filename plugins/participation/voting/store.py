"""Reading candidate lists, their session and counts as plain values, and who may see or change them.

The one access rule (``engine.directory.access.reach``) decides: a list belongs to a region, and an actor reaches
it when its reach covers that region with an area scope (not bound to a unit, not the public scope). The public
and everybody else read a list only once its result is published (公示); before, it answers like a missing list.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.directory.access import reach
from engine.directory.actors import ActorView
from engine.errors import Forbidden, NotFound
from engine.storage.sql import Sql, to_date, to_datetime

from plugins.participation.voting.rules import Count, Rules

if TYPE_CHECKING:
    from engine.core import Engine

OPEN, CLOSED = "open", "closed"
TALLY, ELECTRONIC = "tally", "electronic"


@dataclass(frozen=True)
class Candidate:
    project_id: int
    code: str
    title: str
    state: str
    position: int


@dataclass(frozen=True)
class Session:
    id: int
    method: str
    body: str
    held_on: dt.date
    expected: int
    present: int
    tellers: tuple[str, ...]
    ballots_issued: int
    ballots_returned: int
    counted: bool
    status: str
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class CandidateList:
    id: int
    region_id: int
    region_path: str
    year: int
    title: str
    rules: Rules | None
    created_at: dt.datetime
    published_at: dt.datetime | None
    objections_until: dt.datetime | None
    candidates: tuple[Candidate, ...]

    @property
    def published(self) -> bool:
        return self.published_at is not None


LIST_COLUMNS = ("id, region_id, region_path, year, title, places, margin, abstain_allowed, majority_of, created_at,"
                " published_at, objections_until")


def _list(sql: Sql, row: tuple) -> CandidateList:
    rules = None if row[5] is None else Rules(row[5], row[6], bool(row[7]), row[8])
    candidates = tuple(Candidate(*r) for r in sql.all(
        "SELECT p.id, p.code, p.title, p.state, c.position FROM voting_candidate c JOIN project p ON p.id ="
        " c.project_id WHERE c.list_id = ? ORDER BY c.position", (row[0],)))
    return CandidateList(row[0], row[1], row[2], row[3], row[4], rules, to_datetime(row[9]),
                         to_datetime(row[10]) if row[10] else None, to_datetime(row[11]) if row[11] else None,
                         candidates)


def may_manage(engine: Engine, actor: ActorView, region_path: str) -> bool:
    """Whether ``actor`` reaches a list of this region to read it unpublished (and, with the role, change it)."""
    scope = reach(engine, actor)
    return not actor.is_public and not scope.published_only and not scope.unit_bound and scope.covers(region_path)


def read_list(engine: Engine, sql: Sql, actor: ActorView, list_id: int, path: list[str],
              lock: bool = False) -> CandidateList:
    """The list if ``actor`` may read it; anything else answers exactly like a missing list."""
    row = sql.one(f"SELECT {LIST_COLUMNS} FROM voting_list WHERE id = ?" + (sql.for_update() if lock else ""),
                  (list_id,))
    if row is None or not (row[10] is not None or may_manage(engine, actor, row[2])):
        raise NotFound(f"candidate list {list_id} does not exist", path=path)
    return _list(sql, row)


def managed_list(engine: Engine, sql: Sql, actor: ActorView, list_id: int, roles: frozenset[str], what: str,
                 path: list[str]) -> CandidateList:
    """The list, locked, for a change only ``roles`` may make (``Forbidden`` naming them; out of reach: missing)."""
    found = read_list(engine, sql, actor, list_id, path, lock=True)
    if not may_manage(engine, actor, found.region_path):
        raise NotFound(f"candidate list {list_id} does not exist", path=path)
    if not actor.roles & roles:
        raise Forbidden(f"only {what} may do this", path=path)
    return found


def lists_in(engine: Engine, sql: Sql, actor: ActorView, region_path: str | None, year: int | None,
             limit: int) -> list[CandidateList]:
    """The lists the actor may read (published ones, and the ones it manages), in a region subtree and a year."""
    conditions, params = ["1 = 1"], []
    if region_path is not None:
        conditions.append("region_path LIKE ?")
        params.append(f"{region_path}%")
    if year is not None:
        conditions.append("year = ?")
        params.append(year)
    rows = sql.all(f"SELECT {LIST_COLUMNS} FROM voting_list WHERE {' AND '.join(conditions)} ORDER BY year DESC, id",
                   params)
    shown = [r for r in rows if r[10] is not None or may_manage(engine, actor, r[2])]
    return [_list(sql, r) for r in shown[:limit]]


def session_of(sql: Sql, list_id: int, lock: bool = False) -> Session | None:
    row = sql.one("SELECT id, method, body, held_on, expected, present, tellers, ballots_issued, ballots_returned,"
                  " counted, status, closed_at FROM voting_session WHERE list_id = ?" + (sql.for_update() if lock
                                                                                          else ""), (list_id,))
    if row is None:
        return None
    return Session(row[0], row[1], row[2], to_date(row[3]), row[4], row[5],  # type: ignore[arg-type]
                   tuple(t for t in row[6].split("\n") if t), row[7], row[8], bool(row[9]), row[10],
                   to_datetime(row[11]) if row[11] else None)


def counts_of(sql: Sql, session_id: int) -> dict[int, tuple[Count, str | None, int | None]]:
    """Each candidate's counted votes with its outcome and place once closed."""
    return {r[0]: (Count(r[0], r[1], r[2], r[3]), r[4], r[5]) for r in sql.all(
        "SELECT project_id, votes_yes, votes_no, votes_abstain, outcome, place FROM voting_count"
        " WHERE session_id = ?", (session_id,))}
