"""The funding plugin 资金 through its service functions, guards, action and hooks.

Runs on a workflow of its own (``funding_flow``, below) so it depends only on the engine and this plugin; the
default workflow's use of the guards is tested too once every plugin it names is present.
"""
from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from pony import orm

from engine.clock import Clock
from engine.core import Engine
from engine.errors import DomainError, Forbidden, GuardFailed, InvalidDefinition, InvalidInput, NotFound
from engine.workflow.guards import ActionSpec, GuardContext, Param, ProjectView
from engine.hookspecs import hookimpl
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition, locate
from plugins.funding import ledger, plan, rewards, rollup
from plugins.funding.sources import Source
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.district import District

FLOW = """
name: funding_flow
version: 1
label: 资金测试流程
initial: proposed
create_roles: [office, committee]
roles: {finance: 财政, office: 政府办, unit: 牵头单位, committee: 人大常委会, supervisor: 监督员, deputy: 人大代表}
states:
  proposed:    {label: 征集, editable: true}
  approved:    {label: 确定, public: true}
  in_progress: {label: 实施, public: true}
  graded:      {label: 已评定, final: true, public: true}
transitions:
  - event: approve
    label: 票决确定
    from: proposed
    to: approved
    roles: [committee]
    guards:
      - funding.plan_covers_budget
  - event: start
    label: 开工实施
    from: approved
    to: in_progress
    roles: [unit, office]
    guards:
      - funding.funds_in_place: {min_ratio: 0.3}
  - event: grade_top
    label: 评为优良
    from: in_progress
    to: graded
    roles: [committee]
    actions:
      - test_funding.top_grade: {reward: 50000}
"""


class TopGrade:
    """Stands in for the satisfaction plugin: a top grade runs ``funding.grant_reward`` through ``run_action``."""

    __name__ = "test_funding_top_grade"

    @hookimpl
    def minsheng_actions(self) -> list[ActionSpec]:
        return [ActionSpec("test_funding.top_grade", _top_grade, {"reward": Param("number", required=True)})]


def _top_grade(ctx: GuardContext, reward: float) -> None:
    ctx.run_action("funding.grant_reward", amount=reward, reason="满意度评定为优良")


def minsheng_loadable() -> bool:
    """Whether every guard and action the default workflow names is registered (all built-in plugins exist)."""
    from engine.workflow.catalog import gather
    from engine.plugins import make_plugin_manager
    from engine.workflow.loader import load_definition

    catalog = gather(make_plugin_manager([], (), entry_points=False))
    try:
        load_definition(DEFAULT_WORKFLOW, catalog.guards, catalog.actions)
    except InvalidDefinition:
        return False
    return True


MINSHENG = minsheng_loadable()
needs_minsheng = pytest.mark.skipif(not MINSHENG, reason="the default workflow names guards of plugins not "
                                                          "yet in this tree")


@pytest.fixture
def engine(db_url: str, clock: Clock, tmp_path: Path) -> Iterator[Engine]:
    flow = tmp_path / "funding_flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    files = [SIMPLE_WORKFLOW, flow, *([DEFAULT_WORKFLOW] if MINSHENG else [])]
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False, workflow_files=files,
                         extra_plugins=[TopGrade()])
    yield engine
    engine.close()


def new_project(district: District, region: str = "county", budget: str = "3000000.00", **details: object) -> int:
    return district.project(region=region, workflow="funding_flow", budget=Decimal(budget), **details)


def fire(engine: Engine, district: District, username: str, project_id: int, event: str) -> None:
    fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, {}))


def count(engine: Engine, table: str, project_id: int) -> int:
    with orm.db_session:
        return Sql(engine.db).scalar(f"SELECT COUNT(*) FROM {table} WHERE project_id = ?", (project_id,))


def problem(exc: DomainError) -> tuple[list[str], str]:
    (only,) = exc.problems()
    return only.path, only.message


# -- hooks ----------------------------------------------------------------------------------------------------

