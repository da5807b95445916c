"""Tables of the voting plugin (票决): candidate lists, their vote sessions, the counts per candidate, the
deputies present, and objections during the public notice (公示).

Ballot secrecy lives in the shape of these tables (see the plugin's README): ``voting_attendance`` says only *that*
a present deputy voted (a flag, no time, no sequence), ``voting_count`` holds only per-candidate counters, and no
table has a row per ballot.
"""
from __future__ import annotations

from engine.storage.migrations import Migration

COMPONENT = "participation_vote"

MIGRATIONS = [
    Migration(COMPONENT, 1, "candidate lists, vote sessions, counts per candidate, attendance, objections", """
CREATE TABLE voting_list (id {pk}, region_id INTEGER NOT NULL REFERENCES region (id), region_path TEXT NOT NULL,
    year INTEGER NOT NULL, title TEXT NOT NULL, places INTEGER, margin INTEGER, abstain_allowed {bool},
    majority_of TEXT, rules_by INTEGER, created_by INTEGER, created_at {ts} NOT NULL,
    published_at {ts}, objections_until {ts});
CREATE INDEX idx_voting_list_region ON voting_list (region_path, year);
CREATE TABLE voting_candidate (list_id INTEGER NOT NULL REFERENCES voting_list (id),
    project_id INTEGER NOT NULL REFERENCES project (id), position INTEGER NOT NULL,
    PRIMARY KEY (list_id, project_id));
CREATE INDEX idx_voting_candidate_project ON voting_candidate (project_id);
CREATE TABLE voting_session (id {pk}, list_id INTEGER NOT NULL UNIQUE REFERENCES voting_list (id),
    method TEXT NOT NULL, body TEXT NOT NULL, held_on DATE NOT NULL, expected INTEGER NOT NULL,
    present INTEGER NOT NULL, tellers TEXT NOT NULL, ballots_issued INTEGER NOT NULL,
    ballots_returned INTEGER NOT NULL, counted {bool} NOT NULL, status TEXT NOT NULL, opened_by INTEGER,
    opened_at {ts} NOT NULL, closed_at {ts});
CREATE TABLE voting_attendance (session_id INTEGER NOT NULL REFERENCES voting_session (id),
    actor_id INTEGER NOT NULL REFERENCES actor (id), voted {bool} NOT NULL, PRIMARY KEY (session_id, actor_id));
CREATE TABLE voting_count (session_id INTEGER NOT NULL REFERENCES voting_session (id),
    project_id INTEGER NOT NULL REFERENCES project (id), votes_yes INTEGER NOT NULL, votes_no INTEGER NOT NULL,
    votes_abstain INTEGER NOT NULL, outcome TEXT, place INTEGER, PRIMARY KEY (session_id, project_id));
CREATE TABLE voting_objection (id {pk}, list_id INTEGER NOT NULL REFERENCES voting_list (id),
    project_id INTEGER NOT NULL REFERENCES project (id), text TEXT NOT NULL, filed_at {ts} NOT NULL,
    answer TEXT, answered_at {ts});
CREATE INDEX idx_voting_objection_list ON voting_objection (list_id)
"""),
]
