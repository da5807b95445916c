"""Inputs an attacker sent to the demo server that became a 500, an INTERNAL_SERVER_ERROR or a stored oddity:
each is now a 413/400 in the one error shape, a GraphQL error with ``extensions.code``, or a userError naming the
input path — and nothing is written."""
from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, Callable, Iterator

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.core import Engine
from engine.storage.sql import Sql
from tests.district import District

Gql = Callable[..., dict]
ERRORS = "userErrors { code message path }"
CREATE = f"mutation($input: CreateProjectInput!) {{ createProject(input: $input) {{ project {{ id }} {ERRORS} }} }}"
UPDATE = f"mutation($input: UpdateProjectInput!) {{ updateProject(input: $input) {{ project {{ id }} {ERRORS} }} }}"
FIRE = f"mutation($input: FireTransitionInput!) {{ fireTransition(input: $input) {{ toState {ERRORS} }} }}"
SET_PLAN = (f"mutation($input: SetFundingPlanInput!) {{ setFundingPlan(input: $input) {{ line {{ amount }} {ERRORS} "
            "} }")
RECORD_INSPECTION = f"mutation($input: RecordInspectionInput!) {{ recordInspection(input: $input) {{ {ERRORS} }} }}"
SUBSCRIBE = "subscription($projectId: ID) { projectEvents(projectId: $projectId) { seq } }"
SSE = {"Accept": "text/event-stream"}
HUGE_PROJECT_ID = "UHJvamVjdDoxMDAwMDAwMDAwMDAwMDAwMDAwMDA="  # Project:100000000000000000000


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def counts(engine: Engine) -> tuple[int, ...]:
    """Rows of the tables a refused write could have touched."""
    with orm.db_session:
        sql = Sql(engine.db)
        return tuple(sql.scalar(f"SELECT COUNT(*) FROM {table}") for table in
                     ("project", "audit_record", "funding_plan", "inspection_record"))


def post(http: Any, body: bytes | str, path: str = "/graphql", token: str | None = None, **headers: str) -> Any:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post(path, content=body, headers={"Content-Type": "application/json", **auth, **headers})


