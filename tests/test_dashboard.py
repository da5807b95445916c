"""The dashboard query over HTTP: 完成率 and 开工率 with the official definitions against the seed figures, roll-ups
over a three-level tree, what counts as planned / started / completed, and the plugins' figure groups."""
from __future__ import annotations

from engine.api.ids import to_global_id
from engine.directory.admin import add_region_by_code
from tests.dashboard_support import add_projects

FIGURES = """query($region: ID, $year: Int, $category: String, $leadUnit: ID) {
  dashboard(region: $region, year: $year, category: $category, leadUnit: $leadUnit) {
    region { name } year asOf projects planned started completed completionRate startRate
    byState { workflow state label count }
    byRegion { kind id name own projects planned started completed completionRate startRate }
    byLeadUnit { kind id name projects planned started completed completionRate startRate }
    figures { plugin label figures { name label value unit } tables { name rows { key label values } } } } }"""


def region_id(code_id: int) -> str:
    return to_global_id("Region", code_id)


def board(gql, username, **variables):
    body = gql(username, FIGURES, {"year": 2024, **variables})
    assert "errors" not in body, body
    return body["data"]["dashboard"]


def test_completion_and_start_rate_of_the_seed_lists(gql, district, engine):
    """26 of 65 → 40.00%; 1,528 of 1,530 after adjustment → 99.87%, whatever the candidates, the rejected and the
    terminated (taken off the list) around them."""
    town_a, town_b = district.regions["town_a"], district.regions["town_b"]
    add_projects(engine, town_a, [("completed", "in_progress", 20), ("reviewed", "handed_over", 6),
                                  ("in_progress", "approved", 14), ("approved", "assessed", 25),
                                  ("proposed", None, 9), ("rejected", "assessed", 4), ("terminated", "approved", 3)])
    a = board(gql, "county_office", region=region_id(town_a))
    assert (a["planned"], a["started"], a["completed"]) == (65, 40, 26)
    assert a["completionRate"] == "40.00" and a["startRate"] == "61.54"
    assert a["projects"] == 81
    add_projects(engine, town_b, [("handed_over", "completed", 1500), ("reviewed", "handed_over", 28),
                                  ("in_progress", "in_progress", 2), ("terminated", "in_progress", 404),
                                  ("proposed", None, 30)])
    b = board(gql, "county_office", region=region_id(town_b))
    assert (b["planned"], b["started"], b["completed"]) == (1530, 1530, 1528)
    assert b["completionRate"] == "99.87" and b["startRate"] == "100.00"


def test_return_states_count_as_where_the_project_came_from(gql, district, engine):
    """整改 and 暂缓 are left by @return: a project rectifying after 回头看 is still completed, one suspended
    before work began is only planned, one rectifying after a failed acceptance has started."""
    town_a = district.regions["town_a"]
    add_projects(engine, town_a, [("rectifying", "handed_over", 2), ("rectifying", "in_progress", 3),
                                  ("suspended", "approved", 4), ("suspended", "in_progress", 5)])
    a = board(gql, "county_office", region=region_id(town_a))
    assert (a["planned"], a["started"], a["completed"]) == (14, 10, 2)
    labels = {s["state"]: (s["label"], s["count"]) for s in a["byState"]}
    assert labels == {"rectifying": ("整改", 5), "suspended": ("暂缓", 9)}


