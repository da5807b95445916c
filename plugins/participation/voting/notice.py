"""The public notice (公示) of the chosen list: publishing opens an objection window (7 days by default); anyone
may object to a chosen item within it (the public without a token, limited per client address); an office answers
each objection, and the answers are public. Who objected is not stored.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.api.throttle import LeakyBucket
from engine.directory.actors import ActorView
from engine.errors import Conflict, DomainError, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, to_datetime
from engine.texts import normalize_newlines, text_problem

from plugins.participation.voting import store
from plugins.participation.voting.closing import DECIDED
from plugins.participation.voting.lists import COMMITTEE
from plugins.participation.voting.rules import CHOSEN, TIED

if TYPE_CHECKING:
    from engine.core import Engine

PUBLISHERS = COMMITTEE | {"office"}
ANSWERERS = frozenset({"office"})
DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 30
MAX_TEXT = 2000
ANONYMOUS_OBJECTIONS = (5, 5 / 3600)  # per client address: a burst of 5, then 5 an hour
LIST_ID = ["input", "listId"]
EPOCH = dt.datetime(1970, 1, 1)
log = logging.getLogger("minsheng.voting")


class Throttled(DomainError):
    code = "THROTTLED"


@dataclass(frozen=True)
class Objection:
    id: int
    list_id: int
    project_id: int
    project_code: str
    text: str
    filed_at: dt.datetime
    answer: str | None
    answered_at: dt.datetime | None


_BUCKETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _take_anonymous(engine: Engine, client: str | None) -> None:
    with _LOCK:
        bucket = _BUCKETS.get(engine)
        if bucket is None:
            bucket = _BUCKETS[engine] = LeakyBucket(*ANONYMOUS_OBJECTIONS, clock=lambda: (
                engine.clock.now() - EPOCH).total_seconds())
    refusal = bucket.take(("objection", client or "unknown"))
    if refusal is not None:
        raise Throttled(f"too many objections from your address (at most {ANONYMOUS_OBJECTIONS[0]} an hour): try "
                        f"again in {refusal.retry_after} seconds")


@dataclass(frozen=True)
class ResultPublished:
    """A chosen project of a published result, as the subscription event ``vote_result_published`` every reader
    receives (``projectEvents``)."""

    row: tuple
    at: dt.datetime

    def to_event(self, engine: Engine) -> dict[str, object]:
        (project_id, region_id, region_path, lead_unit_id, created_by, code, title, state, version, seq,
         workflow_id) = self.row
        label = engine.workflows.get(workflow_id).definition.states[state].label
        return {"project_id": project_id, "region_id": region_id, "region_path": region_path, "public": True,
                "lead_unit_id": lead_unit_id, "created_by": created_by, "code": code, "title": title[:500],
                "event": "vote_result_published", "from_state": state, "to_state": state, "state_label": label,
                "version": version, "seq": seq, "actor_name": "", "at": self.at.isoformat()}


def _announce(engine: Engine, published: list[ResultPublished]) -> None:
    for item in published:
        for listener in list(engine.listeners):
            try:
                listener(item)
            except Exception:
                log.exception("listener %r failed on a published vote result", listener)


def publish(engine: Engine, actor: ActorView, list_id: int, days: int = DEFAULT_WINDOW_DAYS) -> store.CandidateList:
    """Publish the chosen list (公示) with an objection window of ``days``; the list and its result become public,
    and subscribers of ``projectEvents`` hear ``vote_result_published`` for each chosen project."""
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput([FieldProblem(["input", "objectionDays"], f"the objection window is 1 to "
                                                                     f"{MAX_WINDOW_DAYS} days, got {days}")])
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.managed_list(engine, sql, actor, list_id, PUBLISHERS, "人大常委会 or 政府办 (committee, office)",
                                   LIST_ID)
        session = store.session_of(sql, list_id)
        if session is None or session.status != store.CLOSED:
            raise Conflict("the vote session is not closed: there is no result to publish", path=LIST_ID)
        if found.published:
            raise Conflict(f"the result was already published at {found.published_at:%Y-%m-%d %H:%M}", path=LIST_ID)
        tied = [c.code for c in found.candidates
                if store.counts_of(sql, session.id).get(c.project_id, (None, None, None))[1] == TIED]
        if tied:
            raise Conflict(f"the tie at the last place ({'、'.join(tied)}) is not decided yet: decideVoteTie first",
                           path=LIST_ID)
        now = engine.clock.now()
        sql.execute("UPDATE voting_list SET published_at = ?, objections_until = ? WHERE id = ?",
                    (now, now + dt.timedelta(days=days), list_id))
        chosen = [ResultPublished(tuple(r), now) for r in sql.all(
            "SELECT p.id, p.region_id, p.region_path, p.lead_unit_id, p.created_by, p.code, p.title, p.state,"
            " p.version, p.audit_seq, p.workflow_id FROM voting_count c JOIN project p ON p.id = c.project_id"
            " WHERE c.session_id = ? AND c.outcome IN (?, ?) ORDER BY c.place, p.id", (session.id, CHOSEN, DECIDED))]
        result = store.read_list(engine, sql, actor, list_id, LIST_ID)
    _announce(engine, chosen)
    return result


def _text(value: str, path: list[str], what: str) -> str:
    text = normalize_newlines(value).strip()
    problem = text_problem(text, MAX_TEXT, multiline=True) or (None if text else "must not be empty")
    if problem:
        raise InvalidInput([FieldProblem(path, f"the {what} {problem}")])
    return text


def file_objection(engine: Engine, actor: ActorView, client: str | None, list_id: int, project_id: int,
                   text: str) -> Objection:
    """Anyone objects to a chosen item while the window is open; the objector is not recorded."""
    body = _text(text, ["input", "text"], "objection")
    if actor.is_public:
        _take_anonymous(engine, client)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.read_list(engine, sql, actor, list_id, LIST_ID)
        now = engine.clock.now()
        if found.objections_until is None:
            raise Conflict("the chosen list has not been published (公示) yet", path=LIST_ID)
        if now > found.objections_until:
            raise Conflict(f"the objection window closed at {found.objections_until:%Y-%m-%d %H:%M}", path=LIST_ID)
        session = store.session_of(sql, list_id)
        outcome = store.counts_of(sql, session.id).get(project_id, (None, None, None))[1] if session else None
        if outcome not in (CHOSEN, DECIDED):
            raise NotFound(f"project {project_id} is not on the chosen list", path=["input", "projectId"])
        objection_id = sql.insert("INSERT INTO voting_objection (list_id, project_id, text, filed_at)"
                                  " VALUES (?, ?, ?, ?)", (list_id, project_id, body, now))
        return objections_of(sql, [list_id], objection_id)[0]


def answer_objection(engine: Engine, actor: ActorView, objection_id: int, text: str) -> Objection:
    """An office of the list's region answers an objection, once; the answer is public."""
    if not actor.roles & ANSWERERS:
        raise Forbidden("only 政府办/督查室 (office) answers objections", path=["input", "objectionId"])
    answer = _text(text, ["input", "answer"], "answer")
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = sql.one("SELECT o.list_id, o.answer, l.region_path FROM voting_objection o JOIN voting_list l ON"
                      " l.id = o.list_id WHERE o.id = ?",
                      (objection_id,))
        if row is None or not store.may_manage(engine, actor, row[2]):
            raise NotFound(f"objection {objection_id} does not exist", path=["input", "objectionId"])
        updated = sql.execute("UPDATE voting_objection SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
                              (answer, engine.clock.now(), objection_id)).rowcount
        if updated != 1:
            raise Conflict("this objection has already been answered", path=["input", "objectionId"])
        return objections_of(sql, [row[0]], objection_id)[0]


def objections_of(sql: Sql, list_ids: list[int], objection_id: int | None = None) -> list[Objection]:
    """The objections to these lists (or one of them), oldest first."""
    if not list_ids:
        return []
    condition = "o.id = ?" if objection_id is not None else f"o.list_id IN ({', '.join('?' * len(list_ids))})"
    params = [objection_id] if objection_id is not None else list_ids
    rows = sql.all("SELECT o.id, o.list_id, o.project_id, p.code, o.text, o.filed_at, o.answer, o.answered_at"
                   f" FROM voting_objection o JOIN project p ON p.id = o.project_id WHERE {condition}"
                   " ORDER BY o.filed_at, o.id", params)
    return [Objection(r[0], r[1], r[2], r[3], r[4], to_datetime(r[5]), r[6],
                      to_datetime(r[7]) if r[7] else None) for r in rows]
