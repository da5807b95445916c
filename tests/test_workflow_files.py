"""Workflow files: the loader's checks (one invalid file per defect), field values, and the Mermaid diagram."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidDefinition, InvalidInput
from engine.workflow.fields import coerce_fields, jsonable_fields
from engine.workflow.diagram import mermaid
from engine.workflow.loader import check_files, load_definition, parse_definition
from engine.workflow.model import RETURN, FieldSpec, WorkflowDefinition
from tests.workflow_catalog import ACTIONS, GUARDS

TESTS = Path(__file__).parent
INVALID = TESTS / "invalid_workflows"
DEFAULT_WORKFLOW = TESTS.parent / "workflows" / "minsheng.yaml"

# Every file in tests/invalid_workflows/, with exactly the problems it must produce ("<file>:<line>: <message>").
EXPECTED: dict[str, list[str]] = {
    "yaml_syntax_error.yaml": [
        "yaml_syntax_error.yaml:23: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence on line 22)"],
    "missing_initial.yaml": ["missing_initial.yaml:2: missing initial state"],
    "unknown_initial.yaml": ["unknown_initial.yaml:5: unknown initial state 'drafts'"],
    "bad_version.yaml": ["bad_version.yaml:3: version must be a positive integer, got 0"],
    "unknown_from_state.yaml": ["unknown_from_state.yaml:28: transition 'approve': unknown state 'reveiw'"],
    "unknown_to_state.yaml": ["unknown_to_state.yaml:29: transition 'approve': unknown state 'dnoe'"],
    "unreachable_state.yaml": [
        "unreachable_state.yaml:16: state 'archived' is unreachable from the initial state 'draft'"],
    "no_way_out.yaml": ["no_way_out.yaml:14: state 'paused' has no way out and is not final"],
    "final_state_with_exit.yaml": [
        "final_state_with_exit.yaml:46: transition 'resume': final state 'done' cannot have transitions out"],
    "duplicate_event.yaml": ["duplicate_event.yaml:38: event 'approve' is defined twice from state 'review'"],
    "bad_sets.yaml": [
        "bad_sets.yaml:33: transition 'adjust': sets: project attribute 'region_id' cannot be set by a transition; "
        "use one of title, category, budget, description, target, planned_start, planned_end",
        "bad_sets.yaml:34: transition 'adjust': sets: 'description' names field 'scope', which this transition "
        "does not have",
        "bad_sets.yaml:35: transition 'adjust': sets: field 'new_budget' is of type string, but 'budget' needs "
        "decimal or int"],
    "return_from_initial.yaml": [
        "return_from_initial.yaml:46: transition 'resume': cannot use '@return' from the initial state 'draft'"],
    "unknown_guard.yaml": ["unknown_guard.yaml:34: transition 'approve': unknown guard 'funding.funds_in_placee'"],
    "bad_guard_param.yaml": [
        "bad_guard_param.yaml:34: transition 'approve': guard 'funding.funds_in_place': "
        "parameter 'min_ratio' must be number, got 'a lot'"],
    "unknown_action.yaml": ["unknown_action.yaml:36: transition 'approve': unknown action 'inspection.open_rectify'"],
    "unknown_field_type.yaml": [
        "unknown_field_type.yaml:24: transition 'submit': unknown field type 'memo' for field 'note'"],
    "enum_without_choices.yaml": [
        "enum_without_choices.yaml:24: transition 'submit': enum field 'note' has no choices"],
    "choices_on_non_enum.yaml": [
        "choices_on_non_enum.yaml:24: transition 'submit': field 'note' of type text cannot have choices"],
    "min_greater_than_max.yaml": [
        "min_greater_than_max.yaml:32: transition 'approve': field 'amount' has min 1000 greater than max 10"],
    "undeclared_role.yaml": ["undeclared_role.yaml:30: transition 'approve': role 'chef' is not declared in roles"],
    "unknown_role_scope.yaml": [
        "unknown_role_scope.yaml:8: role 'clerk': unknown scope 'office'; use area, unit, public"],
    "undeclared_override.yaml": [
        "undeclared_override.yaml:9: role 'chief': overrides role 'auditor', which is not declared in roles"],
    "unknown_key.yaml": ["unknown_key.yaml:33: unknown key 'gaurds' in transition 'approve'"],
    "duplicate_key.yaml": ["duplicate_key.yaml:15: duplicate key 'review'"],
    "bad_event_name.yaml": [
        "bad_event_name.yaml:38: transition: event name 'Pause-now' must be snake_case ([a-z][a-z0-9_]*)"],
    "missing_state_label.yaml": ["missing_state_label.yaml:13: state 'review': missing label"],
    "empty_states.yaml": ["empty_states.yaml:11: states must not be empty"],
    "empty_transitions.yaml": ["empty_transitions.yaml:17: transitions must not be empty"],
    "bad_deadline.yaml": [
        "bad_deadline.yaml:13: state 'review': deadline 'soon' is neither a project date field (planned_start, "
        "planned_end) nor a duration such as '30 days' or '10 working days'"],
    "bad_ladder.yaml": [
        "bad_ladder.yaml:51: supervision: ladder: step 'warn': give exactly one of before, at or after "
        "(the time relative to the deadline)",
        "bad_ladder.yaml:52: supervision: ladder: step 'escalate': after must be a duration such as "
        "'5 working days' or '10 days', got 'a fortnight'",
        "bad_ladder.yaml:53: supervision: ladder: step 'overdue': to 'mayor' is neither lead_unit nor a role "
        "declared in roles",
        "bad_ladder.yaml:54: supervision: ladder: step 'overdue' is listed twice"],
    "bad_progress_source.yaml": [
        "bad_progress_source.yaml:6: progress must be one of reports, measures (what a project's current progress "
        "is: the latest progress report, or the weighted share of measures done), got 'milestones'",
        "bad_progress_source.yaml:20: supervision: measures must be true or a mapping {ladder: [...]}"],
    "bad_measures_ladder.yaml": [
        "bad_measures_ladder.yaml:21: supervision: measures: ladder: step 'escalate': after must be a duration such "
        "as '5 working days' or '10 days', got 'a fortnight'",
        "bad_measures_ladder.yaml:22: supervision: measures: ladder: step 'overdue': to 'mayor' is neither lead_unit "
        "nor a role declared in roles"],
    "deadline_without_ladder.yaml": [
        "deadline_without_ladder.yaml:13: state 'review' has a deadline but no escalation ladder: add "
        "supervision: {ladder: [...]} to the state or to the workflow"],
}

SMALL = """\
name: small
version: 2
initial: draft
roles: {clerk: 经办人, chief: 负责人}
states:
  draft:  {label: 草稿, editable: true}
  review: {label: "审核; 复核"}
  paused: {label: 暂停}
  done:   {label: 完成, final: true}