def test_entities_and_migrations_hooks_create_the_four_tables(engine: Engine) -> None:
    import plugins.funding as funding

    migrations = funding.minsheng_migrations()
    assert [(m.component, m.number) for m in migrations] == [("funding", n) for n in range(1, len(migrations) + 1)]
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.all("SELECT component, number FROM schema_migrations WHERE component = 'funding'"
                       " ORDER BY number") == [("funding", n) for n in range(1, len(migrations) + 1)]
        for table in ("funding_plan", "funding_receipt", "funding_payment", "funding_reward"):
            assert sql.scalar(f"SELECT COUNT(*) FROM {table}") == 0
    names = {entity._table_ for entity in engine.db.entities.values()}
    assert {"funding_plan", "funding_receipt", "funding_payment", "funding_reward"} <= names


def test_guards_and_actions_hooks_register_their_names_and_parameters(engine: Engine) -> None:
    guards, actions = engine.catalog.guards, engine.catalog.actions
    assert guards["funding.plan_covers_budget"].params == {}
    ratio = guards["funding.funds_in_place"].params["min_ratio"]
    assert (ratio.type, ratio.required, ratio.min, ratio.max) == ("number", True, 0, 10)
    reward = actions["funding.grant_reward"].params
    assert (reward["amount"].type, reward["amount"].required) == ("number", True)
    assert (reward["reason"].type, reward["reason"].required) == ("string", False)


def test_graphql_hook_adds_the_funding_fields_to_the_schema(engine: Engine) -> None:
    from engine.api.schema import build_schemas

    text = str(build_schemas(engine.plugins).query)
    for name in ("fundingRollup(region: ID = null, year: Int = null): FundingRollup!",
                 "setFundingPlan(input: SetFundingPlanInput!): SetFundingPlanPayload!",
                 "recordFundsReceived(input: RecordFundsReceivedInput!): RecordFundsReceivedPayload!",
                 "recordFundsPaid(input: RecordFundsPaidInput!): RecordFundsPaidPayload!",
                 "recordReward(input: RecordRewardInput!): RecordRewardPayload!", "funding: ProjectFunding!"):
        assert name in text


# -- the funding plan -----------------------------------------------------------------------------------------

def test_setting_a_source_replaces_its_amount_and_keeps_who_and_when(engine: Engine, district: District,
                                                                      clock: Clock) -> None:
    pid = new_project(district)
    plan.set_plan(engine, district.actor("county_finance"), pid, "central", "1000000")
    clock.advance(days=2)
    line = plan.set_plan(engine, district.actor("county_office"), pid, Source.CENTRAL, Decimal("1200000.50"),
                         note="追加")
    plan.set_plan(engine, district.actor("county_office"), pid, "social", "300000", kind="naming_rights")
    assert (line.amount, line.set_by, str(line.set_at)) == (Decimal("1200000.50"), "county_office",
                                                            "2024-03-03 09:00:00")
    with orm.db_session:
        sql = Sql(engine.db)
        current = plan.plan_lines(sql, pid)
        history = plan.plan_lines(sql, pid, history=True)
    assert sorted((l.source.value, l.kind and l.kind.value, l.amount) for l in current) == [
        ("central", None, Decimal("1200000.50")), ("social", "naming_rights", Decimal("300000.00"))]
    replaced = [l for l in history if l.superseded_at is not None]
    assert [(l.amount, l.set_by, str(l.superseded_at)) for l in replaced] == [
        (Decimal("1000000.00"), "county_finance", "2024-03-03 09:00:00")]
    assert rollup.project_funding(engine, district.actor("committee"), pid).planned == Decimal("1500000.50")


