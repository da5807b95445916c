"""The participation plugin's tables: calls for suggestions 征集公告, suggestions 群众建议, proposals 合并建议 (several
suggestions screened into one), and the journal 工作记录 that audits every step without personal data.

Personal data (建议人, 联系电话) is stored only encrypted (``contact_name_enc``, ``contact_phone_enc``, see
``personal``); a receipt code 回执码 is stored only as its sha256 (``receipt_hash``).
"""
from __future__ import annotations

from engine.storage.migrations import Migration

MIGRATIONS = [
    Migration("participation", 1, "calls for suggestions, suggestions, proposals, the screening journal", """
CREATE TABLE participation_call (id {pk}, region_id INTEGER NOT NULL REFERENCES region (id),
    region_path TEXT NOT NULL, year INTEGER NOT NULL, title TEXT NOT NULL, opens_on DATE NOT NULL,
    closes_on DATE NOT NULL, categories TEXT NOT NULL, created_by_id INTEGER, created_by_name TEXT NOT NULL,
    created_at {ts} NOT NULL);
CREATE INDEX idx_participation_call_region ON participation_call (region_path);
CREATE TABLE participation_proposal (id {pk}, call_id INTEGER NOT NULL REFERENCES participation_call (id),
    title TEXT NOT NULL, created_by_id INTEGER, created_by_name TEXT NOT NULL, created_at {ts} NOT NULL);
CREATE TABLE participation_suggestion (id {pk}, call_id INTEGER NOT NULL REFERENCES participation_call (id),
    region_path TEXT NOT NULL, receipt_hash TEXT NOT NULL, title TEXT NOT NULL, category TEXT NOT NULL,
    content TEXT NOT NULL, reason TEXT NOT NULL, location TEXT NOT NULL, estimate_fen {bigint},
    due_by TEXT NOT NULL, channel TEXT NOT NULL, hotline_ticket TEXT, submitter_kind TEXT NOT NULL,
    contact_name_enc TEXT, contact_phone_enc TEXT, status TEXT NOT NULL, decline_reason TEXT,
    proposal_id INTEGER REFERENCES participation_proposal (id), project_id INTEGER REFERENCES project (id),
    entered_by_id INTEGER, submitted_at {ts} NOT NULL, decided_at {ts}, erased_at {ts},
    version INTEGER NOT NULL);
CREATE UNIQUE INDEX uq_participation_suggestion_receipt ON participation_suggestion (receipt_hash);
CREATE INDEX idx_participation_suggestion_call ON participation_suggestion (call_id);
CREATE INDEX idx_participation_suggestion_region ON participation_suggestion (region_path);
CREATE INDEX idx_participation_suggestion_project ON participation_suggestion (project_id);
CREATE INDEX idx_participation_suggestion_proposal ON participation_suggestion (proposal_id);
CREATE TABLE participation_journal (id {pk}, call_id INTEGER NOT NULL, suggestion_id INTEGER,
    action TEXT NOT NULL, actor_id INTEGER, actor_name TEXT NOT NULL, at {ts} NOT NULL, detail TEXT NOT NULL);
CREATE INDEX idx_participation_journal_suggestion ON participation_journal (suggestion_id);
CREATE TABLE participation_dev_key (id {pk}, key TEXT NOT NULL)
"""),
]