def refusal(response: Any, status: int, code: str) -> str:
    """The message of a refused request in the one error shape (after checking its status and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code, error
    return error["message"]


def new_input(district: District, **extra: object) -> dict:
    return {"regionId": to_global_id("Region", district.regions["county"]), "title": "城区学校运动场改造",
            "year": 2024, "category": "教育", "budget": "3000000.00", "workflow": "simple", **extra}


def only_user_error(result: dict) -> tuple[str, str, list[str]]:
    [error] = result["userErrors"]
    return error["code"], error["message"], error["path"]


# --- 3. every body-reading route has the same limit -------------------------------------------------------------

def test_a_stream_body_over_64_kib_is_413(http: Any, district: District) -> None:
    body = json.dumps({"query": SUBSCRIBE, "x": "x" * 70_000})
    message = refusal(post(http, body, "/graphql/stream", **SSE), 413, "PAYLOAD_TOO_LARGE")
    assert message == "request body over 65536 bytes"


def test_a_chunked_stream_body_over_64_kib_is_413(http: Any, district: District) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "subscription { projectEvents { seq } }", "x": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = http.post("/graphql/stream", content=chunks(), headers={"Content-Type": "application/json", **SSE})
    assert "content-length" not in response.request.headers
    assert refusal(response, 413, "PAYLOAD_TOO_LARGE") == "request body over 65536 bytes"


@pytest.mark.parametrize("path", ["/graphql", "/graphql/stream", "/healthz", "/some/future/route"])
def test_a_declared_length_over_the_limit_is_refused_before_reading(app: Any, path: str) -> None:
    """200 MB announced: the answer comes at once, and not one body chunk is read."""
    sent: list[dict] = []
    reads = 0

    async def receive() -> dict:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-length", b"200000000"), (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1234), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    assert (sent[0]["status"], reads) == (413, 0)
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


# --- 6. inputs that were 500s ------------------------------------------------------------------------------------

def test_a_huge_number_in_a_global_id_is_invalid_input(gql: Gql, district: District) -> None:
    for query in ("query($id: ID!) { project(id: $id) { id } }", "query($id: ID!) { node(id: $id) { id } }"):
        body = gql("county_office", query, {"id": HUGE_PROJECT_ID})
        [error] = body["errors"]
        assert error["message"] == f"'{HUGE_PROJECT_ID}' is not a valid id"
        assert error["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["id"]}


def test_a_huge_number_in_a_cursor_is_invalid_input(gql: Gql, district: District) -> None:
    cursor = b64("cursor:100000000000000000000")
    body = gql("county_office", "query($after: String) { projects(first: 5, after: $after) { totalCount } }",
               {"after": cursor})
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["after"]}
    assert body["errors"][0]["message"] == f"'{cursor}' is not a cursor from this API"


@pytest.mark.parametrize("raw", [" 1", "1_0", "+1", "01", "1 ", "2147483648", "-1", "0", "１"])
def test_only_canonical_ids_in_range_are_accepted(gql: Gql, engine: Engine, district: District, raw: str) -> None:
    pid = district.project()
    before = counts(engine)
    bad = b64(f"Project:{raw}")
    result = gql("committee", UPDATE, {"input": {"projectId": bad, "title": "改名"}})["data"]["updateProject"]
    assert only_user_error(result) == ("INVALID_INPUT", f"'{bad}' is not a valid id", ["input", "projectId"])
    assert counts(engine) == before
    ok = gql("committee", UPDATE, {"input": {"projectId": b64(f"Project:{pid}"), "title": "改名"}})
    assert ok["data"]["updateProject"]["userErrors"] == []


def test_a_lone_surrogate_in_a_variable_is_refused_naming_it(http: Any, engine: Engine, district: District) -> None:
    before = counts(engine)
    variables = json.dumps({"input": new_input(district, title="x")}).replace('"x"', '"\\ud800"')
    body = '{"query": ' + json.dumps(CREATE) + ', "variables": ' + variables + "}"
    message = refusal(post(http, body, token=district.tokens["county_office"]), 400, "BAD_REQUEST")
    assert message == ("variables.input.title contains a lone surrogate (such as \\ud800), which is not valid "
                       "Unicode text")
    assert counts(engine) == before


def test_a_lone_surrogate_in_a_subscription_variable_is_refused(http: Any, district: District) -> None:
    body = '{"query": ' + json.dumps(SUBSCRIBE) + ', "variables": {"projectId": "\\udfff"}}'
    message = refusal(post(http, body, "/graphql/stream", **SSE), 400, "BAD_REQUEST")
    assert message.startswith("variables.projectId contains a lone surrogate")


@pytest.mark.parametrize("path", ["/graphql", "/graphql/stream"])
def test_deeply_nested_json_is_a_400_in_the_error_shape(http: Any, district: District, path: str) -> None:
    message = refusal(post(http, "[" * 20_000, path, **SSE), 400, "BAD_REQUEST")
    assert message == "the body is nested more than 32 levels deep"


def test_nesting_the_decoder_accepts_is_still_limited(http: Any, engine: Engine, district: District) -> None:
    pid = district.project()
    before = counts(engine)
    deep = "[" * 40 + "]" * 40
    variables = '{"input": {"projectId": "' + to_global_id("Project", pid) + '", "event": "approve", "fields": ' + \
        '{"decision_no": ' + deep + "}}}"
    body = '{"query": ' + json.dumps(FIRE) + ', "variables": ' + variables + "}"
    message = refusal(post(http, body, token=district.tokens["committee"]), 400, "BAD_REQUEST")
    assert message.startswith("the body is nested more than 32 levels deep (at variables.input.fields.decision_no.0")
    assert counts(engine) == before


@pytest.mark.parametrize("amount", ["1e26", 1e26, "1e400", "99999999999999999999999999999999"])
def test_huge_funding_amounts_are_invalid_input(gql: Gql, engine: Engine, district: District, amount: Any) -> None:
    pid = district.project()
    before = counts(engine)
    data = {"projectId": to_global_id("Project", pid), "source": "CENTRAL", "amount": amount}
    result = gql("county_finance", SET_PLAN, {"input": data})["data"]["setFundingPlan"]
    code, message, path = only_user_error(result)
    assert (code, path) == ("INVALID_INPUT", ["input", "amount"])
    assert message.startswith("must be at most 9,999,999,999,999.99 yuan, got ")
    assert counts(engine) == before


def test_the_public_and_outsiders_hear_about_access_before_the_amount(gql: Gql, district: District) -> None:
    pid = district.project()
    data = {"projectId": to_global_id("Project", pid), "source": "CENTRAL", "amount": "1e26", "note": "\x00"}
    for user, code in [(None, "NOT_FOUND"), ("town_a_office", "NOT_FOUND"), ("deputy", "FORBIDDEN")]:
        result = gql(user, SET_PLAN, {"input": data})["data"]["setFundingPlan"]
        assert only_user_error(result)[0::2] == (code, ["input", "projectId"] if code == "NOT_FOUND" else []), user


@pytest.mark.parametrize("budget", ["1e26", "1e400"])
def test_a_huge_budget_is_invalid_input(gql: Gql, engine: Engine, district: District, budget: str) -> None:
    before = counts(engine)
    result = gql("county_office", CREATE, {"input": new_input(district, budget=budget)})["data"]["createProject"]
    code, message, path = only_user_error(result)
    assert (code, path) == ("INVALID_INPUT", ["input", "budget"])
    assert message in ("预算（元） is too large", "预算（元） must be at most 10000000000000")
    assert counts(engine) == before


def test_a_huge_whole_number_in_a_form_field_is_invalid_input(gql: Gql, engine: Engine, district: District) -> None:
    pid = district.project()
    before = counts(engine)
    data = {"projectId": to_global_id("Project", pid), "event": "approve",
            "fields": {"decision_no": "县人大〔2024〕1号", "votes_for": 10**30}}
    result = gql("committee", FIRE, {"input": data})["data"]["fireTransition"]
    assert only_user_error(result) == ("INVALID_INPUT", "votes_for must be between -2147483648 and 2147483647",
                                       ["input", "fields", "votes_for"])
    assert counts(engine) == before


# --- 8. lengths, control characters, dates ---------------------------------------------------------------------

@pytest.mark.parametrize("field, value, path, message", [
    ("code", "C" * 10_000, "code", "项目编号 must be at most 40 characters"),
    ("code", "PA\x0003", "code", "项目编号 must not contain U+0000 (at character 3): control characters are not "
                                "allowed"),
    ("title", "学校\x00运动场", "title", "项目名称 must not contain U+0000 (at character 3): control characters are "
                                      "not allowed"),
    ("title", "学校\u2028运动场", "title", "项目名称 must be a single line"),
    ("category", "教" * 61, "category", "类别 must be at most 60 characters"),
    ("target", "新增\x1b[31m学位", "target", "目标任务 must not contain U+001B (at character 3): control characters "
                                          "are not allowed"),
    ("description", "第一行\n第二行\x07", "description", "建设内容 must not contain U+0007 (at character 8): line "
                                                  "breaks and tabs are the only control characters allowed"),
    ("description", "x" * 10_001, "description", "建设内容 must be at most 10000 characters"),
    ("plannedEnd", "2024-04-30", "plannedEnd", "计划完成 must not be before 计划开工 (2024-05-01), got 2024-04-30"),
])
def test_create_refuses_bad_text_and_dates(gql: Gql, engine: Engine, district: District, field: str, value: str,
                                           path: str, message: str) -> None:
    before = counts(engine)
    data = new_input(district, plannedStart="2024-05-01", **{field: value})
    result = gql("county_office", CREATE, {"input": data})["data"]["createProject"]
    assert only_user_error(result) == ("INVALID_INPUT", message, ["input", path])
    assert counts(engine) == before


def test_multi_line_text_keeps_newlines_and_tabs(gql: Gql, district: District) -> None:
    data = new_input(district, description="第一行\r\n第二行\t(附表)", code="PA-99")
    assert gql("county_office", CREATE, {"input": data})["data"]["createProject"]["userErrors"] == []


def test_update_refuses_an_end_before_the_stored_start(gql: Gql, engine: Engine, district: District) -> None:
    import datetime as dt

    pid = district.project(planned_start=dt.date(2024, 5, 1))
    before = counts(engine)
    data = {"projectId": to_global_id("Project", pid), "plannedEnd": "2024-04-01"}
    result = gql("committee", UPDATE, {"input": data})["data"]["updateProject"]
    assert only_user_error(result) == ("INVALID_INPUT", "计划完成 must not be before 计划开工 (2024-05-01), got "
                                                        "2024-04-01", ["input", "plannedEnd"])
    data = {"projectId": to_global_id("Project", pid), "plannedStart": "2024-06-01", "plannedEnd": "2024-05-31"}
    result = gql("committee", UPDATE, {"input": data})["data"]["updateProject"]
    assert only_user_error(result)[2] == ["input", "plannedEnd"]
    assert counts(engine) == before


def test_comments_and_form_texts_refuse_control_characters(gql: Gql, engine: Engine, district: District) -> None:
    pid = district.project()
    before = counts(engine)
    base = {"projectId": to_global_id("Project", pid), "event": "approve", "fields": {"decision_no": "县人大1号"}}
    result = gql("committee", FIRE, {"input": {**base, "comment": "同意\x00"}})["data"]["fireTransition"]
    assert only_user_error(result) == ("INVALID_INPUT", "the comment must not contain U+0000 (at character 3): line "
                                       "breaks and tabs are the only control characters allowed",
                                       ["input", "comment"])
    result = gql("committee", FIRE, {"input": {**base, "comment": "x" * 2001}})["data"]["fireTransition"]
    assert only_user_error(result)[1:] == ("the comment must be at most 2000 characters", ["input", "comment"])
    fields = {"decision_no": "县人大\x7f1号"}
    result = gql("committee", FIRE, {"input": {**base, "fields": fields}})["data"]["fireTransition"]
    assert only_user_error(result) == ("INVALID_INPUT", "文号 must not contain U+007F (at character 4): control "
                                       "characters are not allowed", ["input", "fields", "decision_no"])
    assert counts(engine) == before


def test_plugin_texts_refuse_control_characters(gql: Gql, engine: Engine, district: District) -> None:
    pid = to_global_id("Project", district.project())
    before = counts(engine)
    data = {"projectId": pid, "source": "CENTRAL", "amount": "100", "note": "中央\x00资金"}
    result = gql("county_finance", SET_PLAN, {"input": data})["data"]["setFundingPlan"]
    assert only_user_error(result) == ("INVALID_INPUT", "must not contain U+0000 (at character 3): control "
                                       "characters are not allowed", ["input", "note"])
    data = {"projectId": pid, "kind": "SUPERVISION", "date": "2024-03-01", "result": "FINDINGS_ONLY",
            "inspectors": ["张\x00三"], "notes": "内部\x1b记录", "findings": []}
    result = gql("supervisor", RECORD_INSPECTION, {"input": data})["data"]["recordInspection"]
    assert [(e["path"], e["message"][:30]) for e in result["userErrors"]] == [
        (["input", "inspectors", "0"], "an inspector's name must not c"),
        (["input", "notes"], "must not contain U+001B (at ch")]
    assert counts(engine) == before
