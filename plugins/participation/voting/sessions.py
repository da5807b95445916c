"""The vote session (票决会议): opening it, the tellers' tally (计票), and the electronic secret ballot.

Electronic ballots are secret by construction (see the plugin's README): the deputies present are recorded when
the session opens, in the order of their ids; a ballot then flips the voter's ``voted`` flag and adds one to
per-candidate counters, in one transaction, and nothing else is written — no ballot row, no time, no voter on a
counter. Nothing here logs a ballot or a voter.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, marks
from engine.texts import text_problem

from plugins.participation.voting import store
from plugins.participation.voting.lists import COMMITTEE
from plugins.participation.voting.rules import Count

if TYPE_CHECKING:
    from engine.core import Engine

VOTERS = frozenset({"deputy"})  # 人大代表
CHOICES = ("yes", "no", "abstain")
MAX_BODY, MAX_TELLER, MAX_TELLERS = 100, 50, 20
MAX_DEPUTIES = 10_000  # far above any congress (a province's has under 1,000)
LIST_ID = ["input", "listId"]


@dataclass(frozen=True)
class SessionRequest:
    method: str
    body: str
    held_on: dt.date
    expected: int
    present: int
    tellers: Sequence[str]
    ballots_issued: int | None = None  # electronic: one per deputy present
    deputies: Sequence[str] = ()  # electronic: usernames of the deputies present (role ``deputy``)


def _session_problems(r: SessionRequest) -> list[FieldProblem]:
    p: list[FieldProblem] = []
    body_problem = text_problem(r.body.strip(), MAX_BODY) or (None if r.body.strip() else "must not be empty")
    if body_problem:
        p.append(FieldProblem(["input", "body"], f"the voting body {body_problem}"))
    if r.present < 1:
        p.append(FieldProblem(["input", "present"], f"at least one deputy must be present, got {r.present}"))
    if r.expected > MAX_DEPUTIES:
        p.append(FieldProblem(["input", "expected"], f"at most {MAX_DEPUTIES} deputies, got {r.expected}"))
    if r.expected < r.present:
        p.append(FieldProblem(["input", "expected"], f"deputies expected (应到, {r.expected}) cannot be fewer than "
                                                     f"deputies present (实到, {r.present})"))
    if not 1 <= len(r.tellers) <= MAX_TELLERS or any(not t.strip() or text_problem(t, MAX_TELLER)
                                                     for t in r.tellers):
        p.append(FieldProblem(["input", "tellers"], f"name 1 to {MAX_TELLERS} tellers (监票人), each 1 to "
                                                    f"{MAX_TELLER} characters on one line"))
    if r.method == store.TALLY:
        if r.ballots_issued is None or not 0 <= r.ballots_issued <= r.present:
            p.append(FieldProblem(["input", "ballotsIssued"], f"ballots issued ({r.ballots_issued}) must be between 0"
                                                              f" and the deputies present ({r.present})"))
        if r.deputies:
            p.append(FieldProblem(["input", "deputies"], "a tally session does not list the deputies"))
    elif r.method == store.ELECTRONIC:
        if len(set(r.deputies)) != len(r.deputies) or len(r.deputies) != r.present:
            p.append(FieldProblem(["input", "deputies"], f"list each deputy present once: {len(set(r.deputies))} "
                                                          f"deputies listed, {r.present} present"))
    else:
        p.append(FieldProblem(["input", "method"], f"tally or electronic, got {r.method}"))
    return p


def _deputy_ids(sql: Sql, region_path: str, usernames: Sequence[str]) -> list[int]:
    """The actor ids of the deputies present, named by username; each must be an active deputy (人大代表) whose
    area covers the list's region."""
    rows = {r[1]: r for r in sql.all(
        f"SELECT a.id, a.username, a.roles, r.path FROM actor a JOIN region r ON r.id = a.region_id"
        f" WHERE a.active = ? AND a.username IN ({marks(len(usernames))})", [True, *usernames])}
    problems = [FieldProblem(["input", "deputies", str(n)], f"{name} is not a deputy (人大代表) of this region")
                for n, name in enumerate(usernames)
                if name not in rows or "deputy" not in rows[name][2].split(",")
                or not region_path.startswith(rows[name][3])]
    if problems:
        raise InvalidInput(problems)
    return sorted(rows[name][0] for name in usernames)