transitions:
  - {event: submit, label: 提交, from: draft, to: review, roles: [clerk]}
  - {event: approve, label: 批准, from: review, to: done, roles: [chief]}
  - {event: pause, label: 暂停, from: [draft, review], to: paused, roles: [chief]}
  - {event: resume, label: 恢复, from: paused, to: "@return", roles: [chief]}
"""

SEVERAL_DEFECTS = """\
name: small
version: -1
initial: draft
roles: {clerk: 经办人}
states:
  draft: {label: 草稿, colour: red}
  done: {label: 完成, final: true}
transitions:
  - event: finish
    from: draft
    to: done
    roles: [boss]
    fields:
      size: {type: huge}
    guards:
      - satisfaction.rated: {min_responses: 0}
"""


def parse(text: str, filename: str = "test.yaml") -> WorkflowDefinition:
    return parse_definition(text, filename, GUARDS, ACTIONS)


def problems_of(text: str, filename: str = "test.yaml") -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse(text, filename)
    return [str(problem) for problem in caught.value.problems]


# -- the loader ---------------------------------------------------------------------------------------------


def test_every_invalid_file_is_listed() -> None:
    assert sorted(path.name for path in INVALID.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_reports_exactly_its_defect(name: str) -> None:
    assert problems_of((INVALID / name).read_text(encoding="utf-8"), name) == EXPECTED[name]


def test_several_defects_are_all_reported_in_line_order() -> None:
    assert problems_of(SEVERAL_DEFECTS) == [
        "test.yaml:2: version must be a positive integer, got -1",
        "test.yaml:6: unknown key 'colour' in state 'draft'",
        "test.yaml:12: transition 'finish': role 'boss' is not declared in roles",
        "test.yaml:14: transition 'finish': unknown field type 'huge' for field 'size'",
        "test.yaml:16: transition 'finish': guard 'satisfaction.rated': "
        "parameter 'min_responses' must be at least 1, got 0",
    ]


def test_missing_keys_are_reported_at_the_mapping() -> None:
    assert problems_of("label: x\n") == [
        "test.yaml:1: missing name", "test.yaml:1: missing version", "test.yaml:1: missing initial state",
        "test.yaml:1: missing roles", "test.yaml:1: missing states", "test.yaml:1: missing transitions",
    ]


def test_a_file_that_is_not_a_mapping_or_empty() -> None:
    assert problems_of("- a\n- b\n") == ["test.yaml:1: workflow must be a mapping"]
    assert problems_of("# only a comment\n") == ["test.yaml:1: the workflow file is empty"]


def test_wrong_kinds_of_values() -> None:
    text = SMALL.replace("{label: 草稿, editable: true}", "{label: 草稿, editable: yes please}").replace(
        "roles: [clerk]}", "roles: clerk}").replace("version: 2", "version: two")
    assert problems_of(text) == [
        "test.yaml:2: version must be a positive integer, got 'two'",
        "test.yaml:6: state 'draft': editable must be true or false, got 'yes please'",
        "test.yaml:11: transition 'submit': roles must be a list",
    ]


def test_default_workflow_loads() -> None:
    definition = load_definition(DEFAULT_WORKFLOW, GUARDS, ACTIONS)
    text = DEFAULT_WORKFLOW.read_text(encoding="utf-8")
    assert (definition.name, definition.label, definition.initial) == ("minsheng", "民生实事项目", "proposed")
    assert definition.version >= 1
    assert definition.source == text
    assert definition.path == str(DEFAULT_WORKFLOW)
    assert definition.checksum == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert definition.states["proposed"].label == "征集/提出"
    assert definition.find("suspended", "resume").dest == RETURN
    assert check_files([DEFAULT_WORKFLOW], GUARDS, ACTIONS) == []


def test_lines_of_transitions_and_guards() -> None:
    lines = DEFAULT_WORKFLOW.read_text(encoding="utf-8").splitlines()
    start = next(t for t in load_definition(DEFAULT_WORKFLOW, GUARDS, ACTIONS).transitions if t.event == "start")
    assert lines[start.line - 1].strip() == "- event: start"
    assert lines[start.guards[0].line - 1].strip().startswith("- funding.funds_in_place")
    assert start.guards[0].params == {"min_ratio": 0.3}


def test_small_workflow_defaults() -> None:
    definition = parse(SMALL)
    assert definition.label == "small"
    assert definition.find("draft", "pause").sources == ("draft", "review")
    assert definition.find("draft", "submit").roles == ("clerk",)
    assert definition.states["draft"].editable and definition.states["done"].final


def test_check_files_reports_every_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    problems = check_files([INVALID / "bad_version.yaml", missing, INVALID / "unknown_key.yaml"], GUARDS, ACTIONS)
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("bad_version.yaml", 3), ("missing.yaml", 0), ("unknown_key.yaml", 33)]
    assert problems[1].file == str(missing) and "cannot read file" in problems[1].message


def test_load_definition_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: x\nlabel: caf\xe9\n")
    with pytest.raises(InvalidDefinition) as caught:
        load_definition(path, GUARDS, ACTIONS)
    assert [str(p) for p in caught.value.problems] == [f"{path}:2: the file is not UTF-8 text"]


# -- field values -------------------------------------------------------------------------------------------

SPECS = (
    FieldSpec("title", "string", required=True),
    FieldSpec("notes", "text", max_length=10),
    FieldSpec("count", "int", min=0, max=100),
    FieldSpec("amount", "decimal", min=0.5),
    FieldSpec("day", "date"),
    FieldSpec("kind", "enum", choices=("road", "water")),
    FieldSpec("urgent", "bool"),
)


def test_coerce_fields_converts_values() -> None:
    values = {"title": " 道路硬化 ", "notes": "ok", "count": "42", "amount": "1234.5", "day": "2024-03-01",
              "kind": "water", "urgent": False}
    assert coerce_fields(SPECS, values) == {
        "title": "道路硬化", "notes": "ok", "count": 42, "amount": Decimal("1234.50"), "day": dt.date(2024, 3, 1),
        "kind": "water", "urgent": False}
    assert coerce_fields(SPECS, {"title": "x", "amount": 3, "day": dt.date(2024, 1, 2), "notes": ""}) == {
        "title": "x", "amount": Decimal("3.00"), "day": dt.date(2024, 1, 2)}


@pytest.mark.parametrize(("values", "path", "message"), [
    ({"title": "x", "colour": "red"}, "colour", "unknown field"),
    ({}, "title", "is required"),
    ({"title": None}, "title", "is required"),
    ({"title": "  "}, "title", "is required"),
    ({"title": 5}, "title", "must be text"),
    ({"title": "a\nb"}, "title", "must be a single line"),
    ({"title": "x" * 201}, "title", "must be at most 200 characters"),
    ({"title": "x", "notes": "x" * 11}, "notes", "must be at most 10 characters"),
    ({"title": "x", "count": "1.5"}, "count", "must be a whole number"),
    ({"title": "x", "count": True}, "count", "must be a whole number"),
    ({"title": "x", "count": -1}, "count", "must be at least 0"),
    ({"title": "x", "count": "101"}, "count", "must be at most 100"),
    ({"title": "x", "amount": 1.5}, "amount", "must be given as a string or an integer, not a floating-point number"),
    ({"title": "x", "amount": "1.005"}, "amount", "must have at most 2 decimal places"),
    ({"title": "x", "amount": "abc"}, "amount", "must be a number"),
    ({"title": "x", "amount": "NaN"}, "amount", "must be a number"),
    ({"title": "x", "amount": Decimal("Infinity")}, "amount", "must be a finite number"),
    ({"title": "x", "amount": "0.49"}, "amount", "must be at least 0.5"),
    ({"title": "x", "day": "2024/03/01"}, "day", "must be a date (YYYY-MM-DD)"),
    ({"title": "x", "day": "2024-02-30"}, "day", "is not a valid date: 2024-02-30"),
    ({"title": "x", "kind": "air"}, "kind", "must be one of: road, water"),
    ({"title": "x", "urgent": "yes"}, "urgent", "must be true or false"),
])
def test_coerce_fields_problem(values: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        coerce_fields(SPECS, values, path=("input", "fields"))
    assert [(p.path, p.message) for p in caught.value.problems()] == [(["input", "fields", path], message)]


def test_coerce_fields_reports_every_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        coerce_fields(SPECS, {"count": "many", "kind": "air", "extra": 1})
    assert [(p.path, p.message) for p in caught.value.problems()] == [
        (["fields", "extra"], "unknown field"), (["fields", "title"], "is required"),
        (["fields", "count"], "must be a whole number"), (["fields", "kind"], "must be one of: road, water")]


def test_jsonable_fields() -> None:
    values = coerce_fields(SPECS, {"title": "x", "amount": "7", "day": "2024-03-01", "count": 3})
    assert jsonable_fields(values) == {"title": "x", "amount": "7.00", "day": "2024-03-01", "count": 3}


# -- the diagram --------------------------------------------------------------------------------------------


def test_mermaid_of_small_workflow() -> None:
    assert mermaid(parse(SMALL)) == "\n".join([
        "stateDiagram-v2",
        '    state "草稿" as draft',
        '    state "审核#59; 复核" as review',
        '    state "暂停" as paused',
        '    state "完成" as done',
        "    [*] --> draft",
        "    draft --> review: 提交",
        "    review --> done: 批准",
        "    draft --> paused: 暂停",
        "    review --> paused: 暂停",
        "    paused --> draft: 恢复",
        "    paused --> review: 恢复",
        "    done --> [*]",
    ]) + "\n"


def test_mermaid_of_default_workflow() -> None:
    lines = mermaid(load_definition(DEFAULT_WORKFLOW, GUARDS, ACTIONS)).splitlines()
    assert lines[0] == "stateDiagram-v2"
    for expected in ('    state "征集/提出" as proposed', "    [*] --> proposed", "    proposed --> assessed: 评估论证",
                     "    rectifying --> in_progress: 整改完成", "    rectifying --> handed_over: 整改完成",
                     "    suspended --> approved: 恢复实施", "    reviewed --> [*]", "    terminated --> [*]"):
        assert expected in lines
    assert not any("@return" in line for line in lines)
