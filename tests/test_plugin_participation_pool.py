"""From 40 suggestions over four channels to pool projects 储备库, over HTTP: merging duplicates, declining with
a reason the submitter reads by receipt code, accepting into new and existing pool projects; conflicts."""
from __future__ import annotations

from engine.api.ids import to_global_id
from tests.participation_support import (ACCEPT, DECLINE, FATE, LIST, MERGE, Gql, open_call, pii_key,  # noqa: F401
                                         submit)

PROJECT = """query($id: ID!) { project(id: $id) { code title year category budget state { name } leadUnit { name }
    suggestionSources { suggestionId title channel } history(first: 10) { event fields } } }"""


def forty(gql: Gql, clock, call_id: str) -> list[dict]:
    """16 from the website (the public, spaced within the per-address limit), 8 from deputies' liaison stations,
    8 by the 12345 hotline and 8 letters, both entered by the county office."""
    done = []
    for n in range(40):
        if n % 5 in (0, 1):
            clock.advance(seconds=13)
            done.append(submit(gql, None, call_id, n))
        elif n % 5 == 2:
            done.append(submit(gql, "deputy", call_id, n))
        elif n % 5 == 3:
            done.append(submit(gql, "county_office", call_id, n, channel="HOTLINE", hotlineTicket=f"GD{n:05d}"))
        else:
            done.append(submit(gql, "county_office", call_id, n, channel="LETTER"))
    assert all(d["userErrors"] == [] for d in done)
    return done


def screen(gql: Gql, query: str, **values) -> dict:
    result = next(iter(gql("county_office", query, {"input": values})["data"].values()))
    return result


def read_project(gql: Gql, project_id: str) -> dict:
    body = gql("county_office", PROJECT, {"id": project_id})
    assert "errors" not in body, body
    return body["data"]["project"]


def fate(gql: Gql, receipt: str) -> dict:
    return gql(None, FATE, {"receipt": receipt})["data"]["suggestionFate"]


def test_forty_suggestions_become_pool_projects(gql: Gql, district, clock) -> None:
    call_id = open_call(gql, district)
    done = forty(gql, clock, call_id)
    ids = [d["suggestionId"] for d in done]
    channels = [s["channel"] for s in gql("county_office", LIST, {"first": 50})["data"]["suggestions"]["items"]]
    assert {c: channels.count(c) for c in set(channels)} == {"WEBSITE": 16, "LIAISON_STATION": 8, "HOTLINE": 8,
                                                             "LETTER": 8}
    merged = screen(gql, MERGE, suggestionIds=ids[0:3], title="东村村道硬化")
    assert merged["userErrors"] == [] and merged["suggestionIds"] == ids[0:3]
    assert fate(gql, done[1]["receipt"])["mergedWith"] == 2
    declined = screen(gql, DECLINE, suggestionIds=ids[3:8], reason="一事一议：建议包含多个事项，请分开提交")
    assert declined["suggestionIds"] == ids[3:8]
    assert fate(gql, done[5]["receipt"]) | {"submittedAt": None, "decidedAt": None} == {
        "title": "建议5：修缮村道", "category": "交通", "callTitle": "平安县2025年民生实事项目征集",
        "status": "DECLINED", "statusLabel": "不予采纳", "submittedAt": None, "decidedAt": None,
        "declineReason": "一事一议：建议包含多个事项，请分开提交", "mergedWith": 0, "projectId": None,
        "projectCode": None, "projectTitle": None}
    edu = to_global_id("Unit", district.units["edu"])
    accepted = screen(gql, ACCEPT, suggestionIds=ids[1:2],  # one of the merged three brings the other two
                      project={"title": "东村村道硬化工程", "budget": "450000", "leadUnitId": edu})
    assert accepted["userErrors"] == [] and accepted["suggestionIds"] == ids[0:3]
    pool_id = accepted["projectId"]
    for n in range(8, 18):
        assert screen(gql, ACCEPT, suggestionIds=[ids[n]], project={})["userErrors"] == []
    linked = screen(gql, ACCEPT, suggestionIds=[ids[18]], projectId=pool_id)
    assert linked["projectId"] == pool_id and linked["userErrors"] == []
    project = read_project(gql, pool_id)
    assert (project["title"], project["year"], project["category"], project["budget"], project["state"]["name"],
            project["leadUnit"]["name"]) == ("东村村道硬化工程", 2025, "教育", "450000.00", "proposed", "县教育局")
    assert [s["suggestionId"] for s in project["suggestionSources"]] == [*ids[0:3], ids[18]]
    assert [n["event"] for n in project["history"]] == ["participation_sources", "participation_sources", "create"]
    assert project["history"][0]["fields"] == {"source_suggestions": [19]}
    assert project["history"][1]["fields"] == {"source_suggestions": [1, 2, 3]}
    assert fate(gql, done[0]["receipt"])["projectCode"] == project["code"]
    assert fate(gql, done[0]["receipt"])["status"] == "ACCEPTED"
    waiting = gql("county_office", LIST, {"status": "RECEIVED", "first": 50})["data"]["suggestions"]["items"]
    assert len(waiting) == 40 - 3 - 5 - 10 - 1
    page = gql("county_office", LIST, {"first": 15})["data"]["suggestions"]
    rest = gql("county_office", LIST, {"first": 50, "after": page["endCursor"]})["data"]["suggestions"]
    assert page["hasNextPage"] and len(page["items"]) + len(rest["items"]) == 40 and not rest["hasNextPage"]
    one = read_project(gql, screen(gql, ACCEPT, suggestionIds=[ids[19]], project={})["projectId"])
    assert (one["title"], one["budget"], one["category"]) == ("建议19：修缮村道", "120000.00", "医疗")


