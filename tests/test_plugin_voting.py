"""The candidate list and the congress vote (票决) over HTTP: rules, the tally, the close that approves through the
workflow all or nothing, ties, and the majority rule."""
from __future__ import annotations

import pytest

from engine.cli import main
from tests.voting_support import Voting, gid, pool_project, states


@pytest.fixture
def voting(gql, district) -> Voting:
    return Voting(gql, district)


@pytest.fixture
def fifteen(district) -> list[int]:
    return [pool_project(district, n) for n in range(15)]


def counts_for(projects: list[int], yes: list[int], present: int = 236) -> dict[int, tuple[int, int, int]]:
    return {p: (y, present - y, 0) for p, y in zip(projects, yes)}


def test_fifteen_candidates_give_ten_approved_projects(voting, district, fifteen):
    list_id = voting.create(fifteen)
    assert voting.rules(list_id)["userErrors"] == []
    voting.open_tally(list_id)
    yes = [230 - 3 * n for n in range(15)]  # all pass; the first ten by yes votes are chosen
    assert voting.tally(list_id, 236, counts_for(fifteen, yes))["userErrors"] == []
    result = voting.close(list_id)
    assert result["userErrors"] == []
    assert sorted(result["approvedProjectIds"]) == sorted(gid("Project", p) for p in fifteen[:10])
    data = result["candidateList"]
    assert [c["place"] for c in data["chosen"]] == list(range(1, 11))
    assert data["session"]["status"] == "closed" and data["session"]["majorityNeeded"] == 119
    found = states(district, fifteen)
    assert [found[p] for p in fifteen] == ["approved"] * 10 + ["assessed"] * 5  # the others stay in the pool
    history = voting.gql("committee", """query($id: ID!) { project(id: $id) { history { event fields } } }""",
                         {"id": gid("Project", fifteen[0])})["data"]["project"]["history"]
    approve = next(h for h in history if h["event"] == "approve")
    assert approve["fields"]["votes_for"] == 230 and approve["fields"]["present"] == 236
    assert approve["fields"]["vote_date"] == "2024-01-20" and approve["fields"]["votes_against"] == 6


def test_the_margin_rule_is_refused_with_the_figures(voting, fifteen):
    list_id = voting.create(fifteen[:12])
    errors = voting.rules(list_id, places=10, margin=5)["userErrors"]
    assert errors[0]["code"] == "INVALID_INPUT" and errors[0]["path"] == ["input", "margin"]
    assert "12 candidate(s) for 10 place(s)" in errors[0]["message"] and "at least 15" in errors[0]["message"]


def test_majority_with_236_present(voting, district, fifteen):
    projects = fifteen[:3]
    list_id = voting.create(projects)
    voting.rules(list_id, places=2, margin=1)
    voting.open_tally(list_id, present=236)
    voting.tally(list_id, 236, {projects[0]: (235, 1, 0), projects[1]: (118, 118, 0), projects[2]: (119, 100, 17)})
    data = voting.close(list_id)["candidateList"]
    outcome = {c["projectId"]: c["outcome"] for c in data["candidates"]}
    assert outcome[gid("Project", projects[0])] == "chosen"
    assert outcome[gid("Project", projects[1])] == "no_majority"  # 118 of 236 is exactly half: not more
    assert outcome[gid("Project", projects[2])] == "chosen"
    assert states(district, projects) == {projects[0]: "approved", projects[1]: "assessed", projects[2]: "approved"}


def test_totals_that_do_not_add_up_are_refused(voting, fifteen):
    projects = fifteen[:3]
    list_id = voting.create(projects)
    voting.rules(list_id, places=2, margin=1)
    voting.open_tally(list_id, present=236, issued=236)
    errors = voting.tally(list_id, 237, {p: (100, 0, 0) for p in projects})["userErrors"]
    assert any("237 ballots returned but 236 issued" in e["message"] for e in errors)
    errors = voting.tally(list_id, 236, {projects[0]: (200, 30, 7), projects[1]: (1, 0, 0),
                                         projects[2]: (1, 0, 0)})["userErrors"]
    assert errors[0]["path"] == ["input", "counts", "0"]
    assert "237 votes (200 yes, 30 no, 7 abstain) but only 236 deputies present" in errors[0]["message"]
    assert voting.close(list_id)["userErrors"][0]["code"] == "CONFLICT"  # nothing was entered


