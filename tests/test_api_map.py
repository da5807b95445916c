"""Project locations through the API (create, update, read) and ``projectsGeoJSON``: the GeoJSON shape (RFC 7946),
the schedule's colours and progress, the scope of each reader, the cap."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from engine.api.ids import to_global_id
from engine.geo import location as geo
from engine.geo.datum import GCJ02, wgs84_to_gcj02
from engine.projects import NewProject, create_project
from engine.transition import TransitionRequest, fire_transition
from tests.sheets_support import table

CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id location { type coordinates datum } } userErrors { code message path } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { location { type coordinates datum } } userErrors { code message path } } }"""
MAP = """query($filter: ProjectFilter, $first: Int!) { projectsGeoJSON(filter: $filter, first: $first) }"""


def located(engine, district, region, code, place, workflow="minsheng", unit="edu", **details):
    values = {"title": f"项目{code}", "year": 2024, "category": "教育", "budget": Decimal("100000"),
              "lead_unit_id": district.units[unit], "planned_start": dt.date(2024, 1, 1),
              "planned_end": dt.date(2024, 12, 31), **details}
    actor = district.actor("town_b_office" if region == "town_b" else "county_office")
    return create_project(engine, actor, NewProject(district.regions[region], values, code, workflow, place))


def test_a_location_is_given_in_gcj02_and_stored_in_wgs84(gql, engine, district):
    lon, lat = wgs84_to_gcj02(118.7965, 32.0584)  # what a map app shows for that spot
    body = gql("county_office", CREATE, {"input": {
        "regionId": to_global_id("Region", district.regions["county"]), "title": "鼓楼菜场改造", "year": 2024,
        "category": "市场", "budget": "3000000", "location": {"point": [lon, lat], "datum": "GCJ-02"}}})
    created = body["data"]["createProject"]
    assert created["userErrors"] == []
    assert created["project"]["location"] == {"type": "Point", "coordinates": [118.7965, 32.0584], "datum": "WGS-84"}
    [(fields,)] = table(engine, "SELECT fields FROM audit_record")
    assert json.loads(fields)["location"] == {"type": "Point", "coordinates": [118.7965, 32.0584], "datum": "WGS-84",
                                              "given_datum": "GCJ-02"}
    project = created["project"]["id"]
    road = [[118.70, 32.00], [118.71, 32.01]]
    moved = gql("county_office", UPDATE, {"input": {"projectId": project, "location": {"line": road}}})
    assert moved["data"]["updateProject"]["project"]["location"] == {"type": "LineString", "coordinates": road,
                                                                     "datum": "WGS-84"}
    cleared = gql("county_office", UPDATE, {"input": {"projectId": project, "location": None}})
    assert cleared["data"]["updateProject"]["project"]["location"] is None
    edits = [json.loads(f[0]) for f in table(engine, "SELECT fields FROM audit_record WHERE kind = 'edit' ORDER BY seq")]
    assert edits[0]["location"] == [{"type": "Point", "coordinates": [118.7965, 32.0584]},
                                    {"type": "LineString", "coordinates": road, "datum": "WGS-84",
                                     "given_datum": "WGS-84"}]
    assert edits[1]["location"] == [{"type": "LineString", "coordinates": road}, None]


def test_bad_locations_are_refused_with_their_path(gql, district):
    region = to_global_id("Region", district.regions["county"])
    base = {"regionId": region, "title": "路", "year": 2024, "category": "交通", "budget": "1"}
    for location, path, message in [
            ({"point": [200, 30]}, ["input", "location", "point"], "longitude must be between -180 and 180, got 200"),
            ({"point": [118, 30], "line": [[1, 2], [3, 4]]}, ["input", "location"], "give either point or line"),
            ({"line": [[118, 30]]}, ["input", "location", "line"], "a line needs 2 to 2000 points, got 1"),
            ({"point": [118, 30, 5]}, ["input", "location", "point"], "a point is [longitude, latitude]"),
            ({"point": [118, 30], "datum": "Mars"}, ["input", "location", "datum"],
             "unknown coordinate system 'Mars': one of WGS-84, CGCS2000, GCJ-02, BD-09")]:
        body = gql("county_office", CREATE, {"input": {**base, "location": location}})
        assert body["data"]["createProject"]["userErrors"] == [
            {"code": "INVALID_INPUT", "message": message, "path": path}], location


