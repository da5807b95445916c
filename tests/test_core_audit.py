"""The audit log's hash chain, verified through ``minsheng audit verify``."""
from __future__ import annotations

import pytest
from pony import orm

from engine.cli import main
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition


def build_history(engine, district) -> tuple[int, int]:
    first, second = district.project(), district.project()
    committee, office = district.actor("committee"), district.actor("county_office")
    for pid in (first, second):
        fire_transition(engine, committee, TransitionRequest(pid, "approve", {"decision_no": "平人常〔2024〕3号"}))
        fire_transition(engine, office, TransitionRequest(pid, "pause", {}, comment="雨季停工"))
    return first, second


def tamper(engine, statement: str, params: tuple) -> None:
    """What someone with the database's admin rights could do: lift the append-only triggers, then change rows."""
    with orm.db_session:
        sql = Sql(engine.db)
        if sql.sqlite:
            sql.execute("DROP TRIGGER audit_record_no_update")
            sql.execute("DROP TRIGGER audit_record_no_delete")
        else:
            sql.execute("DROP TRIGGER audit_record_no_change ON audit_record")
        sql.execute(statement, params)


def test_the_database_refuses_to_change_audit_records(engine, district):
    first, _ = build_history(engine, district)
    for statement in ("UPDATE audit_record SET comment = 'x' WHERE project_id = ?",
                      "DELETE FROM audit_record WHERE project_id = ?"):
        with pytest.raises(orm.DatabaseError, match="audit records are append-only"):
            with orm.db_session:
                Sql(engine.db).execute(statement, (first,))


def verify(db_url: str, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", db_url])
    return code, capsys.readouterr().out


def test_intact_chains_verify(engine, district, db_url, capsys):
    build_history(engine, district)
    code, out = verify(db_url, capsys)
    assert code == 0
    assert out.strip().endswith("2 chain(s) checked, 0 broken")


def test_altered_fields_are_caught_at_that_record(engine, district, db_url, capsys):
    first, _ = build_history(engine, district)
    tamper(engine, "UPDATE audit_record SET fields = ? WHERE project_id = ? AND seq = 2",
           ('{"decision_no":"forged"}', first))
    code, out = verify(db_url, capsys)
    assert code == 1
    code_of_first = "2024-00001"
    assert f"BROKEN project {code_of_first} (id {first}), record 2: content does not match its hash (altered)" in out
    assert "2 chain(s) checked, 1 broken" in out


def test_altered_actor_or_time_is_caught(engine, district, db_url, capsys):
    _, second = build_history(engine, district)
    tamper(engine, "UPDATE audit_record SET actor_name = ? WHERE project_id = ? AND seq = 3", ("someone else", second))
    code, out = verify(db_url, capsys)
    assert code == 1 and f"(id {second}), record 3: content does not match its hash" in out


def test_deleted_record_is_caught(engine, district, db_url, capsys):
    first, _ = build_history(engine, district)
    tamper(engine, "DELETE FROM audit_record WHERE project_id = ? AND seq = 2", (first,))
    code, out = verify(db_url, capsys)
    assert code == 1 and f"(id {first}), record 2: record 2 is missing" in out


def test_removed_last_record_is_caught(engine, district, db_url, capsys):
    first, _ = build_history(engine, district)
    tamper(engine, "DELETE FROM audit_record WHERE project_id = ? AND seq = 3", (first,))
    code, out = verify(db_url, capsys)
    assert code == 1 and "the log ends at record 2 but the project has 3 records" in out


def test_rehashed_forgery_breaks_the_link_to_the_next_record(engine, district, db_url, capsys):
    """A forger who recomputes one record's hash still breaks the next record's link."""
    from engine.audit import AuditEntry

    first, _ = build_history(engine, district)
    with orm.db_session:
        sql = Sql(engine.db)
        row = sql.one("SELECT project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at, fields,"
                      " comment, prev_hash FROM audit_record WHERE project_id = ? AND seq = 2", (first,))
        from engine.storage.sql import to_datetime
        forged = AuditEntry(*row[:8], to_datetime(row[8]), '{"decision_no":"forged"}', row[10], row[11])
    tamper(engine, "UPDATE audit_record SET fields = ?, hash = ? WHERE project_id = ? AND seq = 2",
           (forged.fields, forged.digest(), first))
    code, out = verify(db_url, capsys)
    assert code == 1 and f"(id {first}), record 3: does not follow the previous record's hash" in out