def test_a_tie_at_the_last_place_is_reported_not_decided(voting, district, fifteen):
    projects = fifteen[:4]
    list_id = voting.create(projects)
    voting.rules(list_id, places=2, margin=1)
    voting.open_tally(list_id)
    voting.tally(list_id, 236, counts_for(projects, [200, 150, 150, 120]))
    result = voting.close(list_id)
    assert result["userErrors"] == []
    assert result["approvedProjectIds"] == [gid("Project", projects[0])]
    assert {c["projectId"] for c in result["candidateList"]["tied"]} == {gid("Project", p) for p in projects[1:3]}
    assert states(district, projects)[projects[1]] == "assessed"
    refused = voting.mutate("committee", "publishVoteResult", {"listId": list_id})["userErrors"]
    assert "not decided" in refused[0]["message"]
    wrong = voting.mutate("committee", "decideVoteTie", {"listId": list_id, "projectIds": [
        gid("Project", projects[3])]})["userErrors"]
    assert "choose 1 of the 2 tied candidates" in wrong[0]["message"]
    decided = voting.ok("committee", "decideVoteTie", {"listId": list_id, "projectIds": [gid("Project", projects[2])]})
    assert decided["approvedProjectIds"] == [gid("Project", projects[2])]
    assert states(district, projects) == {projects[0]: "approved", projects[1]: "assessed",
                                          projects[2]: "approved", projects[3]: "assessed"}


def test_a_close_failing_half_way_approves_nobody_and_closing_twice_is_refused(voting, district, fifteen):
    unfunded = pool_project(district, 99, funded=False)
    projects = [*fifteen[:3], unfunded]
    list_id = voting.create(projects)
    voting.rules(list_id, places=3, margin=1)
    voting.open_tally(list_id)
    voting.tally(list_id, 236, counts_for(projects, [230, 220, 120, 210]))  # the unfunded one is third
    errors = voting.close(list_id)["userErrors"]
    assert errors and errors[0]["code"] == "GUARD_FAILED"
    assert "nobody was approved" in errors[0]["message"] and "民生实事候选项目99" in errors[0]["message"]
    assert set(states(district, projects).values()) == {"assessed"}
    data = voting.gql("committee", "query($id: ID!) { candidateList(id: $id) { session { status } } }",
                      {"id": list_id})["data"]["candidateList"]
    assert data["session"]["status"] == "open"
    from decimal import Decimal
    from plugins.funding import plan
    from plugins.funding.sources import Source
    plan.set_plan(district.engine, district.actor("county_finance"), unfunded, Source.COUNTY, Decimal("3000000.00"))
    assert len(voting.close(list_id)["approvedProjectIds"]) == 3
    again = voting.close(list_id)["userErrors"]
    assert again[0]["code"] == "CONFLICT" and "already closed" in again[0]["message"]


def test_rules_without_abstention_refuse_abstentions_and_a_majority_of_all_deputies(voting, district, fifteen):
    projects = fifteen[:3]
    list_id = voting.create(projects)
    rules = voting.rules(list_id, places=2, margin=1, abstainAllowed=False, majorityOf="expected")
    assert rules["candidateList"]["rules"]["majorityOf"] == "expected"
    voting.open_tally(list_id, present=236, expected=250)
    refused = voting.tally(list_id, 236, {projects[0]: (200, 30, 6), projects[1]: (126, 0, 0),
                                          projects[2]: (125, 0, 0)})["userErrors"]
    assert refused[0]["path"] == ["input", "counts", "0"] and "no abstentions" in refused[0]["message"]
    voting.tally(list_id, 236, {projects[0]: (200, 36, 0), projects[1]: (126, 0, 0), projects[2]: (125, 0, 0)})
    data = voting.close(list_id)["candidateList"]
    assert data["session"]["majorityNeeded"] == 126  # more than half of the 250 deputies, not of the 236 present
    assert [c["outcome"] for c in data["candidates"]] == ["chosen", "chosen", "no_majority"]


def test_the_results_from_the_command_line(voting, district, fifteen, db_url, capsys):
    list_id = voting.create(fifteen)
    voting.rules(list_id)
    voting.open_tally(list_id)
    assert main(["vote", "results", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("not counted yet")
    voting.tally(list_id, 236, counts_for(fifteen, [230 - 3 * n for n in range(15)]))
    voting.close(list_id)
    assert main(["vote", "results", "--region", "county", "--year", "2024", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("2024 2024年民生实事候选项目: 15 candidate(s) for 10 place(s), margin 5; tally session of "
                        "2024-01-20, 236 of 250 present, closed")
    assert lines[1].endswith("230 yes, 6 no, 0 abstain  当选 (place 1)")
    assert lines[15].endswith("188 yes, 48 no, 0 abstain  未当选（名额已满） (place 15)")  # ranked, no seat
    assert main(["vote", "results", "--region", "nowhere", "--db", db_url]) == 2
    assert capsys.readouterr().err == "error: region 'nowhere' does not exist\n"
