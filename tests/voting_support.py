"""Helpers for the voting plugin's tests: pool projects (assessed, funding plan in place) and the GraphQL calls."""
from __future__ import annotations

from decimal import Decimal

from engine.api.ids import to_global_id
from engine.transition import TransitionRequest, fire_transition
from plugins.funding import plan
from plugins.funding.sources import Source

LIST_FIELDS = """candidateList { id year title rules { places margin majorityOf }
  session { method present expected ballotsIssued ballotsReturned status majorityNeeded tellers }
  candidates { projectId code votesFor votesAgainst votesAbstain outcome place }
  chosen { projectId code place } tied { projectId code } publishedAt objectionsUntil
  objections { id projectCode text answer } }
  approvedProjectIds userErrors { code message path }"""


def pool_project(district, n: int, funded: bool = True, region: str = "county") -> int:
    """A project in the pool (评估论证 done) with a funding plan covering its budget unless ``funded`` is False."""
    engine = district.engine
    project_id = district.project(region=region, workflow="minsheng", title=f"民生实事候选项目{n:02d}")
    fire_transition(engine, district.actor("county_office"),
                    TransitionRequest(project_id, "assess", {"opinion": "符合条件", "score": 80}))
    if funded:
        plan.set_plan(engine, district.actor("county_finance"), project_id, Source.COUNTY, Decimal("3000000.00"))
    return project_id


def gid(kind: str, database_id: int) -> str:
    return to_global_id(kind, database_id)


class Voting:
    """The voting mutations over HTTP, each returning its payload."""

    def __init__(self, gql, district) -> None:
        self.gql, self.district = gql, district

    def mutate(self, username: str | None, name: str, input: dict, fields: str = LIST_FIELDS) -> dict:
        type_name = name[0].upper() + name[1:] + "Input"
        if name in ("closeVoteSession",):
            type_name = "ListInput"
        body = self.gql(username, f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ {fields} }} }}",
                        {"input": input})
        assert "errors" not in body, body
        return body["data"][name]

    def ok(self, username: str | None, name: str, input: dict, fields: str = LIST_FIELDS) -> dict:
        result = self.mutate(username, name, input, fields)
        assert result["userErrors"] == [], result["userErrors"]
        return result

    def create(self, project_ids: list[int], year: int = 2024, region: str = "county", user: str = "county_office"):
        return self.ok(user, "createCandidateList", {
            "regionId": gid("Region", self.district.regions[region]), "year": year, "title": f"{year}年民生实事候选项目",
            "projectIds": [gid("Project", p) for p in project_ids]})["candidateList"]["id"]

    def rules(self, list_id: str, places: int = 10, margin: int = 5, **extra) -> dict:
        return self.mutate("committee", "setVoteRules", {"listId": list_id, "places": places, "margin": margin,
                                                         **extra})

    def open_tally(self, list_id: str, present: int = 236, expected: int = 250, issued: int | None = None) -> dict:
        return self.ok("committee", "openVoteSession", {
            "listId": list_id, "method": "tally", "body": "平安县第十八届人民代表大会第四次会议",
            "heldOn": "2024-01-20", "expected": expected, "present": present, "tellers": ["张监票", "李监票"],
            "ballotsIssued": present if issued is None else issued})

    def tally(self, list_id: str, returned: int, counts: dict[int, tuple[int, int, int]]) -> dict:
        return self.mutate("committee", "enterVoteTally", {"listId": list_id, "ballotsReturned": returned, "counts": [
            {"projectId": gid("Project", p), "votesFor": y, "votesAgainst": n, "votesAbstain": a}
            for p, (y, n, a) in counts.items()]})

    def close(self, list_id: str, user: str = "committee") -> dict:
        return self.mutate(user, "closeVoteSession", {"listId": list_id})


def states(district, project_ids: list[int]) -> dict[int, str]:
    from pony import orm
    from engine.storage.sql import Sql, marks

    with orm.db_session:
        query = f"SELECT id, state FROM project WHERE id IN ({marks(len(project_ids))})"
        return dict(Sql(district.engine.db).all(query, project_ids))
