"""Personal data of suggestions (建议人, 联系电话): encrypted at rest, shown only to the region's offices, never in
public reads, the journal, the audit table or the logs, and erased on request by ``minsheng suggestion erase``."""
from __future__ import annotations

import json
import logging
import shutil

import pytest
from pony import orm

from engine.cli.main import main
from engine.storage.sql import Sql
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.participation_support import (ACCEPT, DECLINE, FATE, LIST, Gql, open_call, pii_key,  # noqa: F401
                                         submit)

NAME, PHONE = "王建国7", "13800000007"


def every_text_in_the_database(engine) -> str:
    """Every value of every table, as text (what a stolen copy of the database holds)."""
    with orm.db_session:
        sql = Sql(engine.db)
        if sql.sqlite:
            tables = [r[0] for r in sql.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [r[0] for r in sql.all("SELECT table_name FROM information_schema.tables"
                                            " WHERE table_schema = current_schema()")]
        return "\n".join(repr(row) for table in tables for row in sql.all(f"SELECT * FROM {table}"))


@pytest.fixture
def workflows_folder(tmp_path, monkeypatch):
    """The CLI loads the same workflow files as the tests' engine."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in (DEFAULT_WORKFLOW, SIMPLE_WORKFLOW):
        shutil.copy(path, folder / path.name)
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(folder))
    return folder


def test_personal_data_is_sealed_shown_to_the_office_only_and_never_logged(gql: Gql, district, engine,
                                                                           caplog) -> None:
    caplog.set_level(logging.DEBUG)
    call_id = open_call(gql, district)
    done = submit(gql, None, call_id, 7)
    other = submit(gql, "county_office", call_id, 8, channel="HOTLINE", hotlineTicket="GD-1")
    assert NAME not in json.dumps(done, ensure_ascii=False) and PHONE not in json.dumps(done)
    stored = every_text_in_the_database(engine)
    assert NAME not in stored and PHONE not in stored and "王建国8" not in stored
    with orm.db_session:
        sealed = Sql(engine.db).one("SELECT contact_name_enc, contact_phone_enc FROM participation_suggestion"
                                    " WHERE id = 1")
    assert all(value and value.startswith("gAAAA") for value in sealed)  # Fernet tokens
    office = gql("county_office", LIST, {})["data"]["suggestions"]["items"]
    assert [(s["contactName"], s["contactPhone"]) for s in office] == [(NAME, PHONE), ("王建国8", "13800000008")]
    suggestion_ids = [s["id"] for s in office]
    gql("county_office", DECLINE, {"input": {"suggestionIds": suggestion_ids[:1], "reason": "不属于民生实事范围"}})
    gql("county_office", ACCEPT, {"input": {"suggestionIds": suggestion_ids[1:], "project": {"budget": "80000"}}})
    for reader in (None, "deputy", "edu_clerk", "town_b_office", "supervisor"):
        reads = [gql(reader, LIST, {}), gql(reader, FATE, {"receipt": done["receipt"]}),
                 gql(reader, "{ projects(first: 50) { edges { node { title history { fields } } } } }")]
        assert all("errors" not in body for body in reads), reads
        seen = json.dumps(reads, ensure_ascii=False)
        assert NAME not in seen and PHONE not in seen and "王建国8" not in seen
    office_reads = json.dumps([gql("county_office", FATE, {"receipt": done["receipt"]}), gql(
        "county_office", "{ projects(first: 50) { edges { node { title history { fields } } } } }")],
        ensure_ascii=False)
    assert "source_suggestions" in office_reads and NAME not in office_reads and "王建国8" not in office_reads
    with orm.db_session:
        sql = Sql(engine.db)
        audit = repr(sql.all("SELECT * FROM audit_record")) + repr(sql.all("SELECT * FROM participation_journal"))
    assert "source_suggestions" in audit and NAME not in audit and "王建国8" not in audit and PHONE not in audit
    assert caplog.records and NAME not in caplog.text and PHONE not in caplog.text and "王建国8" not in caplog.text
    assert other["userErrors"] == []


def test_erasure_by_receipt_code_keeps_the_content(gql: Gql, district, engine, db_url, workflows_folder,
                                                  capsys) -> None:
    call_id = open_call(gql, district)
    done = submit(gql, None, call_id, 7)
    assert main(["suggestion", "erase", done["receipt"], "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "suggestion 1: personal data erased"
    [item] = gql("county_office", LIST, {})["data"]["suggestions"]["items"]
    assert (item["contactName"], item["contactPhone"]) == (None, None)
    assert item["personalDataErasedAt"] is not None and item["content"] == "第7条：村道坑洼，雨天积水"
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.one("SELECT contact_name_enc, contact_phone_enc FROM participation_suggestion") == (None, None)
        [(action, detail)] = sql.all("SELECT action, detail FROM participation_journal WHERE action LIKE"
                                     " 'personal%'")
    assert (action, json.loads(detail)) == ("personal_data_erased", {"had_personal_data": True})
    assert gql(None, FATE, {"receipt": done["receipt"]})["data"]["suggestionFate"]["title"] == "建议7：修缮村道"
    assert main(["suggestion", "erase", done["receipt"], "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "suggestion 1: no personal data left to erase"
    assert main(["suggestion", "erase", "AAAA-BBBB-CCCC-DDDD", "--db", db_url]) == 2
    assert capsys.readouterr().err.strip() == "error: no suggestion has this receipt code"
    assert main(["suggestion", "list", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == ["1\tcall 1\t待筛选\t网站\t建议7：修缮村道", "1 suggestion(s)"]


def test_without_a_key_personal_data_is_refused_with_what_to_set(gql: Gql, district, monkeypatch) -> None:
    call_id = open_call(gql, district)
    monkeypatch.delenv("MINSHENG_PII_KEY")
    [error] = submit(gql, None, call_id, 1)["userErrors"]
    assert error["code"] == "CONFIGURATION" and "set MINSHENG_PII_KEY to a Fernet key" in error["message"]
    assert submit(gql, None, call_id, 2, contactName=None, contactPhone=None)["userErrors"] == []
    assert len(gql("county_office", LIST, {})["data"]["suggestions"]["items"]) == 1


def test_a_rotated_key_still_reads_what_the_old_one_sealed(gql: Gql, district, monkeypatch, pii_key,
                                                           clock) -> None:
    from cryptography.fernet import Fernet

    call_id = open_call(gql, district)
    submit(gql, None, call_id, 7)
    monkeypatch.setenv("MINSHENG_PII_KEY", f"{Fernet.generate_key().decode()},{pii_key}")
    [item] = gql("county_office", LIST, {})["data"]["suggestions"]["items"]
    assert item["contactName"] == NAME
    monkeypatch.setenv("MINSHENG_PII_KEY", Fernet.generate_key().decode())
    # another page size: a new result-cache key (a kept answer is kept until the next write or the next day)
    [item] = gql("county_office", LIST, {"first": 49})["data"]["suggestions"]["items"]
    assert item["contactName"] == "（无法解密）"
