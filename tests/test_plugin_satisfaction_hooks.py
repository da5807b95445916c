"""The satisfaction plugin's roll-up over a region and year, its hooks, and its demo data."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pony import orm

from engine.directory.actors import PUBLIC
from engine.errors import NotFound
from engine.storage.sql import Sql
from plugins import satisfaction
from plugins.satisfaction.summary import rollup
from tests.test_plugin_satisfaction_support import Survey, add_answers, grade_row, survey, table

__all__ = ["survey"]  # the fixture, imported so pytest finds it


# --- roll-up ----------------------------------------------------------------------------------------------------------

def test_rollup_over_an_area_and_year_3200_questionnaires(survey: Survey) -> None:
    a, b = survey.project(region="town_a"), survey.project(region="village_a1")
    other_town, other_year = survey.project(region="town_b"), survey.project(region="town_a", year=2023)
    add_answers(survey.engine, a, satisfied=1500, basic=100, dissatisfied=30, scores=[100, 60])
    add_answers(survey.engine, b, satisfied=1300, basic=34, dissatisfied=34)
    add_answers(survey.engine, other_town, dissatisfied=50)
    add_answers(survey.engine, other_year, dissatisfied=70)
    town_a = survey.district.regions["town_a"]
    with orm.db_session:
        result = rollup(survey.engine, Sql(survey.engine.db), survey.district.actor("county_office"), town_a, 2024)
    assert (result.tally.responses, result.projects) == (3000, 2)
    assert result.tally.rate_percent() == Decimal("97.87")  # (1501+1300 + 101+34) / 3000
    assert result.tally.mean_score() == Decimal("80.00")
    with orm.db_session:
        county = rollup(survey.engine, Sql(survey.engine.db), survey.district.actor("county_office"), None, None)
    assert (county.tally.responses, county.projects) == (3120, 4)


def test_rollup_outside_the_area_is_not_found_and_public_sees_published_only(survey: Survey) -> None:
    published, draft = survey.project(region="town_a"), survey.project(region="town_a", publish=False)
    add_answers(survey.engine, published, satisfied=3)
    add_answers(survey.engine, draft, dissatisfied=5)
    with orm.db_session:
        sql = Sql(survey.engine.db)
        with pytest.raises(NotFound):
            rollup(survey.engine, sql, survey.district.actor("town_b_office"), survey.district.regions["town_a"], None)
        public = rollup(survey.engine, sql, PUBLIC, survey.district.regions["town_a"], None)
        office = rollup(survey.engine, sql, survey.district.actor("town_a_office"), None, None)
    assert (public.tally.responses, public.tally.rate_percent()) == (3, Decimal("100.00"))
    assert (office.tally.responses, office.tally.rate_percent()) == (8, Decimal("37.50"))


# --- hooks ---------------------------------------------------------------------------------------------------------

def test_hook_entities_declares_the_tables(engine) -> None:
    tables = {e._table_ for e in engine.db.entities.values()}
    assert {"satisfaction_rating", "satisfaction_vote", "satisfaction_grade", "satisfaction_key"} <= tables


def test_hook_migrations_ran_and_made_a_salt(engine) -> None:
    numbers = [m.number for m in satisfaction.minsheng_migrations()]
    assert {m.component for m in satisfaction.minsheng_migrations()} == {"satisfaction"}
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3
    with orm.db_session:
        sql = Sql(engine.db)
        applied = sql.all("SELECT number FROM schema_migrations WHERE component = 'satisfaction' ORDER BY number")
        salts = sql.all("SELECT salt FROM satisfaction_key")
    assert [n for (n,) in applied] == numbers
    assert len(salts) == 1 and len(salts[0][0]) == 64


def test_hook_guards_and_actions_are_registered(engine) -> None:
    guard = engine.catalog.guards["satisfaction.rated"]
    assert guard.params["min_responses"].default == 30 and guard.params["min_responses"].min == 1
    action = engine.catalog.actions["satisfaction.grade"]
    assert set(action.params) == {"bands", "reward_amount", "rectification_days", "weights"}
    assert action.params["bands"].default == [90, 75] and action.params["rectification_days"].default == 30


def test_hook_graphql_extends_query_mutation_and_project() -> None:
    extension = satisfaction.minsheng_graphql()
    fields = {cls: [f.python_name for f in cls.__strawberry_definition__.fields]
              for cls in (extension.query, extension.mutation, extension.project)}
    assert [sorted(names) for names in fields.values()] == [
        ["satisfaction_rollup"], ["close_survey_round", "issue_device_token", "open_survey_round", "rate_project",
                                  "record_deputy_vote", "reverse_rating"], ["satisfaction"]]


# --- demo data -------------------------------------------------------------------------------------------------------

def test_hook_demo_data_adds_answers_and_votes(engine) -> None:
    from engine.demo import build_demo

    demo = build_demo(engine, "simple")
    handed_over = [p.id for p in demo.projects.values() if p.stage == "handed_over"]
    reviewed = [p.id for p in demo.projects.values() if p.stage == "reviewed"]
    answers = table(engine, "satisfaction_rating")
    votes = table(engine, "satisfaction_vote")
    assert handed_over and reviewed
    assert {r["project_id"] for r in answers} == set(handed_over)
    assert all(8 <= sum(r["project_id"] == pid for r in answers) <= 24 for pid in handed_over)
    assert all(r["device_hash"] and r["actor_id"] is None for r in answers)
    assert sorted(v["project_id"] for v in votes) == sorted(reviewed)
    assert all(v["present"] == 29 and v["verdict"] in ("satisfied", "basically_satisfied") for v in votes)


def test_hook_demo_prepare_leaves_enough_answers_for_the_review(survey: Survey) -> None:
    from engine.demo import DemoDistrict, DemoProject

    pid = survey.project()
    demo = DemoDistrict(survey.engine, "survey", survey.engine.clock, 2024)
    project = DemoProject(pid, "PA-01", "学校运动场改造", "county", "/1/", "edu", 1, Decimal("3000000"),
                          "reviewed", "published")
    satisfaction.minsheng_demo_prepare(engine=survey.engine, demo=demo, project=project, event="publish")
    assert table(survey.engine, "satisfaction_rating") == []  # no satisfaction.rated guard on 'publish'
    satisfaction.minsheng_demo_prepare(engine=survey.engine, demo=demo, project=project, event="review")
    assert 35 <= len(table(survey.engine, "satisfaction_rating")) <= 55
    survey.fire("committee", pid, "review")
    assert grade_row(survey, pid).grade in ("top", "middle")
