"""The electronic secret ballot (票决): each present deputy votes once with their own token; the engine keeps *that*
they voted and *what* was voted, and nothing — no table, column, row order or log record — joins the two."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from pony import orm

from engine.directory.admin import add_actor
from engine.storage.sql import Sql
from tests.voting_support import Voting, gid, pool_project

VOTERS = 20
ACTOR_COLUMNS = ("actor", "_by", "user", "voter", "token")


@pytest.fixture
def voting(gql, district) -> Voting:
    return Voting(gql, district)


@pytest.fixture
def deputies(district) -> list[str]:
    names = [f"deputy{n:02d}" for n in range(VOTERS)]
    for name in names:
        district.tokens[name] = add_actor(district.engine, name, f"代表{name[-2:]}", ["deputy"], "county")
    return names


def is_time(value: object) -> bool:
    if isinstance(value, (dt.datetime, dt.date)):
        return True
    try:
        dt.datetime.fromisoformat(str(value))
        return not str(value).isdigit()
    except ValueError:
        return False


def tables(sql: Sql) -> list[str]:
    if sql.sqlite:
        return [r[0] for r in sql.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [r[0] for r in sql.all("SELECT table_name FROM information_schema.tables WHERE table_schema ="
                                  " current_schema()")]


def snapshot(engine) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every column of every row of every table."""
    with orm.db_session:
        sql = Sql(engine.db)
        found = {}
        for table in tables(sql):
            cursor = sql.execute(f"SELECT * FROM {table}")
            found[table] = ([d[0] for d in cursor.description], sorted(map(tuple, cursor.fetchall()), key=repr))
        return found


def electronic_list(voting: Voting, district, present: list[str], expected: int = 25) -> tuple[str, list[int]]:
    projects = [pool_project(district, n) for n in range(3)]
    list_id = voting.create(projects)
    voting.rules(list_id, places=2, margin=1)
    voting.ok("committee", "openVoteSession", {
        "listId": list_id, "method": "electronic", "body": "平安县人大常委会", "heldOn": "2024-01-20",
        "expected": expected, "present": len(present), "tellers": ["张监票"], "deputies": present})
    return list_id, projects


def ballot(voting: Voting, username: str | None, list_id: str, choices: dict[int, str]) -> list[dict]:
    result = voting.mutate(username, "castBallot", {"listId": list_id, "choices": [
        {"projectId": gid("Project", p), "choice": c} for p, c in choices.items()]},
        "recorded userErrors { code message path }")
    return result["userErrors"]


def test_twenty_secret_ballots_leave_nothing_that_joins_a_voter_to_a_ballot(voting, district, deputies, caplog):
    list_id, projects = electronic_list(voting, district, deputies)
    pattern = ["yes", "no", "abstain"]
    before = snapshot(district.engine)
    caplog.set_level(logging.DEBUG)
    for n, name in enumerate(deputies):  # every voter's ballot differs from the one before
        assert ballot(voting, name, list_id, {p: ("yes" if k == 0 else pattern[(n + k) % 3])
                                              for k, p in enumerate(projects)}) == []
    after = snapshot(district.engine)
    with orm.db_session:
        voter_ids = {r[0] for r in Sql(district.engine.db).all(
            "SELECT id FROM actor WHERE username LIKE 'deputy%' AND username <> 'deputy'")}
    voter_values = {*deputies, *(f"代表{d[-2:]}" for d in deputies), *(district.tokens[d] for d in deputies)}
    # 1. the rows the 20 ballots changed: no new row anywhere, no time written, and only three tables touched
    changed = {t for t in after if after[t] != before[t]}
    # (SQLite: the engine's one write counter ``data_generation``, a single number, moves on with every write)
    assert changed - {"data_generation"} == {"voting_attendance", "voting_count", "voting_session"}
    assert len(after.get("data_generation", ([], [(1, 0)]))[1]) == 1
    assert all(len(after[t][1]) == len(before[t][1]) for t in after), "a ballot added a row somewhere"
    for table in changed:
        columns, rows = after[table]
        for i, column in enumerate(columns):
            now, then = {r[i] for r in rows}, {r[i] for r in before[table][1]}
            assert now == then or not any(is_time(v) for v in now | then), f"{table}.{column}: a time was written"
    # 2. the only table naming a voter holds nothing but session, voter and the flag — no order, no time, no choice
    for table, (columns, rows) in after.items():
        actor_columns = [i for i, c in enumerate(columns) if any(s in c.lower() for s in ACTOR_COLUMNS)]
        naming = [row for row in rows if any(row[i] in voter_ids for i in actor_columns)
                  or any(v in voter_values for v in row)]
        if table == "actor":
            continue
        if naming:
            assert table == "voting_attendance", (table, naming[:2])
            assert columns == ["session_id", "actor_id", "voted"]
    # 3. the counters: per candidate, no voter column, the right totals
    columns, rows = after["voting_count"]
    assert not any(any(s in c.lower() for s in ACTOR_COLUMNS) for c in columns)
    assert sorted(r[columns.index("votes_yes")] for r in rows) == [6, 7, 20]
    # 4. the log of the whole voting names no voter
    for record in caplog.records:
        message = record.getMessage()
        assert not any(v in message for v in voter_values), message
    # and the hidden counters become visible only when the session is closed
    data = voting.gql("committee", "query($id: ID!) { candidateList(id: $id) { candidates { votesFor } "
                      "session { ballotsReturned } } }", {"id": list_id})["data"]["candidateList"]
    assert {c["votesFor"] for c in data["candidates"]} == {None} and data["session"]["ballotsReturned"] == 20
    closed = voting.ok("committee", "closeVoteSession", {"listId": list_id})
    assert sorted(c["votesFor"] for c in closed["candidateList"]["candidates"]) == [6, 7, 20]


def test_a_deputy_votes_once_and_only_when_present(voting, district, deputies):
    list_id, projects = electronic_list(voting, district, deputies[:5])
    choices = {p: "yes" for p in projects}
    assert ballot(voting, "deputy00", list_id, choices) == []
    twice = ballot(voting, "deputy00", list_id, choices)
    assert twice[0]["code"] == "CONFLICT" and "already voted" in twice[0]["message"]
    absent = ballot(voting, "deputy10", list_id, choices)
    assert absent[0]["code"] == "FORBIDDEN" and "not recorded as present" in absent[0]["message"]
    assert ballot(voting, "committee", list_id, choices)[0]["code"] == "FORBIDDEN"
    assert ballot(voting, None, list_id, choices)[0]["code"] == "FORBIDDEN"
    partial = ballot(voting, "deputy01", list_id, {projects[0]: "yes"})
    assert partial[0]["path"] == ["input", "choices"] and "each of the 3 candidates" in partial[0]["message"]
    data = voting.gql("committee", "query($id: ID!) { candidateList(id: $id) { session { ballotsReturned } } }",
                      {"id": list_id})["data"]["candidateList"]
    assert data["session"]["ballotsReturned"] == 1
    voting.ok("committee", "closeVoteSession", {"listId": list_id})
    late = ballot(voting, "deputy02", list_id, choices)
    assert late[0]["code"] == "CONFLICT" and "closed" in late[0]["message"]
