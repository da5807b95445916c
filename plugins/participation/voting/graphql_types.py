"""GraphQL types of the voting plugin: the candidate list, its rules, session, candidates with their votes, and
the objections of the public notice. Vote figures of an electronic session stay hidden until it is closed."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import strawberry

from engine.api.ids import to_global_id
from engine.storage.sql import Sql

from plugins.participation.voting import notice, store
from plugins.participation.voting.rules import MAJORITY_OF, OUTCOME_LABELS, majority_needed


@strawberry.type(description="The vote rules fixed by the standing committee (主席团).")
class VoteRules:
    places: int = strawberry.field(description="应选数: how many candidates are chosen.")
    margin: int = strawberry.field(description="差额数: candidates exceed places by at least this.")
    abstain_allowed: bool
    majority_of: str = strawberry.field(description="present (出席代表过半数) or expected (全体代表过半数).")
    majority_label: str


@strawberry.type(description="The vote session (票决会议).")
class VoteSession:
    method: str = strawberry.field(description="tally (tellers enter counted paper ballots) or electronic (secret).")
    body: str
    held_on: dt.date
    expected: int = strawberry.field(description="应到代表.")
    present: int = strawberry.field(description="实到代表.")
    tellers: list[str] = strawberry.field(description="监票人.")
    ballots_issued: int
    ballots_returned: int = strawberry.field(description="Electronic: how many present deputies have voted.")
    status: str = strawberry.field(description="open or closed.")
    closed_at: Optional[dt.datetime]
    majority_needed: int = strawberry.field(description="The fewest yes votes that pass.")


@strawberry.type(description="A candidate on the list with its votes (once they may be shown) and outcome.")
class VoteCandidate:
    project_id: strawberry.ID
    code: str
    title: str
    position: int
    votes_for: Optional[int]
    votes_against: Optional[int]
    votes_abstain: Optional[int]
    outcome: Optional[str] = strawberry.field(description="chosen, decided (chosen by the committee on a tie), tied "
                                                          "(awaiting the committee's decision), not_chosen, "
                                                          "no_majority; null before the close.")
    outcome_label: Optional[str]
    place: Optional[int] = strawberry.field(description="Rank by yes votes among candidates with the majority.")


@strawberry.type(description="An objection filed during the public notice (公示), with the office's answer.")
class VoteObjection:
    id: strawberry.ID
    project_id: strawberry.ID
    project_code: str
    text: str
    filed_at: dt.datetime
    answer: Optional[str]
    answered_at: Optional[dt.datetime]

    @classmethod
    def of(cls, o: notice.Objection) -> VoteObjection:
        return cls(id=strawberry.ID(to_global_id("VoteObjection", o.id)),
                   project_id=strawberry.ID(to_global_id("Project", o.project_id)), project_code=o.project_code,
                   text=o.text, filed_at=o.filed_at, answer=o.answer, answered_at=o.answered_at)


@strawberry.type(description="A year's candidate list (候选项目名单) for a region, its vote and its public notice.")
class CandidateList:
    id: strawberry.ID
    region_id: strawberry.ID
    year: int
    title: str
    rules: Optional[VoteRules]
    session: Optional[VoteSession]
    candidates: list[VoteCandidate]
    chosen: list[VoteCandidate] = strawberry.field(description="The chosen, by place.")
    tied: list[VoteCandidate] = strawberry.field(description="Tied at the last place, awaiting decideVoteTie.")
    published_at: Optional[dt.datetime]
    objections_until: Optional[dt.datetime]
    objections: list[VoteObjection]

    @classmethod
    def of(cls, sql: Sql, found: store.CandidateList) -> CandidateList:
        session = store.session_of(sql, found.id)
        counts = store.counts_of(sql, session.id) if session else {}
        shown = session is not None and (session.status == store.CLOSED or session.method == store.TALLY)
        candidates = [_candidate(c, counts.get(c.project_id), shown) for c in found.candidates]
        rules = found.rules
        return cls(
            id=strawberry.ID(to_global_id("CandidateList", found.id)),
            region_id=strawberry.ID(to_global_id("Region", found.region_id)), year=found.year, title=found.title,
            rules=None if rules is None else VoteRules(places=rules.places, margin=rules.margin,
                                                       abstain_allowed=rules.abstain_allowed,
                                                       majority_of=rules.majority_of,
                                                       majority_label=f"{MAJORITY_OF[rules.majority_of]}过半数"),
            session=None if session is None or rules is None else _session(session, rules),
            candidates=candidates,
            chosen=sorted((c for c in candidates if c.outcome in ("chosen", "decided")), key=lambda c: c.place or 0),
            tied=[c for c in candidates if c.outcome == "tied"],
            published_at=found.published_at, objections_until=found.objections_until,
            objections=[VoteObjection.of(o) for o in notice.objections_of(sql, [found.id])])


def _session(s: store.Session, rules) -> VoteSession:  # type: ignore[no-untyped-def]
    return VoteSession(method=s.method, body=s.body, held_on=s.held_on, expected=s.expected, present=s.present,
                       tellers=list(s.tellers), ballots_issued=s.ballots_issued, ballots_returned=s.ballots_returned,
                       status=s.status, closed_at=s.closed_at,
                       majority_needed=majority_needed(rules, s.present, s.expected))


def _candidate(c: store.Candidate, counted, shown: bool) -> VoteCandidate:  # type: ignore[no-untyped-def]
    count, outcome, place = counted if counted else (None, None, None)
    visible = shown and count is not None
    return VoteCandidate(project_id=strawberry.ID(to_global_id("Project", c.project_id)), code=c.code, title=c.title,
                         position=c.position, votes_for=count.yes if visible else None,
                         votes_against=count.no if visible else None,
                         votes_abstain=count.abstain if visible else None, outcome=outcome,
                         outcome_label=OUTCOME_LABELS.get(outcome) if outcome else None, place=place)
