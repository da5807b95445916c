"""The public notice (公示) of a vote result, the public view, subscriptions, and the scoping of every voting read
and write over HTTP."""
from __future__ import annotations

import pytest

from engine.directory.admin import add_actor
from tests.test_api_subscriptions import subscribed
from tests.voting_support import Voting, gid, pool_project

PUBLIC_VIEW = """query($id: ID!) { candidateList(id: $id) { title candidates { code votesFor votesAgainst outcome }
  chosen { code } objections { id projectCode text answer } objectionsUntil } }"""
OBJECTION = "objection { id projectCode text answer } userErrors { code message path }"


@pytest.fixture
def voting(gql, district) -> Voting:
    return Voting(gql, district)


@pytest.fixture
def closed(voting, district) -> tuple[str, list[int]]:
    """A closed tally vote of 3 candidates for 2 places: the first two chosen."""
    projects = [pool_project(district, n) for n in range(3)]
    list_id = voting.create(projects)
    voting.rules(list_id, places=2, margin=1)
    voting.open_tally(list_id)
    voting.tally(list_id, 236, {projects[0]: (230, 6, 0), projects[1]: (200, 30, 6), projects[2]: (100, 136, 0)})
    voting.ok("committee", "closeVoteSession", {"listId": list_id})
    return list_id, projects


def objection(voting: Voting, user: str | None, list_id: str, project: int, text: str = "选址离学校太近") -> dict:
    return voting.mutate(user, "fileObjection", {"listId": list_id, "projectId": gid("Project", project),
                                                 "text": text}, OBJECTION)


def test_publication_opens_the_public_view_and_an_objection_window(voting, district, closed, clock, http, app):
    list_id, projects = closed
    assert voting.gql(None, PUBLIC_VIEW, {"id": list_id})["data"]["candidateList"] is None  # not yet published
    assert objection(voting, None, list_id, projects[0])["userErrors"][0]["code"] == "NOT_FOUND"
    with subscribed(http, app, None) as public:
        published = voting.ok("committee", "publishVoteResult", {"listId": list_id})
        events = [public.next_event(), public.next_event()]
    assert {e["event"] for e in events} == {"vote_result_published"}
    assert {e["projectId"] for e in events} == {gid("Project", p) for p in projects[:2]}
    assert published["candidateList"]["objectionsUntil"].startswith("2024-03-08")
    view = voting.gql(None, PUBLIC_VIEW, {"id": list_id})["data"]["candidateList"]
    assert [(c["votesFor"], c["outcome"]) for c in view["candidates"]] == [(230, "chosen"), (200, "chosen"),
                                                                           (100, "no_majority")]
    assert len(view["chosen"]) == 2
    first = objection(voting, None, list_id, projects[0])
    second = objection(voting, "town_a_office", list_id, projects[1], "建设内容与去年项目重复")
    assert first["userErrors"] == [] and second["userErrors"] == []
    not_chosen = objection(voting, None, list_id, projects[2])["userErrors"]
    assert not_chosen[0]["code"] == "NOT_FOUND" and not_chosen[0]["path"] == ["input", "projectId"]
    answer = {"objectionId": first["objection"]["id"], "answer": "经核实，选址符合安全距离要求。"}
    assert voting.mutate("town_b_office", "answerObjection", answer, OBJECTION)["userErrors"][0]["code"] == "NOT_FOUND"
    assert voting.mutate("committee", "answerObjection", answer, OBJECTION)["userErrors"][0]["code"] == "FORBIDDEN"
    assert voting.ok("county_office", "answerObjection", answer, OBJECTION)["objection"]["answer"] == answer["answer"]
    assert voting.mutate("county_office", "answerObjection", answer, OBJECTION)["userErrors"][0]["code"] == "CONFLICT"
    view = voting.gql(None, PUBLIC_VIEW, {"id": list_id})["data"]["candidateList"]
    assert [(o["text"], o["answer"]) for o in view["objections"]] == [
        ("选址离学校太近", answer["answer"]), ("建设内容与去年项目重复", None)]
    clock.set("2024-03-08T09:00:01")
    late = objection(voting, None, list_id, projects[0])["userErrors"]
    assert late[0]["code"] == "CONFLICT" and "window closed at 2024-03-08 09:00" in late[0]["message"]


