"""The whole GraphQL schema fuzzed over HTTP with schemathesis: every query and mutation field, as the public, as
the county's government office and as a unit clerk, against a small district with projects, an inspection and a
rectification. Any answer with status ≥ 500, any ``INTERNAL_SERVER_ERROR``, any error without ``extensions.code``
and any ERROR log record or traceback fails the test. Mutations run for real: each example may leave data behind.

Bounded (``MAX_EXAMPLES`` per field and actor, derandomized) so the module stays within about a minute on SQLite.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.api.ids import to_global_id
from engine.api.throttle import CostLimits
from engine.transition import TransitionRequest, fire_transition
from plugins.inspection.inspections import Finding, NewInspection, record_inspection
from tests.district import District

MAX_EXAMPLES = int(os.environ.get("MINSHENG_FUZZ_EXAMPLES", "25"))  # per field and actor (CI: the default)
ACTORS = [None, "county_office", "edu_clerk"]  # None: the public
ID_TYPES = ["Project", "Project", "Region", "Region", "Unit", "Rectification", "Inspection", "Workflow", ""]
WORDS = [  # the district's and the workflows' vocabulary, so that generated strings often mean something
    "simple", "minsheng", "draft", "approved", "proposed", "in_progress", "done", "教育", "交通", "county",
    "approve", "finish", "pause", "resume", "drop", "assess", "reject", "start", "adjust", "complete",
    "fail_acceptance", "hand_over", "review", "fail_review", "rectified", "suspend", "terminate",
    "decision_no", "votes_for", "reason", "opinion", "score", "findings", "custodian", "completion_date",
    "2024-03-01", "2024-12-31", "人大常委会", "张三", "device-token-0123456789abcdef", "A-1",
    base64.b64encode(b"cursor:1").decode()]  # a cursor of the projects connection


def _json_values() -> st.SearchStrategy[Any]:
    """GraphQL literals of any JSON value: null, booleans, numbers, strings, lists and objects."""
    leaves = st.one_of(st.just(nodes.Null), st.booleans().map(nodes.Boolean),
                       st.integers(-(2**40), 2**40).map(nodes.Int),
                       st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
                       _texts().map(nodes.String))
    keys = st.sampled_from(WORDS) | st.text(max_size=8)
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.dictionaries(keys, inner, max_size=4).map(
            lambda d: nodes.Object([_field(k, v) for k, v in d.items()]))), max_leaves=8)


def _texts() -> st.SearchStrategy[str]:
    """Words of the domain, random text, and now and then a text longer than any limit."""
    return _mostly(st.sampled_from(WORDS), st.text(max_size=30), st.integers(200, 5000).map("长".__mul__))


def _mostly(valid: st.SearchStrategy[Any], *odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` about four times in five, else one of ``odd``: an operation has several arguments, and one bad
    argument stops the request before the deeper resolvers run."""
    return st.sampled_from([valid] * (4 * len(odd)) + list(odd)).flatmap(lambda chosen: chosen)


def _field(name: str, value: Any) -> Any:
    import graphql

    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)


def _decimals() -> st.SearchStrategy[Any]:
    """Amounts in yuan as strings or numbers: plausible ones, negative, too precise, huge, and junk."""
    plausible = st.decimals(min_value=-10**6, max_value=10**9, places=2, allow_nan=False).map(str)
    odd = st.sampled_from(["0", "0.001", "-1", "1e400", "1E-400", "NaN", "Infinity", "-0", "3000000.00",
                           "9" * 40, " 12 ", "12,5", "", "abc", "0x10"])
    return _mostly(plausible.map(nodes.String), odd.map(nodes.String), st.integers(-(2**70), 2**70).map(nodes.Int),
                   st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float))


def _ids() -> st.SearchStrategy[Any]:
    """Relay ids: mostly of objects that exist in the district (small database ids), some out of range or junk,
    so that resolvers are reached and not only argument validation."""
    known = st.builds(to_global_id, st.sampled_from(ID_TYPES), st.integers(1, 8))
    far = st.builds(to_global_id, st.sampled_from(ID_TYPES), st.integers(-1, 2**40))
    junk = st.one_of(st.text(max_size=12), st.sampled_from(["UHJvamVjdDo=", "UHJvamVjdDow", "Og==", "1"]))
    return _mostly(known, far, junk).map(nodes.String)


