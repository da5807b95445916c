"""The plugins' maintained aggregates for the dashboard — open rectifications (``inspection_tally``), open notices
(``supervision_tally``) and the 序时进度 standings (``schedule_tally``): on the demo district (rectifications,
notices at every step, standings in every colour) the figures read from them equal the figures computed from the
rows, for every region, before and after notices are closed, rectifications verified or opened, and the clock and
the tick move on; the maintained rows equal a recomputation; and the dashboard over HTTP shows the change."""
from __future__ import annotations

import dataclasses
import datetime as dt

from pony import orm

from engine import aggregates
from engine.api.access import readable_region
from engine.dashboard.board import plugin_figures
from engine.dashboard.figures import lookup
from engine.dashboard.scope import figure_scope
from engine.directory.access import reach
from engine.storage.sql import Sql
from plugins.inspection.rectifications import insert_rectification
from tests.test_demo import api, demo  # noqa: F401

REGIONS = ("pingan", "qingshi", "hexi", "liuwan")
TALLIED = ("inspection", "supervision", "schedule")
FIGURES = "{ dashboard(year: 2024) { figures { plugin figures { name value } } } }"


def both_ways(engine, demo, role: str, region: str) -> tuple[list, list]:
    """The plugins' figures of ``region`` for 2024 as ``role`` reads them: from the maintained aggregates, and
    computed from the rows (the same scope, told it is not a whole region)."""
    with orm.db_session:
        sql = Sql(engine.db)
        actor = demo.actor(role)
        view = readable_region(engine, sql, actor, demo.regions[region])
        scope = figure_scope(engine, reach(engine, actor), view, engine.clock.today(), 2024)
        assert scope.maintained
        tallied = [s for s in plugin_figures(engine, sql, scope) if s.plugin in TALLIED]
        computed = [s for s in plugin_figures(engine, sql, dataclasses.replace(scope, tally_path=None))
                    if s.plugin in TALLIED]
    return tallied, computed


def assert_in_step(engine, demo) -> list:
    for region in REGIONS:
        tallied, computed = both_ways(engine, demo, "office", region)
        assert tallied == computed, region
    assert aggregates.differences(engine) == []
    return both_ways(engine, demo, "office", "pingan")[0]


def value(sets: list, name: str) -> int:
    found = lookup(sets, name)
    assert found is not None, name
    return int(found.value or 0)


def test_the_tallied_figures_equal_the_computed_ones_through_closing_verifying_and_ticking(engine, demo, api):
    before = assert_in_step(engine, demo)
    assert value(before, "supervision.open_notices") and value(before, "inspection.open_rectifications")
    assert value(before, "schedule.tracked") and value(before, "schedule.lagging")

    now = engine.clock.now()
    with orm.db_session:  # plain SQL, as a data fix would: the triggers count it like the plugins' own writes
        sql = Sql(engine.db)
        escalated = [r[0] for r in sql.all("SELECT id FROM supervision_notice WHERE step = 'escalate'"
                                           " AND closed_at IS NULL ORDER BY id")]
        sql.execute(f"UPDATE supervision_notice SET status = 'closed', closed_at = ? WHERE id IN"
                    f" ({', '.join('?' for _ in escalated)})", (now, *escalated))
        verified = sql.scalar("SELECT MIN(id) FROM inspection_rectification WHERE status <> 'verified'")
        sql.execute("UPDATE inspection_rectification SET status = 'verified', verified_at = ? WHERE id = ?",
                    (now, verified))
        project = sql.scalar("SELECT MIN(id) FROM project WHERE region_path LIKE ? AND year = 2024",
                             (demo.region_paths["liuwan"] + "%",))
        insert_rectification(sql, project, "护栏缺失", None, engine.clock.today() - dt.timedelta(days=3), None, now)
    after = assert_in_step(engine, demo)
    assert escalated
    assert value(after, "supervision.at_least_escalate") < value(before, "supervision.at_least_escalate")
    assert value(after, "supervision.open_notices") == value(before, "supervision.open_notices") - len(escalated)
    assert value(after, "inspection.open_rectifications") == value(before, "inspection.open_rectifications")
    assert value(after, "inspection.overdue_rectifications") >= 1

    shown = api("office", FIGURES)["dashboard"]["figures"]
    over_http = {f"{s['plugin']}.{f['name']}": f["value"] for s in shown for f in s["figures"]}
    assert int(over_http["supervision.open_notices"]) == value(after, "supervision.open_notices")
    assert int(over_http["inspection.open_rectifications"]) == value(after, "inspection.open_rectifications")

    # a month on: the tick refreshes every standing for the new day and issues what fell due meanwhile
    engine.clock.set(engine.clock.now() + dt.timedelta(days=31))
    engine.tick(engine.clock.today())
    later = assert_in_step(engine, demo)
    assert value(later, "schedule.tracked") == value(before, "schedule.tracked")
    assert lookup(later, "schedule.expected").value != lookup(before, "schedule.expected").value
