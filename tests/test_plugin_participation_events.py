"""``suggestionReceived``: offices hear of new suggestions in their area, over graphql-transport-ws; nobody else
may subscribe, and ``projectEvents`` subscribers never see these events."""
from __future__ import annotations

from engine.api.ids import to_global_id
from tests.participation_support import Gql, open_call, pii_key, submit  # noqa: F401
from tests.test_api_subscriptions import SUBSCRIBE, wait_for_subscribers, ws

RECEIVED = ("subscription($region: ID) { suggestionReceived(region: $region) "
            "{ suggestionId callId title category channel at } }")


def test_offices_hear_of_suggestions_in_their_area_only(http, app, gql: Gql, district) -> None:
    county_call = open_call(gql, district)
    town_b_call = open_call(gql, district, "town_b_office", "town_b")
    with ws(http, district.tokens["town_b_office"]) as town_b, ws(http, district.tokens["county_office"]) as county, \
            ws(http, district.tokens["county_office"]) as projects:
        town_b.subscribe(query=RECEIVED)
        county.subscribe(query=RECEIVED)
        projects.subscribe(query=SUBSCRIBE)
        wait_for_subscribers(app, 3)
        first = submit(gql, None, county_call, 1)
        second = submit(gql, "town_b_office", town_b_call, 2, channel="LETTER")
        message = county.receive()
        assert message["type"] == "next"
        event = message["payload"]["data"]["suggestionReceived"]
        assert event == {"suggestionId": first["suggestionId"], "callId": county_call, "title": "建议1：修缮村道",
                         "category": "交通", "channel": "WEBSITE", "at": "2024-03-01T09:00:00"}
        heard = town_b.receive()["payload"]["data"]["suggestionReceived"]  # not the county's: its own first
        assert (heard["suggestionId"], heard["channel"]) == (second["suggestionId"], "LETTER")
        assert county.receive()["payload"]["data"]["suggestionReceived"]["suggestionId"] == second["suggestionId"]
        pid = district.project()
        gql("committee", """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { seq } }""",
            {"input": {"projectId": to_global_id("Project", pid), "event": "approve",
                       "fields": {"decision_no": "1"}}})
        assert projects.receive()["payload"]["data"]["projectEvents"]["projectId"] == to_global_id("Project", pid)


def test_only_an_office_may_subscribe_and_a_region_outside_answers_like_missing(http, district) -> None:
    for username, code in (("deputy", "FORBIDDEN"), ("edu_clerk", "FORBIDDEN"), (None, "FORBIDDEN")):
        with ws(http, district.tokens[username] if username else None) as client:
            client.subscribe(query=RECEIVED)
            message = client.receive()
            assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == code
    with ws(http, district.tokens["town_b_office"]) as client:
        client.subscribe({"region": to_global_id("Region", district.regions["town_a"])}, query=RECEIVED)
        [error] = client.receive()["payload"]
        assert error["extensions"]["code"] == "NOT_FOUND" and error["message"].endswith("does not exist")