def _ints() -> st.SearchStrategy[Any]:
    """Mostly small counts, years and page sizes (so that arguments pass validation), some at the edges."""
    edges = st.sampled_from([-1, 0, 100, 101, 2023, 2024, 2025, 2**31 - 1, -(2**31)])
    return _mostly(st.integers(1, 30), st.integers(-3, 120), edges).map(nodes.Int)


def _dates(dates: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Dates (or date-times) near the district's clock (2024-03-01), any others, and junk."""
    junk = st.sampled_from(["", "2024-02-30", "2024-13-01", "0000-01-01", "tomorrow", "2024-03-01T09:00:00"])
    return _mostly(dates, junk).map(nodes.String)


NEAR = {"min_value": dt.date(2023, 1, 1), "max_value": dt.date(2025, 12, 31)}
NEAR_TIMES = {k: dt.datetime.combine(v, dt.time()) for k, v in NEAR.items()}


schemathesis.graphql.scalar("Decimal", _decimals())
schemathesis.graphql.scalar("JSON", _json_values())
schemathesis.graphql.scalar("ID", _ids())
schemathesis.graphql.scalar("String", _texts().map(nodes.String))
schemathesis.graphql.scalar("Int", _ints())
# a JSON request cannot carry a file: whatever stands in its place must come back as a userError (["file"])
schemathesis.graphql.scalar("Upload", _texts().map(nodes.String))
schemathesis.graphql.scalar("Date", _dates(st.dates(**NEAR).map(str) | st.dates().map(str)))
schemathesis.graphql.scalar("DateTime", _dates(st.datetimes(**NEAR_TIMES).map(dt.datetime.isoformat)
                                               | st.datetimes().map(dt.datetime.isoformat)))


def _seed(district: District) -> None:
    """Projects in several regions and states (draft, approved and public), one inspection with a rectification."""
    approved = district.project()
    district.project(region="town_a", title="东城镇道路改造", lead_unit_id=district.units["housing"])
    district.project(workflow="minsheng", title="老旧小区改造")
    district.project(region="town_b", lead_unit_id=None)
    fire_transition(district.engine, district.actor("committee"),
                    TransitionRequest(approved, "approve", {"decision_no": "A-1"}))
    record_inspection(district.engine, district.actor("supervisor"), approved, NewInspection(
        kind="supervision", held_on="2024-03-01", result="findings_only", inspectors=["张三"], notes="",
        findings=[Finding(description="围栏破损", deadline="2024-03-31")]))


@pytest.fixture(params=ACTORS, ids=lambda who: who or "public")
def who(request: pytest.FixtureRequest) -> str | None:
    return request.param


@pytest.fixture
def fuzzed_http(engine, district: District) -> Iterator[TestClient]:
    """A client of the app over a seeded district, its lifespan running (commits reach the subscription broker),
    with budgets too large to throttle the fuzzer (the time limit is kept)."""
    _seed(district)
    limits = CostLimits(max_cost=25_000, actor_rate=10**9, public_rate=10**9)
    with TestClient(create_app(engine, ApiSettings(introspection=True, cost_limits=limits))) as client:
        yield client


# The checked-in schema (tests/test_api_schema_file.py keeps it equal to the app's), so operations are known when
# tests are collected: schemathesis's fixture-loaded schemas need pytest < 9.
schema = schemathesis.graphql.from_path(Path(__file__).parent.parent / "schema.graphql")
schema.location = "/graphql"  # where the operations are sent (as schemathesis.graphql.from_asgi sets it)
# Valid documents only: the scalars above carry the junk (bad ids, amounts, dates, texts, out-of-range ints), so
# what is generated reaches the resolvers; documents invalid in shape only exercise graphql-core's validation.
schema.config.generation.update(modes=["positive"])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error(case, who: str | None, district: District, fuzzed_http: TestClient,
                         caplog: pytest.LogCaptureFixture) -> None:
    """The generated operation, POSTed as JSON (what schemathesis's own transport sends), is answered without a
    server error: below 500, every error with a code that is not INTERNAL_SERVER_ERROR, nothing logged as ERROR."""
    headers = {"Authorization": f"Bearer {district.tokens[who]}"} if who else {}
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = fuzzed_http.post("/graphql", json={"query": case.body}, headers=headers)
    assert response.status_code < 500, (response.status_code, case.body, response.text)
    for error in response.json().get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code is not None, (case.body, error)
        assert code != "INTERNAL_SERVER_ERROR", (case.body, error)
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not problems, (case.body, [r.getMessage() for r in problems], caplog.text)
    assert "Traceback" not in response.text
