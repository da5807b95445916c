"""Participation 征集 → 储备库 over GraphQL (POST /graphql): calls, submissions by anyone while a call is open,
receipt codes, the offices' screening into the project pool, and the access rule on every read and write."""
from __future__ import annotations

import re

import pytest

from engine.api.ids import from_global_id, to_global_id
from tests.participation_support import (ACCEPT, CATEGORIES, DECLINE, FATE, LIST, MERGE, OPEN_CALL, Gql,  # noqa: F401
                                         form, open_call, pii_key, region, submit)


def test_an_office_opens_a_call_that_everyone_reads(gql: Gql, district) -> None:
    call_id = open_call(gql, district)
    calls = gql(None, "{ openSuggestionCalls { id regionName year title opensOn closesOn categories isOpen } }")
    assert calls["data"]["openSuggestionCalls"] == [{
        "id": call_id, "regionName": "平安县", "year": 2025, "title": "平安县2025年民生实事项目征集",
        "opensOn": "2024-03-01", "closesOn": "2024-04-15", "categories": CATEGORIES, "isOpen": True}]
    mine = "{ suggestionCalls { id } }"
    assert gql("county_office", mine)["data"]["suggestionCalls"] == [{"id": call_id}]
    for outsider in ("town_b_office", "edu_clerk", "deputy", None):
        assert gql(outsider, mine)["data"]["suggestionCalls"] == []


@pytest.mark.parametrize("username, where, closes, code, path, words", [
    ("county_office", "county", "2024-03-20", "INVALID_INPUT", ["input", "closesOn"],
     "stays open at least 30 days: opening 2024-03-01, closing 2024-03-20 is 20 day(s)"),
    ("town_a_office", "county", "2024-04-15", "NOT_FOUND", ["input", "regionId"], "does not exist"),
    ("edu_clerk", "county", "2024-04-15", "FORBIDDEN", [], "only 政府办/民生办"),
    ("deputy", "county", "2024-04-15", "FORBIDDEN", [], "only 政府办/民生办"),
    (None, "county", "2024-04-15", "FORBIDDEN", [], "only 政府办/民生办"),
])
def test_a_call_is_refused(gql: Gql, district, username, where, closes, code, path, words) -> None:
    body = gql(username, OPEN_CALL, {"input": {"regionId": region(district, where), "year": 2025,
                                              "opensOn": "2024-03-01", "closesOn": closes, "categories": ["教育"]}})
    [error] = body["data"]["openSuggestionCall"]["userErrors"]
    assert (error["code"], error["path"]) == (code, path) and words in error["message"], error
    assert gql(None, "{ openSuggestionCalls { id } }")["data"]["openSuggestionCalls"] == []


def test_the_minimum_length_of_a_call_is_configurable(gql: Gql, district, monkeypatch) -> None:
    monkeypatch.setenv("MINSHENG_SUGGESTION_MIN_DAYS", "10")
    assert open_call(gql, district, closes="2024-03-10")


def test_the_public_submits_without_a_token_and_follows_the_fate_by_receipt(gql: Gql, district) -> None:
    call_id = open_call(gql, district)
    done = submit(gql, None, call_id, 7)
    assert done["userErrors"] == [] and done["status"] == "RECEIVED"
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", done["receipt"])
    fate = gql(None, FATE, {"receipt": done["receipt"].lower().replace("-", " ")})["data"]["suggestionFate"]
    assert fate == {"title": "建议7：修缮村道", "category": "医疗", "callTitle": "平安县2025年民生实事项目征集",
                    "status": "RECEIVED", "statusLabel": "待筛选", "submittedAt": "2024-03-01T09:00:00",
                    "decidedAt": None, "declineReason": None, "mergedWith": 0, "projectId": None,
                    "projectCode": None, "projectTitle": None}
    assert gql(None, FATE, {"receipt": "AAAA-BBBB-CCCC-DDDD"})["data"]["suggestionFate"] is None
    office = gql("county_office", LIST, {"callId": call_id})["data"]["suggestions"]["items"]
    assert [(s["channel"], s["submitterKind"], s["estimate"], s["contactName"]) for s in office] == [
        ("WEBSITE", "PUBLIC", "120000.00", "王建国7")]