@pytest.mark.parametrize("source, kind, path, message", [
    ("social", None, ["input", "kind"], "social capital (社会资本) needs a kind: donation (捐赠), "
                                        "sponsorship (赞助), naming_rights (冠名)"),
    ("central", "donation", ["input", "kind"], "only social capital (社会资本) has a kind; central (中央资金) "
                                               "does not"),
    ("social", "gift", ["input", "kind"], "unknown value 'gift'; one of donation (捐赠), sponsorship (赞助), "
                                          "naming_rights (冠名)"),
    ("federal", None, ["input", "source"], "unknown value 'federal'; one of central (中央资金), provincial (省级资金), "
                                           "municipal (市级资金), county (县区配套), town (乡镇资金), social (社会资本), "
                                           "other (其他资金), maintenance (管护经费)"),
])
def test_plan_sources_and_kinds_are_checked(engine: Engine, district: District, source: str, kind: str | None,
                                            path: list[str], message: str) -> None:
    pid = new_project(district)
    with pytest.raises(InvalidInput) as caught:
        plan.set_plan(engine, district.actor("county_finance"), pid, source, "100", kind=kind)
    assert problem(caught.value) == (path, message)
    assert count(engine, "funding_plan", pid) == 0


@pytest.mark.parametrize("amount, message", [
    ("-1", "must be zero or more, got -1"),
    ("12.345", "must have at most two decimal places (yuan and fen), got 12.345"),
    ("abc", "must be an amount in yuan, got 'abc'"),
    ("10000000000000", "must be at most 9,999,999,999,999.99 yuan, got 10000000000000"),
])
def test_plan_amounts_are_checked(engine: Engine, district: District, amount: str, message: str) -> None:
    pid = new_project(district)
    with pytest.raises(InvalidInput) as caught:
        plan.set_plan(engine, district.actor("county_finance"), pid, "county", amount)
    assert problem(caught.value) == (["input", "amount"], message)
    assert count(engine, "funding_plan", pid) == 0


