"""Closing the vote session: the result, and each chosen project fired through the workflow's ``approve``.

Everything happens in one transaction (``engine.commits.run``): the outcomes, the session's closing and every
``approve`` (``engine.transition.fire_in_transaction``, the same checks as any transition). If one of them fails —
a guard such as the funding plan, a project changed meanwhile — nothing is kept, nobody is approved, and the error
names the project and why. Subscribers hear of the approvals only after the commit.

A tie across the last place leaves the tied candidates undecided (and unapproved) until the committee decides
(``decide_tie``); a result is never broken silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import Conflict, DomainError, FieldProblem, InvalidInput
from engine.storage.sql import Sql
from engine.transition import TransitionRecord, TransitionRequest, announce_committed, fire_in_transaction

from plugins.participation.voting import store
from plugins.participation.voting.lists import APPROVE, COMMITTEE
from plugins.participation.voting.rules import (CHOSEN, NOT_CHOSEN, TIED, Count, Placed, majority_needed, place,
                                                places_left)

if TYPE_CHECKING:
    from engine.core import Engine

LIST_ID = ["input", "listId"]
DECIDED = "decided"  # chosen by the committee's decision on a tie


class ApprovalFailed(DomainError):
    """One chosen project could not be approved; nothing of the close was kept."""

    def __init__(self, project: store.Candidate, cause: DomainError) -> None:
        super().__init__(f"project {project.code} ({project.title}) could not be approved, so nobody was: "
                         f"{cause.message}", path=LIST_ID)
        self.code = cause.code
        self.reasons = [f"project {project.code} ({project.title}): {p.message}" for p in cause.problems()]

    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(LIST_ID, f"{reason} — nobody was approved") for reason in self.reasons]


@dataclass(frozen=True)
class Closed:
    list: store.CandidateList
    approved: tuple[int, ...]


def _approve(engine: Engine, sql: Sql, actor: ActorView, found: store.CandidateList, session: store.Session,
             counts: dict[int, Count], chosen: Sequence[int]) -> list[TransitionRecord]:
    by_id = {c.project_id: c for c in found.candidates}
    records = []
    for project_id in chosen:
        c = counts[project_id]
        fields = {"decision_body": session.body, "vote_date": session.held_on.isoformat(), "present": session.present,
                  "votes_for": c.yes, "votes_against": c.no, "votes_abstain": c.abstain}
        request = TransitionRequest(project_id, APPROVE, fields, comment=f"{session.body}票决：{found.title}")
        try:
            records.append(fire_in_transaction(engine, sql, actor, request))
        except DomainError as exc:
            raise ApprovalFailed(by_id[project_id], exc) from exc
    return records


def _close(engine: Engine, sql: Sql, actor: ActorView, list_id: int) -> tuple[list[TransitionRecord], int]:
    found = store.managed_list(engine, sql, actor, list_id, COMMITTEE, "人大常委会/主席团 (committee)", LIST_ID)
    session = store.session_of(sql, list_id, lock=True)
    if session is None:
        raise Conflict("the vote session has not been opened", path=LIST_ID)
    if session.status == store.CLOSED:
        raise Conflict(f"the vote session was already closed at {session.closed_at:%Y-%m-%d %H:%M}", path=LIST_ID)
    if not session.counted:
        raise Conflict("the tellers' tally has not been entered: enterTally first", path=LIST_ID)
    counts = {p: c for p, (c, _, _) in store.counts_of(sql, session.id).items()}
    assert found.rules is not None  # a session opens only once the rules are fixed
    placed = place([counts[c.project_id] for c in found.candidates], found.rules,
                   majority_needed(found.rules, session.present, session.expected))
    sql.execute_many("UPDATE voting_count SET outcome = ?, place = ? WHERE session_id = ? AND project_id = ?",
                     [(p.outcome, p.place, session.id, p.project_id) for p in placed])
    sql.execute("UPDATE voting_session SET status = ?, closed_at = ? WHERE id = ?",
                (store.CLOSED, engine.clock.now(), session.id))
    chosen = sorted((p for p in placed if p.outcome == CHOSEN), key=lambda p: (p.place, p.project_id))
    return _approve(engine, sql, actor, found, session, counts, [p.project_id for p in chosen]), session.id


def close_session(engine: Engine, actor: ActorView, list_id: int) -> Closed:
    """Close the session: compute the result and approve the chosen, all or nothing; closing twice is refused."""
    records, _ = engine.commits.run(lambda sql: _close(engine, sql, actor, list_id),
                                    lambda result: announce_committed(engine, result[0]))
    return Closed(_reread(engine, actor, list_id), tuple(r.project.id for r in records))


def _reread(engine: Engine, actor: ActorView, list_id: int) -> store.CandidateList:
    with orm.db_session:
        return store.read_list(engine, Sql(engine.db), actor, list_id, LIST_ID)


def _decide(engine: Engine, sql: Sql, actor: ActorView, list_id: int,
            project_ids: Sequence[int]) -> list[TransitionRecord]:
    found = store.managed_list(engine, sql, actor, list_id, COMMITTEE, "人大常委会/主席团 (committee)", LIST_ID)
    session = store.session_of(sql, list_id, lock=True)
    if session is None or session.status != store.CLOSED:
        raise Conflict("a tie is decided after the session is closed", path=LIST_ID)
    counted = store.counts_of(sql, session.id)
    placed = [Placed(p, outcome or "", place_) for p, (_, outcome, place_) in counted.items()]
    assert found.rules is not None
    tied, left = sorted(p.project_id for p in placed if p.outcome == TIED), places_left(placed, found.rules)
    path = ["input", "projectIds"]
    if not tied:
        raise Conflict("there is no tie to decide in this result", path=LIST_ID)
    if len(set(project_ids)) != left or not set(project_ids) <= set(tied):
        codes = "、".join(c.code for c in found.candidates if c.project_id in tied)
        raise InvalidInput([FieldProblem(path, f"choose {left} of the {len(tied)} tied candidates ({codes}); "
                                               f"{len(set(project_ids))} given")])
    sql.execute_many("UPDATE voting_count SET outcome = ? WHERE session_id = ? AND project_id = ?",
                     [(DECIDED if p in project_ids else NOT_CHOSEN, session.id, p) for p in tied])
    counts = {p: c for p, (c, _, _) in counted.items()}
    return _approve(engine, sql, actor, found, session, counts, sorted(set(project_ids)))


def decide_tie(engine: Engine, actor: ActorView, list_id: int, project_ids: Sequence[int]) -> Closed:
    """The committee's decision on a tie at the last place: the named tied candidates take the places left and are
    approved, the other tied ones are not chosen; all or nothing."""
    records = engine.commits.run(lambda sql: _decide(engine, sql, actor, list_id, project_ids),
                                 lambda result: announce_committed(engine, result))
    return Closed(_reread(engine, actor, list_id), tuple(r.project.id for r in records))