@pytest.mark.parametrize("day, words", [
    ("2024-04-16", "from 2024-03-01 to 2024-04-15 (opening and closing day included); today is 2024-04-16: the "
                   "call is closed"),
    ("2024-02-29", "today is 2024-02-29: the call has not opened yet")])
def test_a_call_takes_nothing_outside_its_dates(gql: Gql, district, clock, day, words) -> None:
    call_id = open_call(gql, district)
    clock.set(f"{day}T10:00:00")
    for username in (None, "county_office"):
        result = submit(gql, username, call_id)
        [error] = result["userErrors"]
        assert (error["code"], error["path"]) == ("INVALID_INPUT", ["input", "callId"])
        assert words in error["message"] and result["receipt"] is None
    clock.set("2024-04-15T23:59:00")
    assert submit(gql, None, call_id)["userErrors"] == []


def test_anonymous_intake_is_limited_per_address(gql: Gql, district, clock) -> None:
    call_id = open_call(gql, district)
    for n in range(5):
        assert submit(gql, None, call_id, n)["userErrors"] == []
    [error] = submit(gql, None, call_id, 5)["userErrors"]
    assert error["code"] == "THROTTLED"
    assert error["message"] == ("too many suggestions from your address (at most 5 per 60 seconds): try again in "
                                "12 seconds")
    assert submit(gql, "deputy", call_id, 6)["userErrors"] == []  # signed-in submitters are not counted
    clock.advance(seconds=12)
    assert submit(gql, None, call_id, 7)["userErrors"] == []
    assert len(gql("county_office", LIST, {})["data"]["suggestions"]["items"]) == 7


@pytest.mark.parametrize("username, extra, path, words", [
    (None, {"channel": "HOTLINE", "hotlineTicket": "12345-1"}, ["input", "channel"], "entered by 政府办/民生办"),
    (None, {"channel": "LETTER"}, ["input", "channel"], "entered by 政府办/民生办"),
    (None, {"channel": "LIAISON_STATION"}, ["input", "channel"], "come from deputies or an office"),
    ("deputy", {"channel": "DEPARTMENT"}, ["input", "channel"], "come from a department or an office"),
    ("county_office", {"channel": "HOTLINE"}, ["input", "hotlineTicket"], "needs its hotline ticket number"),
    ("county_office", {"hotlineTicket": "1"}, ["input", "hotlineTicket"], "12345 suggestions only"),
    (None, {"category": "环保"}, ["input", "category"], "'环保' is not a category of this call (教育、交通、养老、医疗)"),
    (None, {"title": " "}, ["input", "title"], "required"),
    (None, {"estimate": "-1"}, ["input", "estimate"], "zero or more yuan"),
    (None, {"contactPhone": "call me"}, ["input", "contactPhone"], "a phone number"),
    ("deputy", {"submitterKind": "OFFICE"}, ["input", "submitterKind"], "only an office"),
])
def test_a_bad_suggestion_is_refused_and_nothing_is_written(gql: Gql, district, username, extra, path,
                                                            words) -> None:
    call_id = open_call(gql, district)
    result = submit(gql, username, call_id, **extra)
    assert [e["path"] for e in result["userErrors"]] == [path] and words in result["userErrors"][0]["message"]
    assert gql("county_office", LIST, {})["data"]["suggestions"]["items"] == []


def test_who_submits_sets_the_kind_and_the_default_channel(gql: Gql, district) -> None:
    call_id = open_call(gql, district)
    submit(gql, "deputy", call_id, 0)
    submit(gql, "edu_clerk", call_id, 1)
    submit(gql, "county_office", call_id, 2, channel="HOTLINE", hotlineTicket="GD20240301001")
    submit(gql, "county_office", call_id, 3, channel="LETTER", submitterKind="CPPCC")
    items = gql("county_office", LIST, {})["data"]["suggestions"]["items"]
    assert [(s["submitterKind"], s["channel"], s["hotlineTicket"]) for s in items] == [
        ("DEPUTY", "LIAISON_STATION", None), ("DEPARTMENT", "DEPARTMENT", None),
        ("PUBLIC", "HOTLINE", "GD20240301001"), ("CPPCC", "LETTER", None)]