def test_a_zero_amount_takes_a_source_out_of_the_plan(engine: Engine, district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    plan.set_plan(engine, finance, pid, "town", "500")
    plan.set_plan(engine, finance, pid, "town", "0")
    assert rollup.project_funding(engine, finance, pid).planned == Decimal("0.00")


@pytest.mark.parametrize("username", ["edu_clerk", "committee", "deputy", "supervisor"])
def test_only_finance_and_office_set_the_plan(engine: Engine, district: District, username: str) -> None:
    pid = new_project(district)
    with pytest.raises(Forbidden) as caught:
        plan.set_plan(engine, district.actor(username), pid, "central", "100")
    assert caught.value.message == ("only 财政/发改/民生办 (finance) or 政府办/督查室 (office) may set a project's "
                                    "funding plan (资金筹措计划)")
    assert count(engine, "funding_plan", pid) == 0


def test_a_project_outside_the_actors_area_is_not_found(engine: Engine, district: District) -> None:
    pid = new_project(district, region="town_a")
    with pytest.raises(NotFound) as caught:
        plan.set_plan(engine, district.actor("town_b_office"), pid, "town", "100")
    assert problem(caught.value) == (["input", "projectId"], f"project {pid} does not exist")
    plan.set_plan(engine, district.actor("town_a_office"), pid, "town", "100")
    assert count(engine, "funding_plan", pid) == 1


# -- funds received and paid out --------------------------------------------------------------------------------

def test_funds_received_are_recorded_with_source_date_and_document_number(engine: Engine,
                                                                           district: District) -> None:
    pid = new_project(district)
    receipt = ledger.record_receipt(engine, district.actor("county_finance"), pid, "1500000", "provincial",
                                    received_on="2024-02-20", document_no="财预〔2024〕12号")
    by_hand = ledger.record_receipt(engine, district.actor("edu_clerk"), pid, Decimal("0.01"), "social",
                                    kind="donation")
    assert (receipt.amount, receipt.source, str(receipt.received_on), receipt.document_no) == (
        Decimal("1500000.00"), Source.PROVINCIAL, "2024-02-20", "财预〔2024〕12号")
    assert (str(by_hand.received_on), by_hand.recorded_by, by_hand.kind.value) == ("2024-03-01", "edu_clerk",
                                                                                   "donation")
    with orm.db_session:
        listed = ledger.receipts(Sql(engine.db), pid)
    assert [(r.amount, r.document_no) for r in listed] == [(Decimal("0.01"), ""),
                                                          (Decimal("1500000.00"), "财预〔2024〕12号")]


@pytest.mark.parametrize("amount, on, path, message", [
    ("0", None, ["input", "amount"], "must be more than zero, got 0"),
    ("-5", None, ["input", "amount"], "must be more than zero, got -5"),
    ("1.001", None, ["input", "amount"], "must have at most two decimal places (yuan and fen), got 1.001"),
    ("100", "2024-03-02", ["input", "receivedOn"], "cannot be in the future: 2024-03-02 is after today "
                                                   "(2024-03-01)"),
    ("100", "03/01/2024", ["input", "receivedOn"], "must be a date like 2024-03-01, got '03/01/2024'"),
])
def test_receipts_are_checked(engine: Engine, district: District, amount: str, on: str | None, path: list[str],
                              message: str) -> None:
    pid = new_project(district)
    with pytest.raises(InvalidInput) as caught:
        ledger.record_receipt(engine, district.actor("county_finance"), pid, amount, "central", received_on=on)
    assert problem(caught.value) == (path, message)
    assert count(engine, "funding_receipt", pid) == 0


def test_unit_clerks_record_funds_only_for_projects_their_unit_leads(engine: Engine, district: District) -> None:
    from engine.directory.admin import add_actor

    pid = new_project(district)  # led by edu
    add_actor(engine, "housing_deputy", "住建局干部兼人大代表", ["unit", "deputy"], "county", "housing")
    for record in (lambda a: ledger.record_receipt(engine, a, pid, "100", "county"),
                   lambda a: ledger.record_payment(engine, a, pid, "10", "某施工单位")):
        for clerk in ("housing_clerk", "housing_deputy"):  # being a deputy too widens nothing
            with pytest.raises(NotFound) as caught:  # a unit clerk cannot even read another unit's project
                record(district.actor(clerk))
            assert problem(caught.value) == (["input", "projectId"], f"project {pid} does not exist")
        record(district.actor("edu_clerk"))
    with pytest.raises(Forbidden) as caught:
        ledger.record_receipt(engine, district.actor("county_office"), pid, "100", "county")
    assert caught.value.message == ("only 财政/发改/民生办 (finance) or 牵头/责任单位 (unit) may record funds "
                                    "received (资金到位)")
    assert (count(engine, "funding_receipt", pid), count(engine, "funding_payment", pid)) == (1, 1)


def test_paying_out_more_than_received_is_refused_and_nothing_is_written(engine: Engine,
                                                                         district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    ledger.record_receipt(engine, finance, pid, "429300", "central")
    ledger.record_payment(engine, finance, pid, "400000", "县第一建筑公司", "工程进度款")
    with pytest.raises(InvalidInput) as caught:
        ledger.record_payment(engine, finance, pid, "29300.01", "县第一建筑公司")
    assert problem(caught.value) == (["input", "amount"], (
        "paying out 29,300.01 yuan would exceed the funds received: 429,300.00 yuan received, 400,000.00 already "
        "paid out, 29,300.00 available"))
    assert count(engine, "funding_payment", pid) == 1
    ledger.record_payment(engine, finance, pid, "29300", "县第一建筑公司")  # exactly what is available
    assert rollup.project_funding(engine, finance, pid).paid == Decimal("429300.00")


def test_payments_need_a_payee(engine: Engine, district: District) -> None:
    pid = new_project(district)
    with pytest.raises(InvalidInput) as caught:
        ledger.record_payment(engine, district.actor("county_finance"), pid, "10", "  ")
    assert problem(caught.value) == (["input", "payee"], "is required")


def test_two_payments_at_once_cannot_both_spend_the_same_funds(engine: Engine, district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    ledger.record_receipt(engine, finance, pid, "100", "county")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def pay() -> None:
        barrier.wait()
        try:
            ledger.record_payment(engine, finance, pid, "60", "施工单位")
            outcomes.append("paid")
        except InvalidInput:
            outcomes.append("refused")
        finally:
            engine.db.disconnect()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "refused"]
    assert rollup.project_funding(engine, finance, pid).paid == Decimal("60.00")


# -- rates ----------------------------------------------------------------------------------------------------

def test_rates_match_the_published_disbursement_figure(engine: Engine, district: District) -> None:
    """DOMAIN.md: 42.72 paid of 42.93 received → 拨付率 99.51%."""
    pid = new_project(district)
    finance = district.actor("county_finance")
    plan.set_plan(engine, finance, pid, "county", "50.00")
    ledger.record_receipt(engine, finance, pid, "42.93", "county")
    ledger.record_payment(engine, finance, pid, "42.72", "施工单位")
    figures = rollup.project_funding(engine, district.actor("deputy"), pid)
    assert (figures.planned, figures.received, figures.paid) == (Decimal("50.00"), Decimal("42.93"),
                                                                 Decimal("42.72"))
    assert (figures.in_place_rate, figures.disbursement_rate) == (Decimal("85.86"), Decimal("99.51"))


def test_rates_are_null_without_a_denominator_and_may_exceed_100(engine: Engine, district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    empty = rollup.project_funding(engine, finance, pid)
    assert (empty.in_place_rate, empty.disbursement_rate) == (None, None)
    ledger.record_receipt(engine, finance, pid, "300", "central")
    assert rollup.project_funding(engine, finance, pid).in_place_rate is None
    plan.set_plan(engine, finance, pid, "central", "200")
    figures = rollup.project_funding(engine, finance, pid)
    assert (figures.in_place_rate, figures.disbursement_rate) == (Decimal("150.00"), Decimal("0.00"))
    central = next(s for s in figures.by_source if s.source is Source.CENTRAL)
    assert (central.planned, central.received, central.in_place_rate) == (Decimal("200.00"), Decimal("300.00"),
                                                                           Decimal("150.00"))
    plan.set_plan(engine, finance, pid, "central", "450")
    ledger.record_payment(engine, finance, pid, "100", "施工单位")
    figures = rollup.project_funding(engine, finance, pid)  # 300 / 450 and 100 / 300: rounded half up
    assert (figures.in_place_rate, figures.disbursement_rate) == (Decimal("66.67"), Decimal("33.33"))


# -- roll-ups -------------------------------------------------------------------------------------------------

YI = Decimal("100000000")  # 亿元


def test_rollup_totals_by_source_match_the_published_city_figures(engine: Engine, district: District) -> None:
    """DOMAIN.md (100 million yuan): higher levels 15.52, city 0.56, counties 11.26, other 8.36."""
    finance = district.actor("county_finance")
    first, second = new_project(district, budget="2000000000"), new_project(district, "town_a", "2000000000")
    for pid, source, amount in [(first, "central", "10.00"), (second, "provincial", "5.52"),
                                (first, "municipal", "0.56"), (first, "county", "6.26"), (second, "county", "5.00"),
                                (second, "other", "8.36")]:
        plan.set_plan(engine, finance, pid, source, Decimal(amount) * YI)
        ledger.record_receipt(engine, finance, pid, Decimal(amount) * YI, source)
    result = rollup.rollup(engine, finance, year=2024)
    per_source = {s.source.value: (s.planned / YI, s.received / YI) for s in result.figures.by_source}
    higher = per_source["central"][1] + per_source["provincial"][1]
    assert (higher, per_source["municipal"][1], per_source["county"][1], per_source["other"][1]) == (
        Decimal("15.52"), Decimal("0.56"), Decimal("11.26"), Decimal("8.36"))
    assert per_source["county"][0] == Decimal("11.26") and per_source["town"] == (0, 0)
    assert (result.figures.planned / YI, result.figures.in_place_rate) == (Decimal("35.70"), Decimal("100.00"))
    assert (result.project_count, result.budget) == (2, Decimal("4000000000.00"))


def test_a_town_officers_rollup_excludes_another_town(engine: Engine, district: District) -> None:
    finance = district.actor("county_finance")
    for region, amount in [("town_a", "100"), ("village_a1", "20"), ("town_b", "7000"), ("county", "300")]:
        pid = new_project(district, region)
        plan.set_plan(engine, finance, pid, "town", amount)
        ledger.record_receipt(engine, finance, pid, amount, "town")
    town_a = rollup.rollup(engine, district.actor("town_a_office"))
    assert (town_a.region_name, town_a.project_count, town_a.figures.received) == ("东城镇", 2, Decimal("120.00"))
    county = rollup.rollup(engine, finance)
    assert (county.project_count, county.figures.received) == (4, Decimal("7420.00"))
    with pytest.raises(NotFound) as caught:
        rollup.rollup(engine, district.actor("town_a_office"), district.regions["town_b"])
    assert problem(caught.value) == (["region"], f"region {district.regions['town_b']} does not exist")


def test_a_unit_clerks_rollup_counts_only_its_units_projects(engine: Engine, district: District) -> None:
    finance = district.actor("county_finance")
    for unit, amount in [("edu", "10"), ("housing", "900")]:
        pid = new_project(district, lead_unit_id=district.units[unit])
        plan.set_plan(engine, finance, pid, "county", amount)
    mine = rollup.rollup(engine, district.actor("edu_clerk"))
    assert (mine.project_count, mine.figures.planned) == (1, Decimal("10.00"))


def test_rollup_counts_only_the_year_asked_for(engine: Engine, district: District) -> None:
    finance = district.actor("county_finance")
    for year, amount in [(2023, "1000"), (2024, "24")]:
        pid = new_project(district, year=year)
        plan.set_plan(engine, finance, pid, "county", amount)
    assert rollup.rollup(engine, finance, year=2023).figures.planned == Decimal("1000.00")
    assert rollup.rollup(engine, finance, year=2024).figures.planned == Decimal("24.00")
    assert rollup.rollup(engine, finance).figures.planned == Decimal("1024.00")


def test_the_public_rolls_up_published_projects_only_and_must_name_a_region(engine: Engine,
                                                                             district: District) -> None:
    from engine.directory.actors import PUBLIC

    finance, county = district.actor("county_finance"), district.regions["county"]
    published, draft = new_project(district, budget="100"), new_project(district, budget="100")
    for pid in (published, draft):
        plan.set_plan(engine, finance, pid, "county", "100")
    fire(engine, district, "committee", published, "approve")
    result = rollup.rollup(engine, PUBLIC, county, 2024)
    assert (result.project_count, result.figures.planned) == (1, Decimal("100.00"))
    assert rollup.rollup(engine, finance, county, 2024).project_count == 2
    with pytest.raises(InvalidInput) as caught:
        rollup.rollup(engine, PUBLIC)
    assert problem(caught.value) == (["region"], "name the region to roll up (the public has no home region)")


def test_a_rollup_is_the_same_few_queries_however_many_projects(engine: Engine, district: District,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    finance = district.actor("county_finance")
    statements: list[str] = []
    original = Sql.execute

    def counting(self: Sql, sql: str, params: object = ()) -> object:
        statements.append(sql)
        return original(self, sql, params)

    def statements_for_rollup() -> int:
        statements.clear()
        monkeypatch.setattr(Sql, "execute", counting)
        rollup.rollup(engine, finance, year=2024)
        monkeypatch.setattr(Sql, "execute", original)
        return len(statements)

    pid = new_project(district)
    plan.set_plan(engine, finance, pid, "county", "1")
    one = statements_for_rollup()
    for _ in range(5):
        pid = new_project(district)
        plan.set_plan(engine, finance, pid, "county", "1")
        ledger.record_receipt(engine, finance, pid, "1", "county")
    assert statements_for_rollup() == one == 3  # the region, the project count, every figure by source


# -- rewards --------------------------------------------------------------------------------------------------

def test_finance_and_the_committee_record_rewards_by_hand(engine: Engine, district: District) -> None:
    pid = new_project(district)
    reward = rewards.record_reward(engine, district.actor("committee"), pid, "65000", "考评优良",
                                   granted_on="2024-02-28", granted_by="县人民政府")
    rewards.record_reward(engine, district.actor("county_finance"), pid, "5000.5")
    assert (reward.amount, reward.reason, str(reward.granted_on), reward.granted_by) == (
        Decimal("65000.00"), "考评优良", "2024-02-28", "县人民政府")
    with pytest.raises(Forbidden) as caught:
        rewards.record_reward(engine, district.actor("county_office"), pid, "1")
    assert caught.value.message == ("only 财政/发改/民生办 (finance) or 人大常委会 (committee) may record a reward "
                                    "subsidy (奖补)")
    with orm.db_session:
        listed = rewards.rewards(Sql(engine.db), pid)
    assert [(r.amount, r.granted_by) for r in listed] == [(Decimal("5000.50"), "county_finance"),
                                                          (Decimal("65000.00"), "县人民政府")]
    assert rollup.project_funding(engine, district.actor("deputy"), pid).rewarded == Decimal("70000.50")


def start_ready(engine: Engine, district: District, planned: str = "3000000", received: str = "900000") -> int:
    pid = new_project(district)
    finance = district.actor("county_finance")
    plan.set_plan(engine, finance, pid, "county", planned)
    fire(engine, district, "committee", pid, "approve")
    ledger.record_receipt(engine, finance, pid, received, "county")
    fire(engine, district, "edu_clerk", pid, "start")
    return pid


def test_a_top_grade_grants_the_reward_through_the_action(engine: Engine, district: District) -> None:
    pid = start_ready(engine, district)
    fire(engine, district, "committee", pid, "grade_top")
    with orm.db_session:
        (reward,) = rewards.rewards(Sql(engine.db), pid)
    assert (reward.amount, reward.reason, str(reward.granted_on), reward.granted_by) == (
        Decimal("50000.00"), "满意度评定为优良", "2024-03-01", "committee")


def test_a_bad_reward_amount_rolls_the_transition_back(engine: Engine, district: District) -> None:
    pid = start_ready(engine, district)
    engine.catalog.actions["test_funding.top_grade"] = ActionSpec(
        "test_funding.top_grade", lambda ctx, reward: ctx.run_action("funding.grant_reward", amount=12.345),
        {"reward": Param("number")})
    with pytest.raises(InvalidInput) as caught:
        fire(engine, district, "committee", pid, "grade_top")
    assert problem(caught.value) == (["amount"], "must have at most two decimal places (yuan and fen), got 12.345")
    assert count(engine, "funding_reward", pid) == 0
    with orm.db_session:
        assert Sql(engine.db).scalar("SELECT state FROM project WHERE id = ?", (pid,)) == "in_progress"


# -- guards ---------------------------------------------------------------------------------------------------

def blocked(engine: Engine, district: District, username: str, pid: int, event: str) -> list[str]:
    with pytest.raises(GuardFailed) as caught:
        fire(engine, district, username, pid, event)
    return caught.value.reasons


def test_plan_covers_budget_blocks_the_vote_until_the_plan_covers_the_budget(engine: Engine,
                                                                             district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    assert blocked(engine, district, "committee", pid, "approve") == [
        "no funding plan (资金筹措计划) has been set; it must cover the 3,000,000.00 yuan budget"]
    plan.set_plan(engine, finance, pid, "central", "2000000")
    plan.set_plan(engine, finance, pid, "county", "500000")
    assert blocked(engine, district, "committee", pid, "approve") == [
        "the funding plan covers 2,500,000.00 of the 3,000,000.00 yuan budget (83.33%); it must cover all of it"]
    plan.set_plan(engine, finance, pid, "social", "499999.99", kind="sponsorship")
    assert blocked(engine, district, "committee", pid, "approve") == [
        "the funding plan covers 2,999,999.99 of the 3,000,000.00 yuan budget (99.99%); it must cover all of it"]
    plan.set_plan(engine, finance, pid, "social", "500000", kind="sponsorship")
    fire(engine, district, "committee", pid, "approve")


def test_funds_in_place_blocks_the_start_below_the_required_share(engine: Engine, district: District) -> None:
    pid = new_project(district)
    finance = district.actor("county_finance")
    plan.set_plan(engine, finance, pid, "county", "3000000")
    fire(engine, district, "committee", pid, "approve")
    ledger.record_receipt(engine, finance, pid, "600000", "county")
    assert blocked(engine, district, "edu_clerk", pid, "start") == [
        "funds in place 20.00% of the plan (600,000.00 of 3,000,000.00 yuan), at least 30% required"]
    ledger.record_receipt(engine, finance, pid, "299999.99", "county")
    assert blocked(engine, district, "edu_clerk", pid, "start") == [
        "funds in place 29.99% of the plan (899,999.99 of 3,000,000.00 yuan), at least 30% required"]
    ledger.record_receipt(engine, finance, pid, "0.01", "county")
    fire(engine, district, "edu_clerk", pid, "start")


def test_funds_in_place_without_a_plan_says_so(engine: Engine, district: District) -> None:
    from plugins.funding.guards import funds_in_place

    pid = new_project(district)
    with orm.db_session:
        ctx = GuardContext(project=_view(engine, district, pid), actor=district.actor("edu_clerk"), event="start",
                           source="approved", dest="in_progress", fields={}, db=engine.db, now=engine.clock.now(),
                           sql=Sql(engine.db))
        assert funds_in_place(ctx, min_ratio=0.3) == (
            "no funding plan (资金筹措计划) has been set, so funds in place cannot be measured; at least 30% of "
            "the plan must be in place")
        assert funds_in_place(ctx, min_ratio=0) is None
    plan.set_plan(engine, district.actor("county_finance"), pid, "county", "0")
    with orm.db_session:
        ctx.sql = Sql(engine.db)
        assert funds_in_place(ctx, min_ratio=0.125) == (
            "the funding plan (资金筹措计划) adds up to 0.00 yuan, so funds in place cannot be measured; at least "
            "12.5% of the plan must be in place")


def _view(engine: Engine, district: District, pid: int) -> ProjectView:
    with orm.db_session:
        return locate(engine, Sql(engine.db), district.actor("committee"), pid).view


@needs_minsheng
def test_the_default_workflow_uses_both_guards(engine: Engine, district: District) -> None:
    pid = district.project(workflow="minsheng")
    finance = district.actor("county_finance")
    assess = TransitionRequest(pid, "assess", {"opinion": "必要可行"})
    fire_transition(engine, finance, assess)
    vote = TransitionRequest(pid, "approve", {"decision_body": "县人大常委会", "vote_date": "2024-02-28"})
    with pytest.raises(GuardFailed) as caught:
        fire_transition(engine, district.actor("committee"), vote)
    assert caught.value.reasons == [
        "no funding plan (资金筹措计划) has been set; it must cover the 3,000,000.00 yuan budget"]
    plan.set_plan(engine, finance, pid, "county", "3000000")
    fire_transition(engine, district.actor("committee"), vote)
    ledger.record_receipt(engine, finance, pid, "600000", "county")
    with pytest.raises(GuardFailed) as caught:
        fire_transition(engine, district.actor("edu_clerk"), TransitionRequest(pid, "start",
                                                                             {"start_date": "2024-03-01"}))
    assert caught.value.reasons == [
        "funds in place 20.00% of the plan (600,000.00 of 3,000,000.00 yuan), at least 30% required"]