def test_anonymous_objections_are_limited_per_address(voting, closed):
    list_id, projects = closed
    voting.ok("committee", "publishVoteResult", {"listId": list_id})
    results = [objection(voting, None, list_id, projects[0], f"意见{n}")["userErrors"] for n in range(6)]
    assert results[:5] == [[]] * 5
    assert results[5][0]["code"] == "THROTTLED"


def test_every_read_and_write_is_scoped(voting, district, gql):
    county = [pool_project(district, n) for n in range(3)]
    town_b = pool_project(district, 50, region="town_b")
    region = gid("Region", district.regions["county"])
    create = {"regionId": region, "year": 2024, "title": "候选", "projectIds": [gid("Project", p) for p in county]}
    # who may assemble, and where
    assert voting.mutate("committee", "createCandidateList", create)["userErrors"][0]["code"] == "FORBIDDEN"
    assert voting.mutate("town_a_office", "createCandidateList", create)["userErrors"][0]["code"] == "NOT_FOUND"
    outside = {**create, "regionId": gid("Region", district.regions["town_a"]),
               "projectIds": [gid("Project", town_b)]}
    assert voting.mutate("town_b_office", "createCandidateList", {**outside, "projectIds": [
        gid("Project", county[0])]})["userErrors"][0]["code"] == "NOT_FOUND"
    not_in_region = voting.mutate("county_office", "createCandidateList", outside)["userErrors"]
    assert "not in the list's region" in not_in_region[0]["message"]
    list_id = voting.create(county)
    twice = voting.mutate("county_office", "createCandidateList", create)["userErrors"]
    assert "already on a candidate list of 2024" in twice[0]["message"]
    # reads before publication: the region's office and committee only; everyone else as if missing
    read = "query($id: ID!) { candidateList(id: $id) { id } }"
    for user in ("county_office", "committee", "deputy"):
        assert gql(user, read, {"id": list_id})["data"]["candidateList"] == {"id": list_id}
    for user in (None, "town_b_office", "edu_clerk"):
        assert gql(user, read, {"id": list_id})["data"]["candidateList"] is None
        assert gql(user, "{ candidateLists { id } }")["data"]["candidateLists"] == []
    # writes: the rule for each, and out of reach answers like missing
    assert voting.mutate("county_office", "setVoteRules", {"listId": list_id, "places": 2, "margin": 1}
                         )["userErrors"][0]["code"] == "FORBIDDEN"
    for name, input in (("setVoteRules", {"listId": list_id, "places": 2, "margin": 1}),
                        ("closeVoteSession", {"listId": list_id}),
                        ("publishVoteResult", {"listId": list_id}),
                        ("decideVoteTie", {"listId": list_id, "projectIds": []}),
                        ("enterVoteTally", {"listId": list_id, "ballotsReturned": 1, "counts": []})):
        assert voting.mutate("town_b_office", name, input)["userErrors"][0]["code"] == "NOT_FOUND", name
        assert voting.mutate(None, name, input)["userErrors"][0]["code"] == "NOT_FOUND", name
    assert voting.mutate("deputy", "closeVoteSession", {"listId": list_id})["userErrors"][0]["code"] == "FORBIDDEN"
    opened = voting.mutate("town_b_office", "openVoteSession", {
        "listId": list_id, "method": "tally", "body": "会议", "heldOn": "2024-01-20", "expected": 10, "present": 9,
        "tellers": ["甲"], "ballotsIssued": 9})["userErrors"]
    assert opened[0]["code"] == "NOT_FOUND"
    # a deputy of another town cannot even see the session to vote in it
    district.tokens["town_b_deputy"] = add_actor(district.engine, "town_b_deputy", "西河镇代表", ["deputy"], "town_b")
    ballot = voting.mutate("town_b_deputy", "castBallot", {"listId": list_id, "choices": []},
                           "recorded userErrors { code message }")
    assert ballot["userErrors"][0]["code"] == "NOT_FOUND" and ballot["recorded"] is False