def open_session(engine: Engine, actor: ActorView, list_id: int, request: SessionRequest) -> store.Session:
    """The committee opens the list's one vote session, once its rules are fixed."""
    problems = _session_problems(request)
    if problems:
        raise InvalidInput(problems)
    issued = request.present if request.method == store.ELECTRONIC else request.ballots_issued
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.managed_list(engine, sql, actor, list_id, COMMITTEE, "人大常委会/主席团 (committee)", LIST_ID)
        if found.rules is None:
            raise Conflict("the vote rules (应选数, 差额数) are not fixed yet: setVoteRules first", path=LIST_ID)
        if store.session_of(sql, list_id) is not None:
            raise Conflict("this list's vote session has already been opened", path=LIST_ID)
        deputy_ids = _deputy_ids(sql, found.region_path, request.deputies) if request.method == store.ELECTRONIC else []
        session_id = sql.insert(
            "INSERT INTO voting_session (list_id, method, body, held_on, expected, present, tellers, ballots_issued,"
            " ballots_returned, counted, status, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (list_id, request.method, request.body.strip(), request.held_on, request.expected, request.present,
             "\n".join(t.strip() for t in request.tellers), issued, 0, request.method == store.ELECTRONIC,
             store.OPEN, actor.id, engine.clock.now()))
        sql.execute_many("INSERT INTO voting_attendance (session_id, actor_id, voted) VALUES (?, ?, ?)",
                         [(session_id, d, False) for d in deputy_ids])
        sql.execute_many("INSERT INTO voting_count (session_id, project_id, votes_yes, votes_no, votes_abstain)"
                         " VALUES (?, ?, ?, ?, ?)",
                         [(session_id, c.project_id, 0, 0, 0) for c in sorted(found.candidates,
                                                                            key=lambda c: c.project_id)])
        return store.session_of(sql, list_id)  # type: ignore[return-value]


def _open_session(sql: Sql, list_id: int, method: str) -> store.Session:
    session = store.session_of(sql, list_id, lock=True)
    if session is None:
        raise Conflict("the vote session has not been opened", path=LIST_ID)
    if session.status != store.OPEN:
        raise Conflict(f"the vote session was closed at {session.closed_at:%Y-%m-%d %H:%M}", path=LIST_ID)
    if session.method != method:
        raise Conflict(f"this session votes by {session.method}, not by {method}", path=LIST_ID)
    return session


def _tally_problems(found: store.CandidateList, session: store.Session, returned: int,
                    counts: Sequence[Count]) -> list[FieldProblem]:
    p: list[FieldProblem] = []
    if not 0 <= returned <= session.ballots_issued:
        p.append(FieldProblem(["input", "ballotsReturned"], f"{returned} ballots returned but {session.ballots_issued}"
                                                            " issued"))
    listed = [c.project_id for c in counts]
    if sorted(listed) != sorted(c.project_id for c in found.candidates):
        p.append(FieldProblem(["input", "counts"], f"enter each of the {len(found.candidates)} candidates once "
                                                   f"({len(listed)} counts given)"))
    for n, c in enumerate(counts):
        path = ["input", "counts", str(n)]
        if min(c.yes, c.no, c.abstain) < 0:
            p.append(FieldProblem(path, "votes cannot be negative"))
        total = c.yes + c.no + c.abstain
        if total > session.present:
            p.append(FieldProblem(path, f"{total} votes ({c.yes} yes, {c.no} no, {c.abstain} abstain) but only "
                                        f"{session.present} deputies present"))
        elif total > returned:
            p.append(FieldProblem(path, f"{total} votes ({c.yes} yes, {c.no} no, {c.abstain} abstain) but only "
                                        f"{returned} ballots returned"))
        if c.abstain and found.rules and not found.rules.abstain_allowed:
            p.append(FieldProblem(path, "the rules of this vote allow no abstentions"))
    return p