def check_geojson(collection: dict) -> None:
    """The shape RFC 7946 gives a FeatureCollection of Points and LineStrings in WGS-84."""
    assert collection["type"] == "FeatureCollection" and isinstance(collection["features"], list)
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["id"], str)
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        assert set(geometry) == {"type", "coordinates"} and geometry["type"] in ("Point", "LineString")
        positions = [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
        assert geometry["type"] == "Point" or len(positions) >= 2
        for lon, lat in positions:
            assert isinstance(lon, float | int) and isinstance(lat, float | int)
            assert -180 <= lon <= 180 and -90 <= lat <= 90


def features(gql, who, filter=None, first=100):
    body = gql(who, MAP, {"filter": filter, "first": first})
    assert "errors" not in body, body
    collection = body["data"]["projectsGeoJSON"]
    check_geojson(collection)
    return collection


def test_the_map_shows_state_progress_and_colour_from_the_schedule(gql, engine, district):
    school = located(engine, district, "county", "PA-01", geo.point(118.78, 32.04))
    located(engine, district, "town_a", "DC-01", geo.line([(118.7, 32.0), (118.71, 32.01)], GCJ02), unit="housing")
    located(engine, district, "county", "PA-03", None)  # no location: not on the map
    collection = features(gql, "county_office")
    assert [f["properties"]["code"] for f in collection["features"]] == ["PA-01", "DC-01"]
    assert collection["totalCount"] == 2 and collection["truncated"] is False
    first = collection["features"][0]
    assert first["id"] == to_global_id("Project", school)
    assert first["geometry"] == {"type": "Point", "coordinates": [118.78, 32.04]}
    progress = gql("county_office", "query($id: ID!) { project(id: $id) { progress { expected colour colourLabel "
                                    "status } } }", {"id": first["id"]})["data"]["project"]["progress"]
    properties = first["properties"]
    assert properties["colour"] == progress["colour"] and properties["colourLabel"] == progress["colourLabel"]
    assert properties["expectedProgress"] == progress["expected"] and properties["status"] == progress["status"].lower()
    assert properties["state"] == "proposed" and properties["stateLabel"] == "征集/提出"
    assert properties["progress"] is None and properties["region"] == "平安县" and properties["leadUnit"] == "县教育局"
    assert properties["budget"] == "100000.00"
    truncated = features(gql, "county_office", first=1)
    assert len(truncated["features"]) == 1 and truncated["truncated"] is True and truncated["totalCount"] == 2
    year = features(gql, "county_office", {"year": 2023})
    assert year["features"] == [] and year["totalCount"] == 0


def test_each_reader_sees_its_own_part_of_the_map(gql, engine, district):
    located(engine, district, "county", "PA-01", geo.point(118.78, 32.04))
    located(engine, district, "town_a", "DC-01", geo.point(118.79, 32.05), unit="housing")
    located(engine, district, "town_b", "XH-01", geo.point(118.80, 32.06))
    published = located(engine, district, "county", "PA-04", geo.point(118.81, 32.07), workflow="simple")
    fire_transition(engine, district.actor("committee"), TransitionRequest(published, "approve", {"decision_no": "1"}))

    def codes(who, filter=None):
        return [f["properties"]["code"] for f in features(gql, who, filter)["features"]]

    assert codes("county_office") == ["PA-01", "DC-01", "XH-01", "PA-04"]
    assert codes("town_a_office") == ["DC-01"]
    assert codes("edu_clerk") == ["PA-01", "XH-01", "PA-04"]
    assert codes(None) == ["PA-04"]  # the public: published states only
    assert codes("town_a_office", {"region": to_global_id("Region", district.regions["county"])}) == ["DC-01"]
    assert codes("town_b_office", {"region": to_global_id("Region", district.regions["town_a"])}) == []


def test_the_page_is_capped_and_costed_per_feature(gql, http, district):
    for first in (0, 5001):
        body = gql("county_office", MAP, {"first": first})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert body["errors"][0]["message"] == f"first must be between 1 and 5000, got {first}"
    response = http.post("/graphql", json={"query": MAP, "variables": {"first": 5000}},
                         headers={"Authorization": f"Bearer {district.tokens['county_office']}"})
    assert response.json()["extensions"]["cost"]["requested"] == 1 + 5000 * 4