def test_a_roll_up_over_three_levels_is_the_sum_of_its_children(gql, district, engine):
    """county → towns → villages (and a second village level town): every figure of a region equals the sum of
    its rows, and each row equals that child's own dashboard."""
    add_region_by_code(engine, "village_a2", "南村", "village", "town_a")
    regions = district.regions
    spread = {"county": [("completed", "in_progress", 2), ("in_progress", "approved", 1)],
              "town_a": [("approved", "assessed", 3), ("reviewed", "handed_over", 1)],
              "village_a1": [("in_progress", "approved", 4), ("completed", "in_progress", 2), ("proposed", None, 2)],
              "town_b": [("terminated", "approved", 1), ("handed_over", "completed", 5)],
              "village_b1": [("suspended", "in_progress", 2), ("approved", "assessed", 1)]}
    for code, states in spread.items():
        add_projects(engine, regions[code], states, unit_id=district.units["edu" if "a" in code else "housing"])
    county = board(gql, "county_office")
    rows = county["byRegion"]
    assert [(r["name"], r["own"]) for r in rows] == [("平安县（本级）", True), ("东城镇", False), ("西河镇", False)]
    for key in ("projects", "planned", "started", "completed"):
        assert county[key] == sum(r[key] for r in rows) == sum(r[key] for r in county["byLeadUnit"])
    for row in rows[1:]:
        child = board(gql, "county_office", region=row["id"])
        assert {k: child[k] for k in ("projects", "planned", "started", "completed", "completionRate",
                                      "startRate")} == {k: row[k] for k in ("projects", "planned", "started",
                                                                            "completed", "completionRate",
                                                                            "startRate")}
        assert sum(r["projects"] for r in child["byRegion"]) == child["projects"]
    town_a = board(gql, "county_office", region=rows[1]["id"])
    assert [r["name"] for r in town_a["byRegion"]] == ["东城镇（本级）", "东村", "南村"]
    assert [r["projects"] for r in town_a["byRegion"]] == [4, 8, 0]
    assert (county["planned"], county["started"], county["completed"]) == (21, 17, 10)


def test_filters_and_state_labels(gql, district, engine):
    add_projects(engine, district.regions["town_a"], [("in_progress", "approved", 3)], unit_id=district.units["edu"],
                 category="养老")
    add_projects(engine, district.regions["town_a"], [("completed", "in_progress", 2)],
                 unit_id=district.units["housing"])
    add_projects(engine, district.regions["town_a"], [("completed", "in_progress", 7)], year=2023)
    assert board(gql, "county_office")["projects"] == 5
    assert board(gql, "county_office", category="养老")["projects"] == 3
    by_unit = board(gql, "county_office", leadUnit=to_global_id("Unit", district.units["housing"]))
    assert (by_unit["projects"], by_unit["completed"], by_unit["completionRate"]) == (2, 2, "100.00")
    assert [(r["name"], r["planned"]) for r in by_unit["byLeadUnit"]] == [("县住建局", 2)]
    states = board(gql, "county_office")["byState"]
    assert [(s["label"], s["count"]) for s in states] == [("实施", 3), ("完工验收", 2)]
    assert board(gql, "county_office", year=2023)["completed"] == 7


def test_every_plugin_contributes_its_figure_group(gql, district, engine):
    board_ = board(gql, "county_office")
    groups = {g["plugin"]: g for g in board_["figures"]}
    assert list(groups) == ["funding", "inspection", "satisfaction", "schedule", "supervision"]
    names = {p: [f["name"] for f in g["figures"]] for p, g in groups.items()}
    assert {"planned", "received", "paid", "in_place_rate", "disbursement_rate"} <= set(names["funding"])
    assert {"rate", "mean_score"} <= set(names["satisfaction"])
    assert {"open_rectifications", "overdue_rectifications"} <= set(names["inspection"])
    assert {"lagging", "expected", "actual", "lag"} <= set(names["schedule"])
    assert {"open_notices", "at_least_escalate"} <= set(names["supervision"])
    assert [t["name"] for t in groups["schedule"]["tables"]] == ["colours"]
    assert [r["label"] for r in groups["satisfaction"]["tables"][0]["rows"]] == ["优良", "良好", "一般"]


def test_bad_arguments_are_named(gql, district):
    body = gql("county_office", "{ dashboard(year: 1900, month: 13) { projects } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "year must be between" in body["errors"][0]["message"] and "month must be" in body["errors"][0]["message"]
    body = gql("county_office", '{ dashboard(leadUnit: "nonsense") { projects } }')
    assert body["errors"][0]["extensions"]["inputPath"] == ["leadUnit"]