def test_a_town_office_reads_and_screens_only_its_town(gql: Gql, district) -> None:
    county_call = open_call(gql, district)
    town_call = open_call(gql, district, "town_a_office", "town_a")
    county_id = from_global_id(submit(gql, None, county_call, 1)["suggestionId"], "Suggestion", [])
    town_gid = submit(gql, None, town_call, 2)["suggestionId"]
    town_a = gql("town_a_office", LIST, {})["data"]["suggestions"]["items"]
    assert [s["id"] for s in town_a] == [town_gid]
    assert len(gql("county_office", LIST, {})["data"]["suggestions"]["items"]) == 2
    assert gql("town_b_office", LIST, {})["data"]["suggestions"]["items"] == []
    hidden = gql("town_a_office", LIST, {"callId": county_call})
    missing = gql("town_a_office", LIST, {"callId": to_global_id("SuggestionCall", 999)})
    assert hidden["errors"][0]["message"] == missing["errors"][0]["message"].replace("999", str(
        from_global_id(county_call, "SuggestionCall", [])))
    for query in (MERGE, DECLINE, ACCEPT):
        ids = [to_global_id("Suggestion", county_id), town_gid]
        values = {"suggestionIds": ids, "reason": "不属于民生实事"} if query is DECLINE else {"suggestionIds": ids}
        if query is ACCEPT:
            values["project"] = {"budget": "1"}
        result = next(iter(gql("town_a_office", query, {"input": values})["data"].values()))
        assert result["userErrors"] == [{"code": "NOT_FOUND", "path": ["input", "suggestionIds", "0"],
                                         "message": f"suggestion {county_id} does not exist"}]


@pytest.mark.parametrize("username, code", [
    ("edu_clerk", "FORBIDDEN"), ("deputy", "FORBIDDEN"), ("supervisor", "FORBIDDEN"), (None, "FORBIDDEN"),
    ("town_b_office", "NOT_FOUND")])
def test_only_an_office_of_the_region_screens(gql: Gql, district, username, code) -> None:
    call_id = open_call(gql, district, "town_a_office", "town_a")
    ids = [submit(gql, "deputy", call_id, n)["suggestionId"] for n in range(2)]
    assert gql(username, LIST, {})["data"]["suggestions"]["items"] == []
    for query, values in ((MERGE, {}), (DECLINE, {"reason": "重复"}), (ACCEPT, {"project": {}})):
        result = next(iter(gql(username, query, {"input": {"suggestionIds": ids, **values}})["data"].values()))
        assert [e["code"] for e in result["userErrors"]] == [code]
    statuses = [s["status"] for s in gql("town_a_office", LIST, {})["data"]["suggestions"]["items"]]
    assert statuses == ["RECEIVED", "RECEIVED"]


def test_the_anonymous_limit_is_configurable(gql: Gql, district, monkeypatch) -> None:
    monkeypatch.setenv("MINSHENG_SUGGESTIONS_PER_ADDRESS", "2/3600")
    call_id = open_call(gql, district)
    assert [submit(gql, None, call_id, n)["userErrors"] for n in range(2)] == [[], []]
    [error] = submit(gql, None, call_id, 2)["userErrors"]
    assert error["code"] == "THROTTLED" and "(at most 2 per 3600 seconds)" in error["message"]


def test_a_malformed_setting_is_named() -> None:
    from plugins.participation import settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINSHENG_SUGGESTIONS_PER_ADDRESS", "many")
        with pytest.raises(ValueError, match="MINSHENG_SUGGESTIONS_PER_ADDRESS must be '<count>/<seconds>'"):
            settings.from_env()
        patch.setenv("MINSHENG_SUGGESTIONS_PER_ADDRESS", "5/60")
        patch.setenv("MINSHENG_SUGGESTION_MIN_DAYS", "0")
        with pytest.raises(ValueError, match="MINSHENG_SUGGESTION_MIN_DAYS must be a whole number of days"):
            settings.from_env()
