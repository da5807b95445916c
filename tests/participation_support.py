"""Helpers for the participation plugin's tests: a key for personal data, GraphQL documents, a call."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from cryptography.fernet import Fernet

from engine.api.ids import to_global_id

Gql = Callable[..., dict]
ERRORS = "userErrors { code message path }"
OPEN_CALL = f"""mutation($input: OpenSuggestionCallInput!) {{ openSuggestionCall(input: $input) {{
    call {{ id regionName year title opensOn closesOn categories isOpen }} {ERRORS} }} }}"""
SUBMIT = f"""mutation($input: SubmitSuggestionInput!) {{ submitSuggestion(input: $input) {{
    receipt suggestionId status submittedAt {ERRORS} }} }}"""
FATE = """query($receipt: String!) { suggestionFate(receipt: $receipt) { title category callTitle status statusLabel
    submittedAt decidedAt declineReason mergedWith projectId projectCode projectTitle } }"""
LIST = """query($callId: ID, $status: SuggestionStatus, $first: Int, $after: String) {
    suggestions(callId: $callId, status: $status, first: $first, after: $after) { hasNextPage endCursor
    items { id title category channel hotlineTicket submitterKind status declineReason proposalId projectId
            estimate contactName contactPhone personalDataErasedAt content } } }"""
MERGE = f"""mutation($input: MergeSuggestionsInput!) {{ mergeSuggestions(input: $input) {{
    suggestionIds proposalId projectId {ERRORS} }} }}"""
DECLINE = f"""mutation($input: DeclineSuggestionsInput!) {{ declineSuggestions(input: $input) {{
    suggestionIds proposalId projectId {ERRORS} }} }}"""
ACCEPT = f"""mutation($input: AcceptSuggestionsInput!) {{ acceptSuggestions(input: $input) {{
    suggestionIds proposalId projectId {ERRORS} }} }}"""
CATEGORIES = ["教育", "交通", "养老", "医疗"]


@pytest.fixture(autouse=True)
def pii_key(monkeypatch) -> str:
    key = Fernet.generate_key().decode("ascii")
    monkeypatch.setenv("MINSHENG_PII_KEY", key)
    return key


def region(district: Any, code: str) -> str:
    return to_global_id("Region", district.regions[code])


def open_call(gql: Gql, district: Any, username: str = "county_office", where: str = "county",
              opens: str = "2024-03-01", closes: str = "2024-04-15") -> str:
    body = gql(username, OPEN_CALL, {"input": {"regionId": region(district, where), "year": 2025, "opensOn": opens,
                                              "closesOn": closes, "categories": CATEGORIES}})
    result = body["data"]["openSuggestionCall"]
    assert result["userErrors"] == [], result
    return result["call"]["id"]


def form(call_id: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"callId": call_id, "title": f"建议{n}：修缮村道", "category": CATEGORIES[n % 4],
            "content": f"第{n}条：村道坑洼，雨天积水", "reason": "拓宽硬化，设置排水沟", "location": "东村",
            "estimate": "120000", "dueBy": "2025年底", "contactName": f"王建国{n}",
            "contactPhone": f"1380000{n:04d}", **extra}


def submit(gql: Gql, username: str | None, call_id: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return gql(username, SUBMIT, {"input": form(call_id, n, **extra)})["data"]["submitSuggestion"]