def test_a_screened_suggestion_cannot_be_screened_again(gql: Gql, district) -> None:
    call_id = open_call(gql, district)
    ids = [submit(gql, "deputy", call_id, n)["suggestionId"] for n in range(3)]
    assert screen(gql, DECLINE, suggestionIds=ids[:1], reason="服务于个别单位")["userErrors"] == []
    for query, values in ((DECLINE, {"reason": "重复"}), (ACCEPT, {"project": {}}), (MERGE, {})):
        [error] = screen(gql, query, suggestionIds=ids[:2], **values)["userErrors"]
        assert error["code"] == "CONFLICT" and error["message"] == "already screened: suggestion 1 is 不予采纳"
    [error] = screen(gql, MERGE, suggestionIds=ids[1:2])["userErrors"]
    assert error == {"code": "INVALID_INPUT", "path": ["input", "suggestionIds"],
                     "message": "merging takes at least two suggestions"}
    [error] = screen(gql, DECLINE, suggestionIds=ids[1:2], reason=" ")["userErrors"]
    assert error["path"] == ["input", "reason"]
    [error] = screen(gql, ACCEPT, suggestionIds=ids[1:2])["userErrors"]
    assert error["path"] == ["input", "project"]
    [error] = screen(gql, ACCEPT, suggestionIds=ids[1:2], project={"budget": "-5"})["userErrors"]
    assert error["path"] == ["input", "project", "budget"]
    [error] = screen(gql, ACCEPT, suggestionIds=ids[1:2], projectId=to_global_id("Project", 999))["userErrors"]
    assert error == {"code": "NOT_FOUND", "path": ["input", "projectId"], "message": "project 999 does not exist"}
    statuses = [s["status"] for s in gql("county_office", LIST, {})["data"]["suggestions"]["items"]]
    assert statuses == ["DECLINED", "RECEIVED", "RECEIVED"]


def test_suggestions_join_only_a_project_still_in_the_pool(gql: Gql, district, engine) -> None:
    from engine.transition import TransitionRequest, fire_transition

    call_id = open_call(gql, district)
    ids = [submit(gql, "deputy", call_id, n)["suggestionId"] for n in range(2)]
    pool_id = screen(gql, ACCEPT, suggestionIds=ids[:1], project={})["projectId"]
    from engine.api.ids import from_global_id

    fire_transition(engine, district.actor("county_finance"), TransitionRequest(
        from_global_id(pool_id, "Project", []), "assess", {"opinion": "可行"}))
    [error] = screen(gql, ACCEPT, suggestionIds=ids[1:], projectId=pool_id)["userErrors"]
    assert error["path"] == ["input", "projectId"] and "still in the pool (proposed)" in error["message"]


def test_two_clerks_deciding_at_once_never_both_win(gql: Gql, district, engine) -> None:
    import threading

    from engine.api.ids import from_global_id
    from engine.errors import Conflict
    from plugins.participation import screening

    call_id = open_call(gql, district)
    for round_ in range(3):
        sid = from_global_id(submit(gql, "deputy", call_id, round_)["suggestionId"], "Suggestion", [])
        office, start, outcomes = district.actor("county_office"), threading.Barrier(2), []

        def run(work) -> None:
            start.wait()
            try:
                work()
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=run, args=(w,)) for w in (
            lambda: screening.decline(engine, office, [sid], "重复"),
            lambda: screening.accept(engine, office, [sid], screening.PoolProject(budget=1)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["conflict", "won"]
    items = gql("county_office", LIST, {})["data"]["suggestions"]["items"]
    projects = gql("county_office", "{ projects(first: 50) { totalCount } }")["data"]["projects"]["totalCount"]
    assert projects == sum(s["status"] == "ACCEPTED" for s in items)  # a losing accept left no project behind