def enter_tally(engine: Engine, actor: ActorView, list_id: int, returned: int,
                counts: Sequence[Count]) -> store.Session:
    """The tellers' counted votes per candidate (计票), entered by the committee; entering again replaces them
    until the session is closed."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.managed_list(engine, sql, actor, list_id, COMMITTEE, "人大常委会/主席团 (committee)", LIST_ID)
        session = _open_session(sql, list_id, store.TALLY)
        problems = _tally_problems(found, session, returned, counts)
        if problems:
            raise InvalidInput(problems)
        sql.execute_many("UPDATE voting_count SET votes_yes = ?, votes_no = ?, votes_abstain = ?"
                         " WHERE session_id = ? AND project_id = ?",
                         [(c.yes, c.no, c.abstain, session.id, c.project_id) for c in counts])
        sql.execute("UPDATE voting_session SET ballots_returned = ?, counted = ? WHERE id = ?",
                    (returned, True, session.id))
        return store.session_of(sql, list_id)  # type: ignore[return-value]


def _ballot_problems(found: store.CandidateList, choices: Sequence[tuple[int, str]]) -> list[FieldProblem]:
    listed = sorted(p for p, _ in choices)
    if listed != sorted(c.project_id for c in found.candidates):
        return [FieldProblem(["input", "choices"], f"choose once on each of the {len(found.candidates)} candidates "
                                                   f"({len(listed)} choices given)")]
    allowed = CHOICES if found.rules is None or found.rules.abstain_allowed else CHOICES[:2]
    return [FieldProblem(["input", "choices", str(n)], f"choose one of {', '.join(allowed)}")
            for n, (_, choice) in enumerate(choices) if choice not in allowed]


def cast_ballot(engine: Engine, actor: ActorView, list_id: int, choices: Sequence[tuple[int, str]]) -> None:
    """A present deputy's secret ballot: marks *that* they voted and adds to the counters, in one transaction;
    the ballot itself is stored nowhere. A deputy not present, or who has voted, is refused."""
    if not actor.roles & VOTERS:
        raise Forbidden("only deputies (人大代表) vote", path=LIST_ID)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.read_list(engine, sql, actor, list_id, LIST_ID)
        if not store.may_manage(engine, actor, found.region_path):
            raise NotFound(f"candidate list {list_id} does not exist", path=LIST_ID)
        session = _open_session(sql, list_id, store.ELECTRONIC)
        problems = _ballot_problems(found, choices)
        if problems:
            raise InvalidInput(problems)
        marked = sql.execute("UPDATE voting_attendance SET voted = ? WHERE session_id = ? AND actor_id = ?"
                             " AND voted = ?",
                             (True, session.id, actor.id, False)).rowcount
        if marked != 1:
            present = sql.scalar("SELECT voted FROM voting_attendance WHERE session_id = ? AND actor_id = ?",
                                 (session.id, actor.id))
            if present is None:
                raise Forbidden("you are not recorded as present at this vote session (实到代表)", path=LIST_ID)
            raise Conflict("you have already voted in this session: a deputy votes once", path=LIST_ID)
        sql.execute("UPDATE voting_session SET ballots_returned = ballots_returned + 1 WHERE id = ?", (session.id,))
        for choice in CHOICES:
            chosen = sorted(p for p, c in choices if c == choice)
            if chosen:
                sql.execute(f"UPDATE voting_count SET votes_{choice} = votes_{choice} + 1 WHERE session_id = ?"
                            f" AND project_id IN ({marks(len(chosen))})", [session.id, *chosen])
