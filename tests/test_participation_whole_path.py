"""The front half of the lifecycle in one pass, over HTTP: 40 suggestions over four channels → 15 accepted into the
pool → assessed and funded → a 15-candidate list → the congress votes by tally → 10 approved projects, the others
still in the pool, and each submitter reads the fate of their suggestion by receipt code."""
from __future__ import annotations

from engine.api.ids import from_global_id, to_global_id
from tests.participation_support import ACCEPT, FATE, Gql, open_call, pii_key  # noqa: F401  (the fixture)
from tests.test_plugin_participation_pool import forty, screen
from tests.test_evidence import upload
from tests.voting_support import Voting, states

FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState
  userErrors { code message } } }"""
PLAN = """mutation($input: SetFundingPlanInput!) { setFundingPlan(input: $input) { userErrors { code message } } }"""


def test_forty_suggestions_become_ten_approved_projects(gql: Gql, http, district, clock) -> None:
    call_id = open_call(gql, district)
    done = forty(gql, clock, call_id)
    edu = to_global_id("Unit", district.units["edu"])
    pool = []
    for n in range(15):  # 15 suggestions accepted, each into a pool project of its own
        accepted = screen(gql, ACCEPT, suggestionIds=[done[n]["suggestionId"]],
                          project={"budget": "3000000", "leadUnitId": edu})
        assert accepted["userErrors"] == [], accepted
        pool.append(accepted["projectId"])
    for project in pool:  # 评估论证 and a funding plan covering the budget, as the procedure has it before the vote
        assessed = gql("county_finance", FIRE, {"input": {"projectId": project, "event": "assess",
                                                          "fields": {"opinion": "符合条件"}}})["data"]
        assert assessed["fireTransition"]["userErrors"] == [], assessed
        planned = gql("county_finance", PLAN, {"input": {"projectId": project, "source": "COUNTY",
                                                         "amount": "3000000.00"}})["data"]
        assert planned["setFundingPlan"]["userErrors"] == [], planned
    ids = [from_global_id(p, "Project", []) for p in pool]
    voting = Voting(gql, district)
    list_id = voting.create(ids, year=2025)
    assert voting.rules(list_id, places=10, margin=5)["userErrors"] == []
    voting.open_tally(list_id, present=236, expected=250)
    counts = {p: ((230 - i, 4, 2) if i < 10 else (100 + i, 120, 16 - i)) for i, p in enumerate(ids)}
    assert voting.tally(list_id, 236, counts)["userErrors"] == []
    closed = voting.close(list_id)
    assert closed["userErrors"] == []
    assert sorted(from_global_id(p, "Project", []) for p in closed["approvedProjectIds"]) == sorted(ids[:10])
    assert states(district, ids) == {**{p: "approved" for p in ids[:10]}, **{p: "assessed" for p in ids[10:]}}
    fates = [gql(None, FATE, {"receipt": d["receipt"]})["data"]["suggestionFate"] for d in done[:15]]
    assert [f["status"] for f in fates] == ["ACCEPTED"] * 15
    assert all(f["projectCode"] for f in fates)
    letter = upload(http, district.tokens["county_office"], pool[0], "suggestion", b"%PDF-1.4 the letter, scanned",
                    done[0]["suggestionId"], "来信.pdf", "application/pdf")  # evidence on the suggestion itself
    assert letter["userErrors"] == [] and letter["attachment"]["recordKind"] == "suggestion"
    elsewhere = upload(http, district.tokens["county_office"], pool[1], "suggestion", b"%PDF-1.4 x",
                       done[0]["suggestionId"], "x.pdf", "application/pdf")  # not this project's suggestion
    assert [e["code"] for e in elsewhere["userErrors"]] == ["NOT_FOUND"]
