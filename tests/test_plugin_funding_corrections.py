"""Funding corrections 冲正, duplicate receipts, idempotent retries, final states and the funding records in the
projects' hash chains, through GraphQL over HTTP and ``minsheng audit verify``."""
from __future__ import annotations

from typing import Any, Callable

import json

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.cli import main
from engine.core import Engine
from engine.storage.sql import Sql
from engine.workflow.loader import parse_definition
from engine.errors import InvalidDefinition
from tests.district import District
from tests.test_plugin_funding import FLOW, engine, fire, new_project  # noqa: F401 - the module's engine fixture

Gql = Callable[..., dict]

ERRORS = "userErrors { code message path }"
FIGURES = "planned received paid inPlaceRate disbursementRate"
SET_PLAN = f"""mutation($input: SetFundingPlanInput!) {{ setFundingPlan(input: $input) {{
    line {{ id amount }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($input: RecordFundsReceivedInput!) {{ recordFundsReceived(input: $input) {{
    receipt {{ id amount documentNo duplicateIntended }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
PAY = f"""mutation($input: RecordFundsPaidInput!) {{ recordFundsPaid(input: $input) {{
    payment {{ id amount }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
REVERSE = f"""mutation($input: ReverseFundingEntryInput!) {{ reverseFundingEntry(input: $input) {{
    correction {{ id reverses amount reason recordedBy recordedAt }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
LISTS = """query($id: ID!) { project(id: $id) { funding { received inPlaceRate
    receipts { id amount reverses reversedBy reason } planLines(history: true) { id amount reverses reason } } } }"""
HISTORY = """query($id: ID!, $kinds: [String!]) { project(id: $id) { history(first: 50, kinds: $kinds) {
    seq kind event fields } } }"""
DOC = "财预〔2024〕12号"


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def mutate(gql: Gql, username: str, query: str, field: str, **values: Any) -> dict:
    body = gql(username, query, {"input": values})
    assert "errors" not in body, body
    return body["data"][field]


def planned(gql: Gql, pid: int, amount: str = "1000000") -> dict:
    return mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="CENTRAL",
                  amount=amount)


def receive(gql: Gql, pid: int, amount: str = "300000", **more: Any) -> dict:
    values = {"documentNo": DOC, "receivedOn": "2024-02-20", **more}
    return mutate(gql, "county_finance", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="CENTRAL",
                  amount=amount, **values)


def reverse(gql: Gql, pid: int, entry: str, reason: str = "重复录入", username: str = "county_finance",
            **more: Any) -> dict:
    return mutate(gql, username, REVERSE, "reverseFundingEntry", projectId=gid(pid), entryId=entry, reason=reason,
                  **more)


def rows(engine: Engine, table: str, pid: int) -> int:
    with orm.db_session:
        return Sql(engine.db).scalar(f"SELECT COUNT(*) FROM {table} WHERE project_id = ?", (pid,))


def test_a_duplicated_receipt_is_refused_unless_intended_and_its_reversal_restores_the_rate(
        gql: Gql, district: District, engine: Engine) -> None:
    pid = new_project(district)
    planned(gql, pid)
    first = receive(gql, pid)
    assert (first["funding"]["received"], first["funding"]["inPlaceRate"]) == ("300000.00", "30.00")

    again = receive(gql, pid)
    assert again["receipt"] is None and again["userErrors"] == [{
        "code": "INVALID_INPUT", "path": ["input", "documentNo"],
        "message": f"receipt {first['receipt']['id'] and _db_id(first['receipt']['id'])} of 2024-02-20 already "
                   f"records 300,000.00 yuan from this source under document {DOC}: reverse that receipt if it was a "
                   "mistake, or set duplicateIntended: true if this is a second receipt on purpose"}]
    assert rows(engine, "funding_receipt", pid) == 1

    twice = receive(gql, pid, duplicateIntended=True)
    assert twice["userErrors"] == [] and twice["receipt"]["duplicateIntended"] is True
    assert twice["funding"]["inPlaceRate"] == "60.00"

    done = reverse(gql, pid, twice["receipt"]["id"])
    assert done["userErrors"] == []
    correction = done["correction"]
    assert (correction["reverses"], correction["amount"], correction["reason"], correction["recordedBy"]) == (
        twice["receipt"]["id"], "-300000.00", "重复录入", "county_finance")
    assert (done["funding"]["received"], done["funding"]["inPlaceRate"]) == ("300000.00", "30.00")

    listed = gql("county_finance", LISTS, {"id": gid(pid)})["data"]["project"]["funding"]
    assert listed["inPlaceRate"] == "30.00"
    by_id = {r["id"]: r for r in listed["receipts"]}
    assert by_id[twice["receipt"]["id"]]["reversedBy"] == correction["id"]
    assert by_id[correction["id"]] == {"id": correction["id"], "amount": "-300000.00",
                                       "reverses": twice["receipt"]["id"], "reversedBy": None, "reason": "重复录入"}
    assert by_id[first["receipt"]["id"]]["reversedBy"] is None

    # once reversed, the same receipt may be recorded again without being a duplicate of the reversed one
    assert rows(engine, "funding_receipt", pid) == 3


def _db_id(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


def test_a_correction_of_a_correction_a_second_reversal_and_another_projects_entry_are_refused(
        gql: Gql, district: District, engine: Engine) -> None:
    pid, other = new_project(district), new_project(district)
    planned(gql, pid)
    receipt = receive(gql, pid)["receipt"]["id"]
    correction = reverse(gql, pid, receipt)["correction"]["id"]
    cases = [
        (pid, correction, f"receipt {_db_id(correction)} is itself a correction (of receipt {_db_id(receipt)}); a "
                          "correction is never reversed: record the right entry instead"),
        (pid, receipt, f"receipt {_db_id(receipt)} was already reversed by receipt {_db_id(correction)}"),
        (other, receipt, f"receipt {_db_id(receipt)} is not a record of project {other}: a correction reverses a "
                         "record of its own project"),
    ]
    for project, entry, message in cases:
        result = reverse(gql, project, entry, "再冲一次")
        assert result["userErrors"] == [{"code": "INVALID_INPUT", "path": ["input", "entryId"], "message": message}]
        assert result["correction"] is None
    assert rows(engine, "funding_receipt", pid) == 2 and rows(engine, "funding_receipt", other) == 0
    missing_reason = reverse(gql, pid, receipt, "  ")
    assert missing_reason["userErrors"][0]["path"] == ["input", "reason"]


def test_reversal_is_scoped_by_the_one_access_rule(gql: Gql, district: District, engine: Engine) -> None:
    pid = new_project(district, region="town_a")
    planned(gql, pid)
    receipt = receive(gql, pid)["receipt"]["id"]
    outside = reverse(gql, pid, receipt, username="town_b_office")
    assert outside["userErrors"] == [{"code": "NOT_FOUND", "path": ["input", "projectId"],
                                      "message": f"project {pid} does not exist"}]
    wrong_role = reverse(gql, pid, receipt, username="committee")
    assert wrong_role["userErrors"][0]["code"] == "FORBIDDEN"
    assert rows(engine, "funding_receipt", pid) == 1


def test_payments_and_plan_lines_are_reversed_too(gql: Gql, district: District, engine: Engine) -> None:
    pid = new_project(district)
    first_line = planned(gql, pid, "1000000")["line"]["id"]
    wrong_line = planned(gql, pid, "2000000")
    assert wrong_line["funding"]["planned"] == "2000000.00"
    undone = reverse(gql, pid, wrong_line["line"]["id"], "多录一个零")
    assert (undone["correction"]["amount"], undone["funding"]["planned"]) == ("1000000.00", "1000000.00")
    stale = reverse(gql, pid, first_line, "旧计划")
    assert stale["userErrors"][0]["message"] == (f"plan line {_db_id(first_line)} is no longer in force (a later "
                                                 "line replaced it); set the plan again instead")

    receipt = receive(gql, pid)["receipt"]["id"]
    paid = mutate(gql, "county_finance", PAY, "recordFundsPaid", projectId=gid(pid), amount="200000",
                  payee="县建筑公司")
    assert paid["funding"]["disbursementRate"] == "66.67"
    blocked = reverse(gql, pid, receipt, "文号错误")
    assert blocked["userErrors"] == [{"code": "CONFLICT", "path": ["input", "entryId"], "message": (
        "reversing this receipt would leave more paid out (200,000.00 yuan) than received (0.00 yuan): reverse "
        "the payments first")}]
    payment_undone = reverse(gql, pid, paid["payment"]["id"], "付错单位")
    assert (payment_undone["correction"]["amount"], payment_undone["funding"]["paid"]) == ("-200000.00", "0.00")
    assert reverse(gql, pid, receipt, "文号错误")["funding"]["received"] == "0.00"


def test_retried_requests_with_an_idempotency_key_answer_the_first_result_and_write_nothing(
        gql: Gql, district: District, engine: Engine) -> None:
    pid = new_project(district)
    lines = [planned(gql, pid) for _ in range(1)]
    key = {"idempotencyKey": "receipt-0001"}
    first, retry = receive(gql, pid, **key), receive(gql, pid, **key)
    assert first["userErrors"] == retry["userErrors"] == []
    assert retry["receipt"] == first["receipt"] and rows(engine, "funding_receipt", pid) == 1
    plan_key = {"idempotencyKey": "plan-0001"}
    once = mutate(gql, "county_office", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="TOWN",
                  amount="10", **plan_key)
    again = mutate(gql, "county_office", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="TOWN",
                   amount="10", **plan_key)
    assert again["line"] == once["line"] and rows(engine, "funding_plan", pid) == len(lines) + 1
    reversal = {"idempotencyKey": "reverse-0001"}
    undone, undone_again = (reverse(gql, pid, first["receipt"]["id"], **reversal),
                            reverse(gql, pid, first["receipt"]["id"], **reversal))
    assert undone_again["userErrors"] == [] and undone_again["correction"] == undone["correction"]
    assert rows(engine, "funding_receipt", pid) == 2
    reused = mutate(gql, "county_finance", PAY, "recordFundsPaid", projectId=gid(pid), amount="1", payee="某公司",
                    **key)
    assert reused["userErrors"] == [{"code": "INVALID_INPUT", "path": ["input", "idempotencyKey"], "message": (
        f"this key was already used for 'record_receipt' on project {pid}; use a new key")}]
    with orm.db_session:  # each write is one chain record: the retries added none
        kinds = Sql(engine.db).all("SELECT kind, event FROM audit_record WHERE project_id = ? AND seq > 1"
                                   " ORDER BY seq", (pid,))
    assert kinds == [("funding", "set_plan"), ("funding", "record_receipt"), ("funding", "set_plan"),
                     ("correction", "reverse_receipt")]


def test_a_project_in_a_final_state_takes_no_funding_records(gql: Gql, district: District, engine: Engine) -> None:
    pid = new_project(district)
    planned(gql, pid, "3000000")
    fire(engine, district, "committee", pid, "approve")
    receipt = receive(gql, pid, amount="1000000")["receipt"]["id"]
    fire(engine, district, "county_office", pid, "start")
    fire(engine, district, "committee", pid, "grade_top")
    refused = receive(gql, pid, amount="5", documentNo="另一文号")
    assert refused["userErrors"] == [{"code": "FORBIDDEN", "path": [], "message": (
        "the project is 已评定 (graded), a final state: it takes no more funding records (资金) (the workflow's state "
        "'graded' does not list 'funding' in its records)")}]
    assert reverse(gql, pid, receipt)["userErrors"][0]["code"] == "FORBIDDEN"
    assert rows(engine, "funding_receipt", pid) == 1


def test_a_workflow_names_the_records_a_final_state_still_takes_checked_with_file_and_line(
        engine: Engine) -> None:
    kinds = engine.catalog.record_kinds
    guards, actions = engine.catalog.guards, engine.catalog.actions
    allowed = FLOW.replace("graded:      {label: 已评定, final: true, public: true}",
                           "graded:      {label: 已评定, final: true, public: true, records: [funding]}")
    assert parse_definition(allowed, "flow.yaml", guards, actions, kinds).states["graded"].records == ("funding",)
    bad = FLOW.replace("graded:      {label: 已评定, final: true, public: true}",
                       "graded:      {label: 已评定, final: true, public: true, records: [funds]}").replace(
        "approved:    {label: 确定, public: true}", "approved:    {label: 确定, public: true, records: [funding]}")
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(bad, "flow.yaml", guards, actions, kinds)
    assert [str(p) for p in caught.value.problems] == [
        "flow.yaml:10: state 'approved': records: only a final state lists the records it still takes; every other "
        "state takes them all",
        f"flow.yaml:12: state 'graded': records: unknown record kind 'funds'; the plugins' kinds are: "
        f"{', '.join(sorted(kinds))}"]


def test_funding_records_are_in_the_history_and_filtered_by_kind(gql: Gql, district: District) -> None:
    pid = new_project(district)
    planned(gql, pid)
    receipt = receive(gql, pid)["receipt"]["id"]
    reverse(gql, pid, receipt)
    history = gql("county_finance", HISTORY, {"id": gid(pid), "kinds": ["funding", "correction"]})
    entries = history["data"]["project"]["history"]
    assert [(e["kind"], e["event"]) for e in entries] == [("correction", "reverse_receipt"),
                                                         ("funding", "record_receipt"), ("funding", "set_plan")]
    fields = entries[0]["fields"]
    assert (fields["table"], fields["reverses_id"], fields["amount_fen"], fields["reason"]) == (
        "funding_receipt", _db_id(receipt), -30000000, "重复录入")
    everything = gql("county_finance", HISTORY, {"id": gid(pid)})["data"]["project"]["history"]
    assert [e["kind"] for e in everything][-1] == "create" and len(everything) == 4
    public = gql(None, HISTORY, {"id": gid(pid), "kinds": ["funding"]})["data"]["project"]
    assert public is None or public["history"] == []


def tamper(engine: Engine, statement: str, params: tuple) -> None:
    with orm.db_session:
        Sql(engine.db).execute(statement, params)


def verify(db_url: str, capsys: Any) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", db_url])
    captured = capsys.readouterr()
    assert code != 2, captured.err
    return code, captured.out


def test_audit_verify_catches_a_funding_row_changed_deleted_or_added_in_sql(
        gql: Gql, district: District, engine: Engine, db_url: str, capsys: Any) -> None:
    pid = district.project()  # the simple workflow: the command loads it without this module's test plugin
    planned(gql, pid)
    receipt = _db_id(receive(gql, pid)["receipt"]["id"])
    with orm.db_session:
        code, seq = Sql(engine.db).one("SELECT code, audit_seq FROM project WHERE id = ?", (pid,))
    assert verify(db_url, capsys) == (0, "1 chain(s) checked, 0 broken\n")

    tamper(engine, "UPDATE funding_receipt SET amount_fen = ? WHERE id = ?", (90000000, receipt))
    status, out = verify(db_url, capsys)
    assert status == 1
    assert (f"BROKEN project {code} (id {pid}), record {seq}: funds received 资金到位 {receipt} (funding_receipt) "
            "does not match its history record (altered): amount_fen is 90000000 in the table but 30000000 in the "
            "history") in out
    tamper(engine, "UPDATE funding_receipt SET amount_fen = ? WHERE id = ?", (30000000, receipt))
    assert verify(db_url, capsys)[0] == 0

    tamper(engine, "DELETE FROM funding_receipt WHERE id = ?", (receipt,))
    status, out = verify(db_url, capsys)
    assert status == 1 and (f"BROKEN project {code} (id {pid}), record {seq}: funds received 资金到位 {receipt} "
                            "(funding_receipt) is in the history but missing from the table (deleted)") in out

    other = district.project()
    planned(gql, other)
    tamper(engine, "INSERT INTO funding_payment (project_id, amount_fen, paid_on, payee, purpose, recorded_by_name,"
                   " recorded_at) VALUES (?, 100, '2024-02-01', '某公司', '', 'x', '2024-02-01 00:00:00')", (other,))
    with orm.db_session:
        forged = Sql(engine.db).scalar("SELECT MAX(id) FROM funding_payment WHERE project_id = ?", (other,))
    status, out = verify(db_url, capsys)
    assert status == 1 and (f"(id {other}): funds paid out 资金拨付 {forged} (funding_payment) is not in the "
                            "history (written outside the engine)") in out
    assert out.strip().endswith("2 broken")


def test_records_written_before_the_upgrade_join_the_chain_in_order(db_url: str, capsys: Any) -> None:
    import hashlib

    from engine.core import all_migrations
    from engine.plugins import make_plugin_manager
    from engine.storage import migrations
    from engine.storage.db import new_database
    from tests.conftest import SIMPLE_WORKFLOW

    every = all_migrations(make_plugin_manager([], (), entry_points=False))
    db, target = new_database(db_url)
    before = {"funding": 1, "inspection": 1, "satisfaction": 3}  # the schema before records joined the chains
    migrations.upgrade(db, target, [m for m in every if m.number <= before.get(m.component, m.number)])
    source = SIMPLE_WORKFLOW.read_text(encoding="utf-8")
    with orm.db_session:
        sql = Sql(db)
        sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                    ("simple", 1, hashlib.sha256(source.encode()).hexdigest(), source, "2024-01-01 00:00:00"))
        sql.execute("INSERT INTO region (code, name, level, parent_id, path) VALUES ('county', '平安县', 'county', NULL,"
                    " '/1/')")
        sql.execute("INSERT INTO project (code, title, year, category, region_id, region_path, lead_unit_id, budget,"
                    " workflow_id, state, version, audit_seq, audit_head, created_at, updated_at) VALUES"
                    " ('2024-00001', '城区学校运动场改造', 2024, '教育', 1, '/1/', NULL, 3000000.00, 1, 'draft', 1, 0, ?,"
                    " '2024-01-01 00:00:00', '2024-01-01 00:00:00')", ("0" * 64,))
        sql.execute("INSERT INTO funding_plan (project_id, source, kind, amount_fen, note, set_by_id, set_by_name,"
                    " set_at) VALUES (1, 'central', '', 100000000, '', 7, '财政', '2024-01-05 10:00:00')")
        for fen, document, at in ((30000000, "一号", "2024-03-01 09:00:00"), (20000000, "二号", "2024-02-01 09:00:00")):
            sql.execute("INSERT INTO funding_receipt (project_id, source, kind, amount_fen, received_on, document_no,"
                        " recorded_by_id, recorded_by_name, recorded_at) VALUES (1, 'central', '', ?, ?, ?, 7, '财政',"
                        " ?)", (fen, at[:10], document, at))
        sql.execute("INSERT INTO funding_payment (project_id, amount_fen, paid_on, payee, purpose, recorded_by_id,"
                    " recorded_by_name, recorded_at) VALUES (1, 5000000, '2024-02-15', '县建筑公司', '进度款', 7, '财政',"
                    " '2024-02-15 11:00:00')")
        sql.execute("INSERT INTO inspection_record (project_id, kind, held_on, inspectors, result, notes, recorded_by,"
                    " recorded_at) VALUES (1, 'acceptance', '2024-02-10', '[\"张三\"]', 'pass', NULL, NULL,"
                    " '2024-02-10 15:00:00')")
        sql.execute("INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash, rated_at)"
                    " VALUES (1, 'resident', 80, 'satisfied', 'abc', '2024-02-12 08:00:00')")
    db.disconnect()

    assert main(["db", "upgrade", "--db", db_url]) == 0
    applied = capsys.readouterr().out
    assert all(f"applied {name}" in applied for name in ("funding 3", "inspection 3", "satisfaction 5"))
    db, target = new_database(db_url)
    with orm.db_session:
        sql = Sql(db)
        chained = sql.all("SELECT seq, kind, event, actor_id, actor_name, at, fields FROM audit_record"
                          " WHERE project_id = 1 ORDER BY seq")
        head = sql.one("SELECT audit_seq FROM project WHERE id = 1")
    db.disconnect()
    assert [(seq, kind, event, actor_id, actor_name, str(at)[:19]) for seq, kind, event, actor_id, actor_name, at, _
            in chained] == [(1, "funding", "set_plan", 7, "财政", "2024-01-05 10:00:00"),
                            (2, "funding", "record_receipt", 7, "财政", "2024-02-01 09:00:00"),
                            (3, "funding", "record_payment", 7, "财政", "2024-02-15 11:00:00"),
                            (4, "funding", "record_receipt", 7, "财政", "2024-03-01 09:00:00"),
                            (5, "inspection", "record_inspection", None, "系统", "2024-02-10 15:00:00"),
                            (6, "rating", "rate_project", None, "群众", "2024-02-12 08:00:00")]
    assert [json.loads(fields)["record"] for *_, fields in chained] == [1, 2, 1, 1, 1, 1]
    assert "abc" not in chained[5][6] and "张三" not in chained[4][6]  # no device hash, no inspector's name
    assert json.loads(chained[3][6])["amount_fen"] == 30000000 and head == (6,)
    code, out = verify(db_url, capsys)
    assert (code, out) == (0, "1 chain(s) checked, 0 broken\n"), out
